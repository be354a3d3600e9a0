"""osTimer: `import osTimer; t = osTimer()`. The name is the class itself.

Callbacks run one at a time in the module's timer thread, as an RTOS timer
task runs them: a callback that blocks delays the others. Times are device
time; a cyclic timer's ticks do not drift.
"""

import heapq as _heapq
import threading as _host_threading

from qpysim._runtime import current_device as _current_device
from qpysim._service import DeviceService as _DeviceService

from ._common import need_int as _int

_dev = _current_device()
_modem = _dev.modem


class _Service(_DeviceService):
    """The timer thread: sleeps until the next due timer, then runs it."""

    def __init__(self):
        super().__init__(_dev, "osTimer")
        self.heap = []  # (due_ns, seq, timer, generation)
        self.seq = 0
        self.lock = _host_threading.Lock()  # held only around heap edits, never while waiting

    def schedule(self, due_ns, timer, generation):
        with self.lock:
            self.seq += 1
            _heapq.heappush(self.heap, (due_ns, self.seq, timer, generation))
        self.poke()

    def next_due(self):
        """Pop the timer that is due, or say how long to wait (None: forever)."""
        with self.lock:
            while self.heap and self.heap[0][2]._generation != self.heap[0][3]:
                _heapq.heappop(self.heap)  # stopped or restarted since
            if not self.heap:
                return None, None
            left = self.heap[0][0] - _modem.now_ns()
            if left > 0:
                return None, left / 1e9
            return _heapq.heappop(self.heap), 0

    def step(self):
        entry, wait = self.next_due()
        if entry is None:
            return wait
        due, _, timer, generation = entry
        timer._fire(due, generation)
        return 0


_service = _Service()


class osTimer:
    def __init__(self):
        self._generation = 0
        self._period_ns = 0
        self._cyclic = False
        self._callback = None
        self._active = False
        self._deleted = False

    def _set_active(self, active):
        if active != self._active:
            _dev.busy_timers += 1 if active else -1
            self._active = active

    def start(self, initialTime, cyclialEn, callback):
        """Run callback(timer) after initialTime ms, and every initialTime ms if cyclialEn."""
        if self._deleted:
            return -1
        _int(initialTime, "initialTime")
        _int(cyclialEn, "cyclialEn")
        if initialTime < 0 or not callable(callback):
            return -1
        self._generation += 1
        self._period_ns = initialTime * 1_000_000
        self._cyclic = bool(cyclialEn)
        self._callback = callback
        self._set_active(True)
        _service.schedule(_modem.now_ns() + self._period_ns, self, self._generation)
        return 0

    def stop(self):
        if self._deleted:
            return -1
        self._generation += 1
        self._set_active(False)
        return 0

    def delete_timer(self):
        if self._deleted:
            return -1
        self.stop()
        self._deleted = True
        return 0

    def _fire(self, due, generation):
        if self._cyclic:
            _service.schedule(due + max(self._period_ns, 1_000_000), self, generation)
        else:
            self._set_active(False)
        try:
            self._callback(self)
        except Exception as e:  # noqa: BLE001 - printed, as the firmware prints it
            import sys
            sys.stderr.write("Unhandled exception in osTimer callback %r\n" % (self._callback,))
            _dev.module("usys").print_exception(e, sys.stderr)
