"""uio (io): in-memory streams, and open() on the device filesystem."""

from io import BytesIO, StringIO  # noqa: F401

from qpysim._runtime import current_device as _current_device

_dev = _current_device()


def open(file, mode="r", *args, **kwargs):  # noqa: A001 - the device's open
    return _dev.fs.open(file, mode, *args, **kwargs)
