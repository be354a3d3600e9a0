"""uerrno (errno): the error numbers and names of this device's firmware.

MicroPython's numbering, with the socket errors renumbered where the dialect's
C library numbers them differently (ESP32: newlib, ETIMEDOUT 116) or the module's
stack does (BG95: QAPI).
"""

from qpysim import _core
from qpysim._oserror import NAMES as _NAMES
from qpysim._runtime import current_device as _current_device

_dev = _current_device()

_numbers = {name: number for number, name in _NAMES.items()}
for _number, _name in _core.errno_table(_dev.dialect.name, _dev.profile.model).values():
    if _name and _number > 0:
        _numbers[_name] = _number

errorcode = {number: name for name, number in sorted(_numbers.items())}
globals().update(_numbers)
del _number, _name
