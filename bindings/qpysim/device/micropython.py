"""micropython: const() and the interpreter's odds and ends."""

import sys as _host_sys

from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_opt = [0]
_locks = [0]


def const(expr):
    return expr


def opt_level(level=None):
    if level is None:
        return _opt[0]
    _opt[0] = level


def alloc_emergency_exception_buf(size):
    pass


def mem_info(verbose=None):
    gc = _dev.module("gc")
    print("stack: 1024 out of 16384")
    print("GC: total: %d, used: %d, free: %d" % (gc.mem_alloc() + gc.mem_free(), gc.mem_alloc(), gc.mem_free()))


def qstr_info(verbose=None):
    print("qstr pool: n_pool=1, n_qstr=0, n_str_data_bytes=0, n_total_bytes=0")


def stack_use():
    return 1024


def heap_lock():
    _locks[0] += 1
    return _locks[0] - 1


def heap_unlock():
    _locks[0] = max(0, _locks[0] - 1)
    return _locks[0]


def kbd_intr(chr):
    pass


def schedule(func, arg):
    """Run func(arg) soon, in another device thread."""
    _dev.start_thread(func, (arg,))


def __getattr__(name):
    raise AttributeError("module 'micropython' has no attribute '%s'" % name)
