"""queue: QuecPython's Queue for passing items between _thread threads.

As the firmware's ports/quectel/py/queue.py (QuecPython/micropython@93ac4925):
Queue(maxsize=100); put(item=None) appends and returns True, or returns False
when more than maxsize items are already waiting (so maxsize + 1 fit, l.42-46);
get() waits (in device time) until an item is there and returns the oldest;
empty(); size().
"""

from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_thread = _dev.module("_thread")


class Queue(object):
    def __init__(self, maxsize=100):
        self.maxsize = maxsize
        self._items = []
        self._guard = _thread.allocate_lock()
        self._ready = _thread.allocate_lock()  # held while nothing is waiting
        self._ready.acquire()

    def put(self, item=None):
        with self._guard:
            added = len(self._items) <= self.maxsize
            if added:
                self._items.append(item)
        if self._ready.locked():
            self._ready.release()
        return added

    def get(self):
        while True:
            if not self._items:
                self._ready.acquire()
            with self._guard:
                if self._items:
                    return self._items.pop(0)

    def empty(self):
        return not self._items

    def size(self):
        return len(self._items)
