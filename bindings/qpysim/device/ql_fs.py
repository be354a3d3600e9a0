"""ql_fs: QuecPython's file helpers, inside the device's /usr.

As the firmware's ports/quectel/py/ql_fs.py (QuecPython/micropython@93ac4925):
path_exists(path) (l.30), file_copy(dst, src) -> bool (l.43), path_dirname(path)
(l.58), path_getsize(path), which raises ql_fs.FileNotFoundError("can not find:
'<path>'") for a missing file (l.76-80), mkdirs(dir) (l.83), rmdirs(dir), which empties and removes a folder (l.94),
touch(file, data, i=1, file_type="json") -> 0, or -1 if writing fails, making the
folders on the way (l.108-124), write_json(file, data) (l.127) and
read_json(file) -> the data, or None for a missing file (l.131-136).
"""

from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_uos = _dev.module("uos")
_ujson = _dev.module("ujson")
_open = _dev.fs.open


class FileNotFoundError(Exception):  # noqa: A001 - the firmware's own name
    def __init__(self, value):
        self.value = value

    def __str__(self):
        return repr(self.value)


def path_exists(path):
    if not path:
        return False
    try:
        return bool(_uos.stat(path))
    except Exception:  # noqa: BLE001
        return False


def file_copy(dstFile, srcFile):
    if not path_exists(srcFile):
        return False
    with _open(dstFile, "wb+") as dst, _open(srcFile, "rb") as src:
        chunk = src.read(4096)
        while chunk:
            dst.write(chunk)
            chunk = src.read(4096)
    return True


def path_dirname(path):
    if not path:
        return ""
    pos = path.rfind("/")
    if pos < 0:
        return ""
    return "/" if pos == 0 else path[:pos]


def path_getsize(path):
    if not path_exists(path):
        raise FileNotFoundError("can not find: '%s'" % path)
    return _uos.stat(path)[-4]


def mkdirs(dir):
    parts = dir.split("/")
    current = parts[0]
    for i in range(len(parts)):
        if current and not path_exists(current):
            _uos.mkdir(current)
        if i == len(parts) - 1:
            break
        current = current + "/" + parts[i + 1]


def rmdirs(dir):
    for name in _uos.listdir(dir):
        item = dir + "/" + name
        if int(_uos.stat(item)[0]) & 0x4000:
            rmdirs(item)
        else:
            _uos.remove(item)
    # The firmware removes the emptied folder with uos.remove(), which its
    # file system takes for an empty folder [inferred]; qpysim's uos.remove()
    # refuses folders, so the emptied one goes with uos.rmdir().
    _uos.rmdir(dir)


def touch(file, data, i=1, file_type="json"):
    i = file.find("/", i)
    while i != -1:
        if not path_exists(file[:i]):
            _uos.mkdir(file[:i])
        i = file.find("/", i + 1)
    try:
        with _open(file, "w") as f:
            f.write(_ujson.dumps(data) if file_type == "json" else data)
    except Exception:  # noqa: BLE001
        return -1
    return 0


def write_json(file, data):
    return touch(file, data)


def read_json(file):
    if not path_exists(file):
        return None
    with _open(file, "r") as f:
        return _ujson.load(f)
