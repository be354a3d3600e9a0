"""uio (io): in-memory streams, and open() on the device filesystem."""

from io import BytesIO, StringIO  # noqa: F401

from qpysim._runtime import current_device as _current_device

_dev = _current_device()


class IOBase:
    """The base of streams written in Python (py/modio.c:40-112; on in QuecPython,
    whose ROM level is EXTRA_FEATURES, ports/quectel/mpconfigport.h:39). A
    subclass's ioctl(3, mask) is what select.poll asks it."""


def open(file, mode="r", *args, **kwargs):  # noqa: A001 - the device's open
    return _dev.fs.open(file, mode, *args, **kwargs)
