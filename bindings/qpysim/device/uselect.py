"""uselect (select): poll() and select() over device sockets, in device time.

Event bits are MicroPython's: POLLIN 1, POLLOUT 4, POLLERR 8, POLLHUP 16,
POLLNVAL 32. Any object with an ioctl(3, mask) method can be polled too (an
io.IOBase subclass on the module), asked with the mask it was registered with;
a negative answer is OSError(-answer) (extmod/modselect.c:309-316, py/modio.c
iobase_ioctl; the same in QuecPython @93ac4925). Results come in the order the
objects were registered. ipoll() is the poll object itself as an iterator and
hands out one result tuple, refilled for each ready object, as
modselect.c:582-625 does: keep `(obj, ev)` by unpacking it, not the tuple.
"""

from qpysim import _core
from qpysim._runtime import current_device as _current_device

from ._common import OSError as _OSError
from ._common import need_int as _int

_dev = _current_device()
_modem = _dev.modem

POLLIN = 1
POLLOUT = 4
POLLERR = 8
POLLHUP = 16
POLLNVAL = 32
_MP_STREAM_POLL = 3
_ONESHOT = 1  # ipoll flags


def _core_socket(obj):
    return getattr(obj, "_s", None) if type(obj).__name__ == "socket" else None


def _ask(obj, mask):
    """A Python object's poll answer: ioctl(MP_STREAM_POLL, mask)."""
    ev = _int(obj.ioctl(_MP_STREAM_POLL, mask), "ioctl() result")
    if ev < 0:
        raise _OSError(-ev)
    return ev


class _Result(tuple):
    """ipoll()'s one (obj, events) tuple, refilled for each ready object."""

    def __new__(cls):
        self = tuple.__new__(cls, (None, 0))
        self._items = (None, 0)
        return self

    def __getitem__(self, i):
        return self._items[i]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return 2

    def __eq__(self, other):
        return self._items == other

    def __ne__(self, other):
        return self._items != other

    def __hash__(self):
        return hash(self._items)

    def __repr__(self):
        return repr(self._items)


class poll:
    def __init__(self):
        self._entries = {}  # id(obj) -> [obj, mask], in registration order
        self._result = None
        self._pending = []

    def register(self, obj, eventmask=POLLIN | POLLOUT):
        _int(eventmask, "eventmask")
        entry = self._entries.get(id(obj))
        if entry is None:
            self._entries[id(obj)] = [obj, eventmask]
        else:
            entry[1] = eventmask

    def unregister(self, obj):
        self._entries.pop(id(obj), None)

    def modify(self, obj, eventmask):
        _int(eventmask, "eventmask")
        if id(obj) not in self._entries:
            raise _OSError(2)  # ENOENT
        self._entries[id(obj)][1] = eventmask

    def _ready(self, timeout_s):
        """[(entry, events)] of the ready objects, in registration order."""
        entries = [(e, _core_socket(e[0])) for e in self._entries.values()]
        native = [(e, core) for e, core in entries if core is not None]
        asked = [e for e, core in entries if core is None]
        deadline = None if timeout_s is None else _modem.now() + timeout_s
        while True:
            events = {id(e): _ask(e[0], e[1]) for e in asked}
            ready = any(events.values())
            left = None if deadline is None else max(0.0, deadline - _modem.now())
            # Objects the core cannot watch are asked again every 10 ms.
            wait = 0 if ready else (left if not asked else (0.01 if left is None else min(left, 0.01)))
            if native:
                found = _core.poll(_modem, [(core, e[1]) for e, core in native], wait)
                events.update((id(e), ev) for (e, _), ev in zip(native, found))
                ready = ready or any(found)
            elif wait:
                _modem.sleep(wait)
            elif wait is None:
                # Nothing to watch and no timeout: the device waits for ever, in
                # device time (this used to spin the PC's CPU without time passing).
                _modem.sleep(3600)
            if ready or (left is not None and left <= 0):
                return [(e, events[id(e)]) for e, _ in entries if events.get(id(e))]

    @staticmethod
    def _timeout(timeout):
        """Seconds to wait, None for ever: `timeout` is an int of ms, -1 or None
        for ever, as extmod/modselect.c reads it (mp_obj_get_int)."""
        if timeout is None or _int(timeout, "timeout") < 0:
            return None
        return timeout / 1000

    def poll(self, timeout=-1):
        """[(obj, events)] ready within timeout ms (-1 or None: wait for one)."""
        return [(e[0], ev) for e, ev in self._ready(self._timeout(timeout))]

    def ipoll(self, timeout=-1, flags=0):
        _int(flags, "flags")
        self._pending = self._ready(self._timeout(timeout))
        self._oneshot = bool(flags & _ONESHOT)
        if self._result is None:
            self._result = _Result()
        return self

    def __iter__(self):
        return self

    def __next__(self):
        if not self._pending:
            raise StopIteration
        entry, ev = self._pending.pop(0)
        if self._oneshot:  # not polled again until its mask is set anew
            entry[1] = 0
        self._result._items = (entry[0], ev)
        return self._result


def select(rlist, wlist, xlist, timeout=None):
    p = poll()
    for obj in rlist:
        p.register(obj, POLLIN)
    for obj in wlist:
        mask = p._entries.get(id(obj), [obj, 0])[1]
        p.register(obj, mask | POLLOUT)
    for obj in xlist:
        p._entries.setdefault(id(obj), [obj, 0])
    ready = p.poll(-1 if timeout is None else int(timeout * 1000))
    r = [o for o, ev in ready if ev & (POLLIN | POLLHUP | POLLERR) and o in rlist]
    w = [o for o, ev in ready if ev & POLLOUT and o in wlist]
    x = [o for o, ev in ready if ev & POLLERR and o in xlist]
    return r, w, x
