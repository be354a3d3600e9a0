"""uos: the device filesystem (/usr only) and the module's identity."""

from collections import namedtuple as _namedtuple

from qpysim._runtime import current_device as _current_device

from ._common import need_int as _int

_dev = _current_device()
_fs = _dev.fs
_profile = _dev.profile

_uname = _namedtuple("uname_result", ["sysname", "nodename", "release", "version", "machine", "qpyver"])
_port_uname = _namedtuple("uname_result", ["sysname", "nodename", "release", "version", "machine"])
_FS_BYTES = 1536 * 1024  # the user partition's size on these modules
_BLOCK = 4096


def uname():
    """QuecPython: a tuple of 'key=value' strings, as the firmware returns it.
    Other ports: the named tuple (sysname, nodename, release, version, machine)."""
    u = uname2()
    if not _dev.dialect.quectel_modules:
        return _port_uname(u.sysname, u.nodename, "1.22.0", "v1.22.0 on 2024-01-05",
                           "%s with %s" % (_profile.model, _profile.platform))
    return tuple("%s=%s" % (k, v) for k, v in zip(u._fields, u))


def uname2():
    return _uname(_profile.sysname, _profile.model, "1.13.0", "v1.13 on 2025-04-02",
                  "%s with QUECTEL" % _profile.model, "V0004")


def listdir(dir=None):
    return _fs.listdir(dir)


def ilistdir(dir=None):
    return _fs.ilistdir(dir)


def stat(path):
    return _fs.stat(path)


def remove(path):
    _fs.remove(path)


def rename(old_path, new_path):
    _fs.rename(old_path, new_path)


def mkdir(path):
    _fs.mkdir(path)


def rmdir(path):
    _fs.rmdir(path)


def chdir(path):
    _fs.chdir(path)


def getcwd():
    return _fs.getcwd()


def _used(path="/usr"):
    total = 0
    for name, kind, _, size in _fs.ilistdir(path):
        sub = path.rstrip("/") + "/" + name
        total += _used(sub) if kind == 0x4000 else (size + _BLOCK - 1) // _BLOCK * _BLOCK
    return total


def statvfs(path):
    _fs.stat(path)
    blocks = _FS_BYTES // _BLOCK
    free = max(0, blocks - _used() // _BLOCK)
    return (_BLOCK, _BLOCK, blocks, free, free, 0, 0, 0, 0, 255)


def urandom(n):
    _int(n, "n")
    return _dev.module("urandom").getrandbytes(n)


def sync():
    pass


sep = "/"
