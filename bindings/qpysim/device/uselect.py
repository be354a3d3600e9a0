"""uselect (select): poll() and select() over device sockets, in device time.

Event bits are MicroPython's: POLLIN 1, POLLOUT 4, POLLERR 8, POLLHUP 16,
POLLNVAL 32. Any object with an ioctl(3, mask) method can be polled too.
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
_ALWAYS = POLLERR | POLLHUP | POLLNVAL
_MP_STREAM_POLL = 3


def _core_socket(obj):
    return getattr(obj, "_s", None) if type(obj).__name__ == "socket" else None


class poll:
    def __init__(self):
        self._entries = {}  # id(obj) -> [obj, mask]

    def register(self, obj, eventmask=POLLIN | POLLOUT):
        _int(eventmask, "eventmask")
        self._entries[id(obj)] = [obj, eventmask]

    def unregister(self, obj):
        self._entries.pop(id(obj), None)

    def modify(self, obj, eventmask):
        _int(eventmask, "eventmask")
        if id(obj) not in self._entries:
            raise _OSError(2)  # ENOENT
        self._entries[id(obj)][1] = eventmask

    def _ready(self, timeout_s):
        native, others = [], []
        for obj, mask in self._entries.values():
            core = _core_socket(obj)
            (native if core is not None else others).append((obj, core, mask))
        deadline = None if timeout_s is None else _modem.now() + timeout_s
        while True:
            out = [(obj, ev) for obj, _, mask in others
                   for ev in [obj.ioctl(_MP_STREAM_POLL, mask | _ALWAYS)] if ev]
            left = None if deadline is None else max(0.0, deadline - _modem.now())
            # Objects the core cannot watch are asked again every 10 ms.
            wait = 0 if out else (left if not others else (0.01 if left is None else min(left, 0.01)))
            if native:
                events = _core.poll(_modem, [(core, mask) for _, core, mask in native], wait)
                out += [(obj, ev) for (obj, _, _), ev in zip(native, events) if ev]
            elif wait:
                _modem.sleep(wait)
            elif wait is None:
                # Nothing to watch and no timeout: the device waits for ever, in
                # device time (this used to spin the PC's CPU without time passing).
                _modem.sleep(3600)
            if out or (left is not None and left <= 0):
                return out

    def poll(self, timeout=-1):
        """[(obj, events)] ready within timeout ms (-1 or None: wait for one).
        The timeout is an int, as extmod/modselect.c reads it (mp_obj_get_int)."""
        if timeout is None or _int(timeout, "timeout") < 0:
            return self._ready(None)
        return self._ready(timeout / 1000)

    def ipoll(self, timeout=-1, flags=0):
        ready = self.poll(timeout)
        if flags & 1:  # one-shot: disarm what fired
            for obj, _ in ready:
                if id(obj) in self._entries:
                    self._entries[id(obj)][1] = 0
        return iter(ready)


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
