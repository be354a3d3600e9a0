"""The module's GPIO pins as the PC sees them: Device.pin(n).

A pin the app drives (Pin.OUT) shows the PC the level it wrote; a pin the app
reads (Pin.IN) reads what the PC (a test, a scenario) sets with `.level`, or
its pull when nothing drives it: PULL_PU reads 1, PULL_PD and PULL_DISABLE 0.
"""

from __future__ import annotations

import threading

GPIO_COUNT = 47  # GPIO1..GPIO47 on every model (the count per model is not modelled)


class PinLine:
    """One GPIO of one module: the app's side and the PC's."""

    def __init__(self, number: int):
        self.number = number
        self.direction = 1  # Pin.OUT, the firmware's default (machine_pin.c:148-151)
        self.pull = 0
        self.output = 0  # what the app drives
        self._driven = None  # what the PC drives, None: nothing
        self._lock = threading.Lock()
        self.watchers = []  # called with (old, new) when the PC changes the level

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
            old = self._read()
            self._driven = value
            new = self._read()
            watchers = list(self.watchers) if new != old else []
        for watch in watchers:
            watch(old, new)

    def _read(self) -> int:
        if self.direction == 1:
            return self.output
        if self._driven is not None:
            return self._driven
        return 1 if self.pull == 1 else 0

    def read(self) -> int:
        with self._lock:
            return self._read()


class PinsMixin:
    """Device.pin(n): the module's GPIOn as the PC sees it."""

    def pin(self, number: int) -> PinLine:
        if isinstance(number, bool) or not isinstance(number, int) or \
                not 1 <= number <= GPIO_COUNT:
            raise ValueError(f"pin: number must be 1..{GPIO_COUNT} (GPIO1..GPIO{GPIO_COUNT}), "
                             f"not {number!r}")
        pins = self.__dict__.setdefault("_pin_lines", {})
        with self._import_lock:
            if number not in pins:
                pins[number] = PinLine(number)
            return pins[number]
