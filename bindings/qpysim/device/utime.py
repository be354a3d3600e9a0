"""utime: sleeps, ticks and the RTC, all on the emulated module's clock.

Sleeps are device time: in virtual time `utime.sleep(3600)` returns at once and
an hour has passed for the device. Ticks wrap at 2**30 as on the module.
`mktime` subtracts 8 hours whatever the time zone, as the firmware does.
"""

import calendar as _calendar
import time as _host_time

from qpysim import _core
from qpysim._runtime import current_device as _current_device

from ._common import need_int as _int
from ._common import need_number as _number

_dev = _current_device()
_modem = _dev.modem

_TICKS_MAX = 0x3FFFFFFF
_TICKS_HALF = 0x20000000
_CHECKS_RANGE = _dev.dialect.ticks_add_checks_range
_MKTIME_OFFSET = 8 * 3600  # hard-coded UTC+8 in the firmware's mktime
_tz = [8]  # hours east of UTC, getTimeZone()/setTimeZone()


def sleep(seconds):
    _number(seconds, "seconds")
    if seconds > 0:
        _modem.sleep(seconds)


def sleep_ms(ms):
    _int(ms, "ms")
    if ms > 0:
        _modem.sleep(ms / 1000)


def sleep_us(us):
    _int(us, "us")
    if us > 0:
        _modem.sleep(us / 1_000_000)


def ticks_ms():
    return (_modem.ticks_ns() // 1_000_000) & _TICKS_MAX


def ticks_us():
    return (_modem.ticks_ns() // 1_000) & _TICKS_MAX


def ticks_cpu():
    return ticks_us()


def ticks_add(ticks, delta):
    ticks, delta = _int(ticks, "ticks"), _int(delta, "delta")
    if _CHECKS_RANGE and not -_TICKS_HALF < delta < _TICKS_HALF:
        raise OverflowError("ticks interval overflow")
    return (ticks + delta) & _TICKS_MAX


def ticks_diff(ticks1, ticks2):
    return ((_int(ticks1, "ticks1") - _int(ticks2, "ticks2") + _TICKS_HALF) & _TICKS_MAX) - _TICKS_HALF


def time():
    return int(_core.rtc_now(_modem))


if _dev.dialect.has_time_ns:
    def time_ns():
        """Nanoseconds since the Epoch on the module's RTC, in whole microseconds
        as the unix port's gettimeofday gives them (unix_mphal.c:235-241)."""
        return round(_core.rtc_now(_modem) * 1_000_000) * 1000


def _tuple(secs):
    t = _host_time.gmtime(secs)
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, t.tm_wday, t.tm_yday)


def localtime(secs=None):
    if secs is None:
        secs = time()
    return _tuple(int(_number(secs, "secs")) + _tz[0] * 3600)


def gmtime(secs=None):
    if secs is None:
        secs = time()
    return _tuple(int(_number(secs, "secs")))


def mktime(date):
    if not isinstance(date, tuple) or len(date) not in (8, 9):
        raise TypeError("mktime needs a tuple of 8 or 9 items")
    y, mo, d, h, mi, s = (int(v) for v in date[:6])
    return _calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) - _MKTIME_OFFSET


def setTimeZone(offset):
    _int(offset, "offset")
    if not -12 <= offset <= 12:
        raise ValueError("time zone offset must be in [-12, 12] hours")
    _tz[0] = offset


def getTimeZone():
    return _tz[0]
