"""misc: Power (restart, power down, reasons, battery)."""

from qpysim import _core
from qpysim._runtime import REASON_POWER_DOWN as _REASON_POWER_DOWN
from qpysim._runtime import DeviceRestart as _DeviceRestart
from qpysim._runtime import RunResult as _RunResult
from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_modem = _dev.modem


class Power:
    @staticmethod
    def powerRestart():
        """Reboot the module: the script starts over with fresh modules (reason 2)."""
        raise _DeviceRestart()

    @staticmethod
    def powerDown():
        """Power the module off: the run ends (exit 0)."""
        _dev.stop(_RunResult(0, _REASON_POWER_DOWN))

    @staticmethod
    def powerOnReason():
        return _core.boot_info(_modem)[0]

    @staticmethod
    def powerDownReason():
        return 1

    @staticmethod
    def getVbatt():
        return 3800
