"""_thread: device threads, locks and semaphores (waiting in device time)."""

import threading as _host_threading

from qpysim import _core
from qpysim._runtime import current_device as _current_device

from ._common import need_int as _int
from ._common import need_number as _number

_dev = _current_device()
_modem = _dev.modem
_stack = [8448]  # the firmware's default thread stack; 8192 at least


def start_new_thread(function, args, kwargs=None):
    if not callable(function):
        raise TypeError("first argument must be callable")
    if not isinstance(args, tuple):
        raise TypeError("2nd arg must be a tuple")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError("optional 3rd arg must be a dict")
    return _dev.start_thread(function, args, kwargs)


def get_ident():
    return _host_threading.get_ident()


def stack_size(size=None):
    previous = _stack[0]
    if size is not None:
        _int(size, "size")
        if size and size < 8192:
            raise ValueError("stack size must be at least 8192 bytes")
        _stack[0] = size or 8448
    return previous


def threadIsRunning(thread_id):
    return _dev.thread_running(_int(thread_id, "thread_id", word=False))


def stop_thread(thread_id):
    _int(thread_id, "thread_id", word=False)
    _dev.stop_thread(thread_id or _host_threading.get_ident())


def get_heap_size():
    return _dev.module("gc").mem_free() + 2 * 1024 * 1024  # the RTOS heap besides Python's


def exit():
    raise SystemExit


class LockType:
    """A mutex. acquire(waitflag=1, timeout=-1): timeout in seconds, device time."""

    def __init__(self):
        self._sem = _core.Semaphore(_modem, 1, 1)

    def acquire(self, waitflag=1, timeout=-1):
        _number(timeout, "timeout")
        if not waitflag:
            return self._sem.acquire(0)
        return self._sem.acquire(None if timeout < 0 else timeout)

    def release(self):
        if not self._sem.release():
            raise RuntimeError("release unlocked lock")

    def locked(self):
        return self._sem.count() == 0

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def allocate_lock():
    return LockType()


def delete_lock(lock):
    pass


class Semphore:
    """A counting semaphore; its initial count is also its maximum."""

    def __init__(self, initcount):
        _int(initcount, "initcount")
        if initcount < 1:
            raise ValueError("initcount must be at least 1")
        self._sem = _core.Semaphore(_modem, initcount, initcount)

    def acquire(self, timeout=-1):
        _number(timeout, "timeout")
        return self._sem.acquire(None if timeout < 0 else timeout)

    def release(self):
        self._sem.release()

    def getCnt(self):
        return (self._sem.max, self._sem.count())


def allocate_semphore(initcount):
    return Semphore(initcount)


def delete_semphore(semphore):
    pass
