"""The status line of a long `qpysim run`: device time, wall time and the
timeline's next fault, redrawn in place on the terminal. It appears after a
few seconds of wall time (QPYSIM_PROGRESS_AFTER, default 3 s), only when
stderr is a terminal or --progress asks for it, and never mixes with the
script's output: a line the script prints first erases it."""

from __future__ import annotations

import os
import threading
import time

_PERIOD = 0.5


def clock(seconds: float) -> str:
    """1:02:03.4 (device time reads better as a clock than as 3723.4 s)."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}.{int(seconds * 10) % 10}"


def _after() -> float:
    raw = os.environ.get("QPYSIM_PROGRESS_AFTER", "3")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e6:
        raise ValueError(f"QPYSIM_PROGRESS_AFTER must be seconds from 0, got {raw!r}")
    return value


class _Clearing:
    """A console stream that erases the status line before the script's text."""

    def __init__(self, target: object, progress: "Progress"):
        self._target = target
        self._progress = progress

    def write(self, s: str) -> int:
        with self._progress.lock:
            self._progress.erase()
            n = self._target.write(s)
        return n if n is not None else len(s)

    def __getattr__(self, name: str) -> object:
        return getattr(self._target, name)


class Progress:
    def __init__(self, terminal: object):
        self.terminal = terminal
        self.lock = threading.RLock()
        self.modem: object | None = None
        self._shown = False
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._delay = _after()
        self._thread = threading.Thread(target=self._run, name="qpysim progress", daemon=True)
        self._thread.start()

    @classmethod
    def for_run(cls, options: dict, terminal: object) -> "Progress" | None:
        if options.get("verbosity", 0) < 0:
            return None
        tty = getattr(terminal, "isatty", lambda: False)()
        return cls(terminal) if options.get("progress") or tty else None

    def wrap(self, stream: object) -> _Clearing:
        return _Clearing(stream, self)

    def erase(self) -> None:
        if self._shown:
            self.terminal.write("\r\x1b[K")
            self._shown = False

    def status(self) -> str:
        modem = self.modem
        text = f"qpysim: device {clock(modem.now())}, wall {time.monotonic() - self._started:.1f} s"
        nxt = modem.next_timeline_event()
        if nxt is not None:
            text += f", next: {nxt[1]} at {clock(nxt[0])}"
        return text

    def _run(self) -> None:
        if self._stop.wait(self._delay):
            return
        while not self._stop.is_set():
            if self.modem is not None:
                with self.lock:
                    try:
                        line = self.status()
                    except Exception:  # noqa: BLE001 - a module between boots
                        line = ""
                    if line:
                        self.terminal.write("\r\x1b[K" + line)
                        self.terminal.flush()
                        self._shown = True
            self._stop.wait(_PERIOD)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        with self.lock:
            self.erase()
            self.terminal.flush()
