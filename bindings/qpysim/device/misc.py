"""misc: Power (restart, power down, reasons, battery), ADC and PWM.

ADC (misc_adc.c:40-150): ADC() takes any arguments and ignores them; open()
and close() return 0; read(ADCn) returns the channel's millivolts, and -1 for a
channel other than 0..3. The voltage is what a scenario's `adc` fault or a
test's Device.adc(n).mv puts on the channel (0 mV when nothing does).

PWM (misc_pwm.c:100-360): PWM(PWMn, cycle_range, high_time, cycle_time) with
the platform's range checks (Unisoc and ASR; others are not checked, as the
firmware does not); open() starts the output (open(range, high, cycle) sets
new times first), close() stops it; both return 0. The PC sees the output as
Device.pwm(n): running, frequency, duty and the changes in device time.

The rest of misc (PWM_V2, USB, PowerKey, Temperature...) is not emulated yet.
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


# misc_pwm.c:89-95: (exclusive low, inclusive high) for high_time and
# cycle_time, per cycle_range, by platform.
_PWM_RANGES = {"Unisoc": ((0, 10000), (0, 10), (1, 10000), (99, 65535)),
               "ASR": ((0, 157), (0, 1023), (1, 1575), (0, 1024))}.get(
    _dev.profile.platform.split()[0])
# cycle_range -> the cycle_time unit in seconds (misc_pwm.c:269-279)
_PWM_UNITS = (1e-6, 1e-3, 1e-6, 1e-9)


class PWM:
    PWM0, PWM1, PWM2, PWM3 = 0, 1, 2, 3
    ABOVE_1US, ABOVE_MS, ABOVE_10US, ABOVE_BELOW_US = 0, 1, 2, 3

    def __init__(self, *args):
        if len(args) != 4:
            raise TypeError("function takes 4 positional arguments but %d were given"
                            % len(args))
        for v in args:
            _need_int(v, "PWM argument")
        if not 0 <= args[0] <= 3:
            raise ValueError("invalid PWMn value, must be in {0~3}.")
        self._n = args[0]
        self._set(*args[1:])
        self._line = _dev.pwm(self._n)

    def _set(self, cycle_range, high_time, cycle_time):
        if _PWM_RANGES is not None:
            bad = not 0 <= cycle_range <= 3
            if not bad:
                low, high = _PWM_RANGES[cycle_range]
                bad = not (low < high_time <= high and low < cycle_time <= high
                           and high_time <= cycle_time)
            if bad:
                raise ValueError("PWM parameter error, please refer to wiki instructions to "
                                 "correct the parameters")
        self._range, self._high, self._cycle = cycle_range, high_time, cycle_time

    def __repr__(self):
        return "PWM(pin:%u high time:%u cycle_time:%u)" % (self._n, self._high, self._cycle)

    def open(self, *args):
        if len(args) not in (0, 3):
            raise TypeError("function takes 1 or 4 arguments")
        if args:
            for v in args:
                _need_int(v, "PWM argument")
            self._set(*args)
        _modem.ticks_ns()
        unit = _PWM_UNITS[self._range] if 0 <= self._range <= 3 else 1e-6
        self._line.started(1 / (self._cycle * unit), self._high / self._cycle)
        return 0

    def close(self):
        _modem.ticks_ns()
        self._line.stopped()
        return 0


def __getattr__(name):
    """misc's names qpysim does not emulate yet (PWM, USB, PowerKey...)."""
    if name.startswith("__"):
        raise AttributeError(name)
    return _not_emulated(_dev, "misc", name)
