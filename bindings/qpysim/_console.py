"""The device's console under a run: stdout and stderr pass through to the PC,
are kept for the RunResult and Device.expect, and are watched for the run's
--expect and --fail-text texts."""

from __future__ import annotations

import io
import threading
from collections import deque

from . import _core
from ._result import REASON_EXPECT, REASON_FAIL_TEXT, RunResult

DeviceHalt = _core.DeviceHalt

_RETIRED_STREAMS: list = []  # see _OutputWatch.retire

# What a Device keeps of its console; beyond it, the oldest text goes (and
# the kept text says how much).
KEEP_CHARS = 8 * 1024 * 1024


class _OutputWatch(io.TextIOBase):
    """A text stream that passes writes through and watches for given texts."""

    def __init__(self, target, device, name: str = "stdout"):
        super().__init__()
        self._target = target
        self._device = device
        self._tail = ""
        self.stream_name = name

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        n = self._target.write(s)
        device = self._device
        if device is not None:
            device._watch_output(self, s)
        return n if n is not None else len(s)

    def retire(self) -> None:
        """The run is over: pass writes through, and stay alive for good.

        CPython 3.11's print() holds a borrowed reference to sys.stdout while it
        writes, so a device thread still printing when the run restores the
        streams would write through a freed object if this was the last
        reference (a crash in about one run in ten with printing threads).
        """
        self._device = None
        _RETIRED_STREAMS.append(self)

    def flush(self) -> None:
        self._target.flush()

    @property
    def encoding(self):  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")

    def isatty(self) -> bool:
        return getattr(self._target, "isatty", lambda: False)()


class _Kept:
    """The console up to KEEP_CHARS: stdout and stderr pieces in the order they
    came, each kept once; the oldest go first (and are counted per stream)."""

    def __init__(self):
        self.parts: deque = deque()  # (stream, text)
        self.size = 0
        self.dropped = {"stdout": 0, "stderr": 0}

    def add(self, stream: str, text: str) -> None:
        self.parts.append((stream, text))
        self.size += len(text)
        while self.size > KEEP_CHARS and len(self.parts) > 1:
            old_stream, old = self.parts.popleft()
            self.size -= len(old)
            self.dropped[old_stream] += len(old)

    def text(self, stream: str | None = None) -> str:
        """One stream's text, or both as the console showed them (None)."""
        dropped = sum(self.dropped.values()) if stream is None else self.dropped[stream]
        head = f"[qpysim: {dropped} earlier characters not kept]\n" if dropped else ""
        return head + "".join(t for s, t in self.parts if stream is None or s == stream)


class ConsoleMixin:
    """What the script printed, for RunResult, Device.output and Device.expect."""

    def _console_init(self) -> None:
        self._expect: list[str] = []
        self.expect_pending: list[str] = []
        self._fail_text: list[str] = []
        self._kept = _Kept()
        self._console_lock = threading.Lock()
        self._lines: list[tuple[float, str]] = []  # complete console lines, device time
        self._line_start = 0  # index in the whole run of self._lines[0]
        self._partial = ""
        self._expect_from = 0  # the next line Device.expect looks at
        self._line_signal: _core.Semaphore | None = None
        self._runner_ident = 0  # the thread in Device.run: its writes are the device's
        self._main_done = False  # the script's main thread has returned

    def _device_writer(self) -> bool:
        ident = threading.get_ident()
        return ident == self._runner_ident or ident in self._threads

    def _record(self, stream: str, text: str) -> None:
        with self._console_lock:
            self._kept.add(stream, text)
            pieces = (self._partial + text).split("\n")
            self._partial = pieces.pop()
            if not pieces:
                return
            now = self.modem.now()
            self._lines.extend((now, line) for line in pieces)
            if len(self._lines) > 100_000:  # consumed or not, keep the newest
                cut = len(self._lines) - 100_000
                del self._lines[:cut]
                self._line_start += cut
            signal = self._line_signal
        if signal is not None:
            signal.release()

    def _console_flush(self) -> None:
        """The run is over: a last line without a newline is a line too."""
        with self._console_lock:
            if self._partial:
                self._lines.append((self.modem.now(), self._partial))
                self._partial = ""
            signal = self._line_signal
        if signal is not None:
            signal.release()

    def _thread_ended(self, main: bool = False) -> None:
        """A device thread ends (still holding its turn): a test waiting in
        expect() wakes at this device time and looks whether the run is over."""
        if main:
            self._main_done = True
        signal = self._line_signal
        if signal is not None:
            try:
                signal.release()
            except BaseException:  # noqa: BLE001 - a halted module: nobody waits
                pass

    def _running_on(self) -> bool:
        """After the main script: does anything keep the module running?"""
        with self._threads_lock:
            threads = any(not t.ended and not t.daemon for t in self._threads.values())
        listening = bool(self._callbacks) and self.modem.events_ahead() > 0
        return threads or self.busy_timers > 0 or listening

    def _fill(self, result: RunResult) -> RunResult:
        with self._console_lock:
            result.stdout, result.stderr, result.output = (
                self._kept.text(k) for k in ("stdout", "stderr", None))
        return result

    @property
    def output(self) -> str:
        """What the script has printed so far, stdout and stderr as the console shows them."""
        with self._console_lock:
            return self._kept.text()

    def expect(self, pattern, timeout: float = 30.0):
        """Wait for a line of the device's console that matches `pattern` (a
        regular expression: str, bytes or re.Pattern, searched in each line)
        and return the re.Match.

        `timeout` is in device seconds. Lines are looked at once: the next
        expect() starts after the line that matched. Between calls the device
        waits for the test in virtual time (Device.start), so what the test
        does next happens at the device time of the match.
        Raises AssertionError with the console's last lines if the run ends
        or the time passes first.
        """
        import re

        if isinstance(pattern, bytes):
            pattern = pattern.decode("utf-8")
        if isinstance(pattern, str):
            pattern = re.compile(pattern)
        elif not isinstance(pattern, re.Pattern):
            raise TypeError(f"expect() pattern must be str, bytes or re.Pattern, "
                            f"not {type(pattern).__name__}")
        if (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                or not 0 <= timeout < 1e9):
            raise ValueError(f"expect() timeout must be device seconds from 0 to 1e9, "
                             f"got {timeout!r}")
        if self._line_signal is None:
            self._line_signal = _core.Semaphore(self.modem, 0, 1)
        deadline = self.modem.now() + timeout
        while True:
            with self._console_lock:
                start = max(self._expect_from - self._line_start, 0)
                for i in range(start, len(self._lines)):
                    stamp, line = self._lines[i]
                    if stamp > deadline:
                        break
                    m = pattern.search(line)
                    if m:
                        self._expect_from = self._line_start + i + 1
                        return m
                self._expect_from = self._line_start + len(self._lines)
            remaining = deadline - self.modem.now()
            over = self._background_over()
            if over or remaining <= 0:
                break
            if self._main_done and not self._running_on():
                # The run ends at this device time: let it (wall time), so
                # device time is not moved on to the deadline meanwhile.
                self._await_background_end()
                continue
            try:
                self._line_signal.acquire(remaining)
            except DeviceHalt:
                self._await_background_end()
        tail = "\n".join(line for _, line in self._lines[-20:])
        why = (f"the run ended ({over})" if over else
               f"{timeout} s of device time passed (device time {self.modem.now():.3f} s)")
        raise AssertionError(f"no console line matched {pattern.pattern!r}: {why}. "
                             f"The console's last lines:\n{tail}")

    def _watch_output(self, stream: _OutputWatch, text: str) -> None:
        if self._device_writer():
            self._record(stream.stream_name, text)
        if not self._expect and not self._fail_text:
            return
        longest = max(len(t) for t in self._expect + self._fail_text)
        window = stream._tail + text
        stream._tail = window[-(longest - 1):] if longest > 1 else ""
        if self._stop is None:
            failed = next((t for t in self._fail_text if t in window), None)
            if failed is not None:
                self._request_stop(RunResult(1, f"{REASON_FAIL_TEXT}: {failed!r}"))
            elif self.expect_pending:
                self.expect_pending = [t for t in self.expect_pending if t not in window]
                if not self.expect_pending:
                    self._request_stop(RunResult(0, f"{REASON_EXPECT}: "
                                                    f"{', '.join(map(repr, self._expect))}"))
        if self._stop is not None and text.endswith("\n"):
            # Stop once the line that matched is complete, as a reader of the
            # device's console would see it.
            self._halt_self()
