"""gc: collect, and the Python heap as the module reports it.

The figures are an emulated heap of the module's size, not the PC's memory:
they move with what the script holds open (sockets, threads), deterministically.
"""

import gc as _host_gc

from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_HEAP = 1024 * 1024
_enabled = [True]
_threshold = [-1]


def collect():
    _host_gc.collect()


def mem_alloc():
    return 60 * 1024 + 2 * 1024 * _dev.modem.open_sockets() + 8 * 1024 * len(_dev._live_threads(True))


def mem_free():
    return _HEAP - mem_alloc()


def enable():
    _enabled[0] = True


def disable():
    _enabled[0] = False


def isenabled():
    return _enabled[0]


def threshold(amount=None):
    if amount is None:
        return _threshold[0]
    _threshold[0] = amount
