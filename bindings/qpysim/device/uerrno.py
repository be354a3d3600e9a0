"""uerrno (errno): MicroPython's error numbers and names."""

from qpysim._oserror import NAMES as _NAMES

errorcode = dict(_NAMES)
globals().update({name: number for number, name in _NAMES.items()})
