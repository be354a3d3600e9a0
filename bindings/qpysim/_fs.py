"""The device filesystem: /usr is a host folder, and nothing else exists.

Every path a device script gives (to open(), uos...) is resolved against the
device's root and checked to stay inside the host folder, symlinks included,
so a script can never read or write anything else on the PC. Errors are the
device's: OSError(2) ENOENT for anything outside /usr.
"""

from __future__ import annotations

import builtins
import errno
import os
import posixpath
import stat

from ._oserror import OSError as DeviceOSError

ENOENT, EEXIST, EACCES, EISDIR, ENOTDIR, EINVAL, ENOTEMPTY = 2, 17, 13, 21, 20, 22, 39

_HOST_TO_DEVICE = {
    errno.ENOENT: ENOENT,
    errno.EEXIST: EEXIST,
    errno.EACCES: EACCES,
    errno.EPERM: EACCES,
    errno.EISDIR: EISDIR,
    errno.ENOTDIR: ENOTDIR,
    errno.EINVAL: EINVAL,
    errno.ENOTEMPTY: ENOTEMPTY,
}


def device_error(e: builtins.OSError) -> DeviceOSError:
    """The device's OSError for a host filesystem error."""
    return DeviceOSError(_HOST_TO_DEVICE.get(e.errno or 0, 5))  # EIO otherwise


class DeviceFS:
    def __init__(self, root: str | None = None):
        self.root: str | None = None  # the PC folder behind /usr, resolved
        self.cwd = "/usr"
        if root is not None:
            self.set_root(root)

    def set_root(self, root) -> None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"fs must be a folder path, not {type(root).__name__}")
        if not os.path.isdir(root):
            raise ValueError(f"fs: {str(root)!r} is not a folder (it becomes the device's /usr)")
        self.root = os.path.realpath(root)

    # -------------------------------------------------------------- paths

    def normalize(self, path) -> str:
        """An absolute, normalised device path."""
        if isinstance(path, bytes):
            path = path.decode()
        if not isinstance(path, str):
            raise TypeError(f"path must be a str, not {type(path).__name__}")
        if not path:
            raise DeviceOSError(ENOENT)
        full = path if path.startswith("/") else posixpath.join(self.cwd, path)
        full = posixpath.normpath(full)
        return "/" + full.lstrip("/") if full != "/" else "/"

    def host(self, path) -> str:
        """The host path behind a device path inside /usr; OSError(ENOENT) otherwise."""
        dev = self.normalize(path)
        if self.root is None or not (dev == "/usr" or dev.startswith("/usr/")):
            raise DeviceOSError(ENOENT)
        host = os.path.join(self.root, *dev[len("/usr"):].split("/")[1:])
        if not self.inside(host):
            raise DeviceOSError(ENOENT)
        return host

    def inside(self, host) -> bool:
        """Whether a host path stays in the folder: no symlink leads out of it,
        and it is not a file with a second hard link, which could be anywhere
        on the PC (a file that does not exist yet is inside: creating it is)."""
        if self.root is None:
            return False
        real = os.path.realpath(host)
        if real != self.root and not real.startswith(os.path.join(self.root, "")):
            return False
        try:
            st = os.stat(real)
        except builtins.OSError:
            return True
        return not (stat.S_ISREG(st.st_mode) and st.st_nlink > 1)

    def device_path(self, host_path) -> str:
        """The /usr/... name of a PC path inside the folder; the PC path otherwise."""
        host_path = os.fspath(host_path)
        if self.root is not None:
            real = os.path.realpath(host_path)
            if real == self.root:
                return "/usr"
            if real.startswith(os.path.join(self.root, "")):
                return "/usr/" + real[len(os.path.join(self.root, "")):].replace(os.sep, "/")
        return host_path

    # -------------------------------------------------------------- the builtin open()

    def open(self, file, mode="r", buffering=-1, encoding=None, errors=None, newline=None,
             closefd=True, opener=None):
        if isinstance(file, int) or opener is not None or not closefd:
            raise TypeError("open() takes a device path")
        host = self.host(file)
        if "b" not in mode:
            # The module's files are UTF-8 and lines end in "\n" alone, whatever
            # the PC's locale (cp936 on a Chinese Windows) or line endings.
            encoding = encoding or "utf-8"
            newline = "\n" if newline is None else newline
        try:
            return builtins.open(host, mode, buffering, encoding, errors, newline)
        except builtins.OSError as e:
            raise device_error(e) from None

    # -------------------------------------------------------------- uos

    def listdir(self, path=None) -> list[str]:
        dev = self.normalize(self.cwd if path is None else path)
        if dev == "/":
            return ["usr"]
        host = self.host(dev)
        try:
            return sorted(os.listdir(host))
        except builtins.OSError as e:
            raise device_error(e) from None

    def ilistdir(self, path=None):
        dev = self.normalize(self.cwd if path is None else path)
        for name in self.listdir(dev):
            st = self.stat(posixpath.join(dev, name))
            yield (name, 0x4000 if st[0] & 0x4000 else 0x8000, 0, st[6])

    def stat(self, path) -> tuple:
        dev = self.normalize(path)
        if dev == "/":
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        host = self.host(dev)
        try:
            st = os.stat(host)
        except builtins.OSError as e:
            raise device_error(e) from None
        kind = 0x4000 if os.path.isdir(host) else 0x8000
        mtime = int(st.st_mtime)
        return (kind, 0, 0, 0, 0, 0, st.st_size if kind == 0x8000 else 0, mtime, mtime, mtime)

    def remove(self, path) -> None:
        host = self.host(path)
        if os.path.isdir(host):
            raise DeviceOSError(EISDIR)
        self._call(os.remove, host)

    def rename(self, old, new) -> None:
        self._call(os.rename, self.host(old), self.host(new))

    def mkdir(self, path) -> None:
        self._call(os.mkdir, self.host(path))

    def rmdir(self, path) -> None:
        host = self.host(path)
        if self.normalize(path) == "/usr":
            raise DeviceOSError(EACCES)
        self._call(os.rmdir, host)

    def chdir(self, path) -> None:
        dev = self.normalize(path)
        if dev != "/" and not os.path.isdir(self.host(dev)):
            raise DeviceOSError(ENOENT)
        self.cwd = dev

    def getcwd(self) -> str:
        return self.cwd

    @staticmethod
    def _call(fn, *args):
        try:
            fn(*args)
        except builtins.OSError as e:
            raise device_error(e) from None
