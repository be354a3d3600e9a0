"""DeviceService: a device daemon thread that sleeps on a core semaphore until
it has work, as the firmware's driver tasks do (osTimer's timer task, a UART's
receive task, the watchdog, ExtInt's interrupt task).

A subclass says what one turn does in step(): it returns None to sleep until
poke(), a number of seconds to sleep at most (device time), 0 to go again at
once, or STOP to end the thread. The thread starts on the first poke() (or
start()), so a module that never uses the service never runs it.
"""

from __future__ import annotations

import threading

from . import _core

STOP = object()


class DeviceService:
    def __init__(self, device, name: str):
        self._dev = device
        self._name = name
        self._wake = _core.Semaphore(device.modem, 0, 1)
        self._started = False
        self._start_lock = threading.Lock()

    def start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            self._started = True
        self._dev.start_thread(self._loop, name=self._name, daemon=True)

    def poke(self) -> None:
        """There is work: start the thread if needed and wake it."""
        self.start()
        self._wake.release()

    def step(self):
        raise NotImplementedError

    def _loop(self) -> None:
        while True:
            wait = self.step()
            if wait is STOP:
                return
            if wait != 0:
                self._wake.acquire(wait)
