"""The module's GPIO pins as the PC sees them: Device.pin(n).

A pin the app drives (Pin.OUT) shows the PC the level it wrote, and `changes`
keeps each change with its device time (an LED's blinks). A pin the app
reads (Pin.IN) reads, first, the level a scenario's `pin` fault holds it at
(kept by the core, so a timeline presses a button and a seed replays it);
then what a test sets with `.level`; then its pull when nothing drives it:
PULL_PU reads 1, PULL_PD and PULL_DISABLE 0.
"""

from __future__ import annotations

import threading

from . import _core

# GPIO1..GPIO47 on every model: the firmware's count per platform (PLAT_GPIO_NUM,
# machine_pin.c:132) is in Helios's headers, which are not public.
GPIO_COUNT = _core.GPIO_COUNT


class PinLine:
    """One GPIO of one module: the app's side and the PC's."""

    def __init__(self, number: int, device=None):
        self.number = number
        self._dev = device
        # Until the app opens the pin (Pin sets the firmware's default, OUT:
        # machine_pin.c:148-151), nothing on the module drives it: it reads
        # what the PC drives.
        self.direction = 0
        self.pull = 0
        self._output = 0  # what the app drives
        self.changes: list[tuple[float, int]] = []  # (device time s, level) the app drove
        self._driven = None  # what the PC drives, None: nothing
        self._lock = threading.Lock()
        self.watchers = []  # called with (old, new) when the PC changes the level
        self._seen = None  # the level the watchers last saw

    @property
    def level(self) -> int:
        """The level on the pin as the PC sees it."""
        with self._lock:
            return self._read()

    @level.setter
    def level(self, value) -> None:
        if value not in (0, 1, None):
            raise ValueError(f"pin level must be 0, 1 or None (not driven), not {value!r}")
        with self._lock:
            self._seen = self._read()
            self._driven = value
        self.changed()

    def changed(self) -> None:
        """Something outside the app moved the pin (a test, a fault): the
        watchers hear of an edge."""
        with self._lock:
            old, new = self._seen, self._read()
            self._seen = new
            watchers = list(self.watchers) if old is not None and new != old else []
        for watch in watchers:
            watch(old, new)

    @property
    def output(self) -> int:
        return self._output

    @output.setter
    def output(self, value: int) -> None:
        if value != self._output and self.direction == 1 and self._dev is not None:
            self.changes.append((self._dev.modem.now(), value))
        self._output = value

    def _read(self) -> int:
        if self.direction == 1:
            return self._output
        held = None if self._dev is None else self._dev.modem.pin_drive(self.number)
        if held is not None:
            return held
        if self._driven is not None:
            return self._driven
        return 1 if self.pull == 1 else 0

    def read(self) -> int:
        with self._lock:
            self._seen = self._read()
            return self._seen
