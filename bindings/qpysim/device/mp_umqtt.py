"""umqtt: the package of micropython-lib's umqtt.simple and umqtt.robust (the
micropython, rtthread and esp32 dialects; QuecPython's own umqtt is umqtt.py)."""

from qpysim._runtime import current_device as _current_device

_dev = _current_device()
simple = _dev.module("umqtt.simple")
robust = _dev.module("umqtt.robust")
