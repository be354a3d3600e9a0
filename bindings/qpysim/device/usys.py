"""usys (sys): the device's sys module."""

import sys as _host_sys

from qpysim._runtime import current_device as _current_device
from qpysim._runtime import print_exception as _print_exception

_dev = _current_device()


class _Std:
    """Follows whatever stream the run has in place (the runner watches them)."""

    def __init__(self, name):
        self._name = name

    def write(self, s):
        return getattr(_host_sys, self._name).write(s)

    def read(self, n=-1):
        return getattr(_host_sys, self._name).read(n)

    def readline(self):
        return getattr(_host_sys, self._name).readline()

    def flush(self):
        getattr(_host_sys, self._name).flush()


stdin = _Std("stdin")
stdout = _Std("stdout")
stderr = _Std("stderr")

argv = list(_host_sys.argv)
path = ["", "/usr", "/usr/lib"]
modules = {}
# MICROPY_PY_SYS_PLATFORM of each port: "linux" for the unix port on Linux,
# "esp32", "rt-thread"; QuecPython's own.
platform = {"micropython": "linux", "esp32": "esp32",
            "rtthread": "rt-thread"}.get(_dev.dialect.name, "quecpython")
byteorder = "little"
maxsize = 2147483647
version = "3.4.0; MicroPython v1.13 on 2025-04-02"
version_info = (3, 4, 0)
class _Implementation(tuple):
    """(name, version, _mpy) with attribute access, as MicroPython's."""

    name = property(lambda self: self[0])
    version = property(lambda self: self[1])
    _mpy = property(lambda self: self[2])


implementation = _Implementation(("micropython", (1, 13, 0), 2565))


def print_exception(exc, file=stdout):
    """Print exc with its traceback (MicroPython's default file is stdout)."""
    _print_exception(exc, file)


def exit(retval=0):
    raise SystemExit(retval)


def exc_info():
    return _host_sys.exc_info()
