"""OSError as a device script sees it.

MicroPython prints ``OSError(110)`` as ``[Errno 110] ETIMEDOUT``; CPython prints
``110`` and turns ``OSError(110, ...)`` into ``TimeoutError``. Device code gets
this subclass as its ``OSError`` builtin and the core raises it, so errors look
the same as on the module while ``except OSError`` keeps working everywhere.
"""

import builtins

# MicroPython's uerrno names, plus the ones the QuecPython socket layer raises.
NAMES = {
    1: "EPERM", 2: "ENOENT", 5: "EIO", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM",
    13: "EACCES", 17: "EEXIST", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL",
    23: "ENFILE", 28: "ENOSPC", 39: "ENOTEMPTY", 92: "ENOPROTOOPT", 95: "EOPNOTSUPP",
    98: "EADDRINUSE",
    103: "ECONNABORTED", 104: "ECONNRESET", 105: "ENOBUFS", 106: "EISCONN",
    107: "ENOTCONN", 110: "ETIMEDOUT", 111: "ECONNREFUSED", 113: "EHOSTUNREACH",
    114: "EALREADY", 115: "EINPROGRESS",
}


class OSError(builtins.OSError):  # noqa: A001 - it is the device's OSError
    __module__ = "builtins"
    __qualname__ = "OSError"

    def __init__(self, *args):
        super().__init__(*args)
        if len(args) == 1 and isinstance(args[0], int) and not isinstance(args[0], bool):
            # MicroPython's OSError.errno is args[0], named or not (py/objexcept.c:286-289).
            self.errno = args[0]
            self.strerror = NAMES.get(args[0])

    def __str__(self):
        # As MicroPython's mp_obj_exception_print: a known errno reads
        # "[Errno N] NAME" (": text" after it for a second argument), one other
        # argument reads as itself, more read as the tuple.
        # The core raises OSError(number, "NAME") with the dialect's own name
        # for the number; that pair reads as MicroPython's OSError(number).
        a = self.args
        if len(a) == 2 and isinstance(a[0], int) and isinstance(a[1], str) and \
                a[1] == NAMES.get(a[0], a[1]) and a[1][:1] == "E" and a[1].isupper():
            return f"[Errno {a[0]}] {a[1]}"
        if 0 < len(a) < 3 and isinstance(a[0], int) and not isinstance(a[0], bool) \
                and a[0] in NAMES:
            text = f"[Errno {a[0]}] {NAMES[a[0]]}"
            return text + f": {a[1]}" if len(a) == 2 else text
        if len(a) == 1:
            return str(a[0])
        return str(a) if a else ""
