"""uio (io): in-memory streams, and open() on the device filesystem."""

import io as _host_io
from io import BytesIO, StringIO  # noqa: F401

from qpysim._runtime import current_device as _current_device

_dev = _current_device()


# The types of what the device's open() returns: text files are TextIOWrapper,
# binary ones FileIO (MICROPY_PY_IO_FILEIO is on in QuecPython,
# ports/quectel/mpconfigport.h:75; Quectel's own apps test them, e.g.
# solution-minimal-DTU's logging.py: isinstance(stream, io.TextIOWrapper)).
TextIOWrapper = _host_io.TextIOWrapper
FileIO = _host_io.BufferedIOBase


class IOBase:
    """The base of streams written in Python (py/modio.c:40-112; on in QuecPython,
    whose ROM level is EXTRA_FEATURES, ports/quectel/mpconfigport.h:39). A
    subclass's ioctl(3, mask) is what select.poll asks it."""


def open(file, mode="r", *args, **kwargs):  # noqa: A001 - the device's open
    return _dev.fs.open(file, mode, *args, **kwargs)
