"""misc: Power (restart, power down, reasons, battery) and ADC.

ADC (misc_adc.c:40-150): ADC() takes any arguments and ignores them; open()
and close() return 0; read(ADCn) returns the channel's millivolts, and -1 for a
channel other than 0..3. The voltage is what a scenario's `adc` fault or a
test's Device.adc(n).mv puts on the channel (0 mV when nothing does).

The rest of misc (PWM, USB, PowerKey, Temperature...) is not emulated yet.
"""

from qpysim import _core
from qpysim._absent import not_emulated_attribute as _not_emulated
from qpysim._runtime import REASON_POWER_DOWN as _REASON_POWER_DOWN
from qpysim._runtime import DeviceRestart as _DeviceRestart
from qpysim._runtime import RunResult as _RunResult
from qpysim._runtime import current_device as _current_device

from ._common import need_int as _need_int

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
        """The supply in mV: 3800, or what a scenario's vbatt fault says."""
        return _modem.vbatt()


class ADC:
    ADC0, ADC1, ADC2, ADC3 = 0, 1, 2, 3

    def __init__(self, *args, **kwargs):
        pass  # misc_adc.c:139: the arguments are checked for nothing and not kept

    def open(self):
        return 0

    def close(self):
        return 0

    def read(self, channel):
        _need_int(channel, "ADCn")
        _modem.ticks_ns()  # a call into the firmware costs device time
        if channel not in (0, 1, 2, 3):
            return -1
        return _dev.adc(channel).mv


def __getattr__(name):
    """misc's names qpysim does not emulate yet (PWM, USB, PowerKey...)."""
    if name.startswith("__"):
        raise AttributeError(name)
    return _not_emulated(_dev, "misc", name)
