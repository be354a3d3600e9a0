"""A device script run in the background of a test: Device.start, wait, close.

The model is pytest-embedded's DUT: start the script, expect() lines of its
console, act on the device (faults, peers), wait() for the result. In virtual
time the test's thread is a device thread while the script runs: the device
waits for it between expect() calls, so whatever the test does lands at a
fixed device time and a run repeats from its seed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

from . import _core
from ._result import REASON_CLOSED, REASON_TIME_LIMIT, RunResult

DeviceHalt = _core.DeviceHalt

# Wall-time bound for a run to finish once its module is halted (device
# threads get DeviceHalt; one spinning gets it after a grace period).
_JOIN_AFTER_HALT = 30.0


class BackgroundMixin:
    def _background_init(self) -> None:
        self._bg_thread: threading.Thread | None = None
        self._bg_result: RunResult | None = None
        self._bg_error: BaseException | None = None
        self._bg_tester = 0  # the thread that started it, a device thread meanwhile
        self._closed = False
        self.script: str | None = None  # the last script run (for a replay command)
        self.argv: tuple = ()

    def __repr__(self) -> str:
        return (f"<qpysim.Device {self.profile.model} ({self.dialect.name}), "
                f"{self.modem.clock} time, seed {self.modem.seed}>")

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, script: str, argv: Iterable[str] = (), *, timeout: float | None = None,
              expect: Iterable[str] = (), fail_text: Iterable[str] = ()) -> "BackgroundMixin":
        """Run a device script in the background; returns the device.

        Then expect() lines, act on the device, and wait() for the RunResult.
        `timeout` bounds the run in device seconds (as `qpysim run --timeout`).
        """
        if self._closed:
            raise RuntimeError("this Device is closed")
        if self._bg_thread is not None:
            raise RuntimeError("this Device has run a script already; a Device runs one")
        if not isinstance(script, (str, os.PathLike)) or not os.path.isfile(script):
            raise FileNotFoundError(f"start(): no script file {script!r}")
        argv = tuple(argv)
        if timeout is not None:
            self.modem.halt_after(timeout, REASON_TIME_LIMIT)
        virtual = self.modem.clock == "virtual"
        if virtual:
            # The test's thread first, then the script's main thread: both
            # registered here, in this order, so the schedule never depends on
            # when the new thread gets going.
            self.modem.attach_thread("test")
            self._bg_tester = threading.get_ident()
        ticket = _core.spawn_thread(self.modem, "main", False) if virtual else None

        def body() -> None:
            try:
                self._bg_result = self.run(os.fspath(script), argv, expect=expect, fail_text=fail_text,
                                           _ticket=ticket)
            except BaseException as e:  # noqa: BLE001 - handed to wait()
                self._bg_error = e

        self._bg_thread = threading.Thread(target=body, name="qpysim device", daemon=True)
        self._bg_thread.start()
        return self

    def _background_over(self) -> str | None:
        """Why the background run ended, or None while it runs."""
        if self._bg_thread is None and self._runner_ident == 0:
            return "no script was started"
        running = self._bg_thread.is_alive() if self._bg_thread else not self.modem.halted()
        if running and not self.modem.halted():
            return None
        return self.modem.halt_reason() or "the script ended"

    def _await_background_end(self) -> None:
        """The module halted under a waiting test: it lets the run finish."""
        self._leave_as_tester()
        if self._bg_thread is not None:
            self._bg_thread.join(_JOIN_AFTER_HALT)

    def _leave_as_tester(self) -> None:
        if self._bg_tester and self._bg_tester == threading.get_ident():
            self._bg_tester = 0
            self.modem.detach_thread()

    def wait(self, timeout: float | None = None) -> RunResult:
        """Wait for the background run to end and return its RunResult.

        `timeout`: stop it after that many more device seconds (exit status 3).
        """
        if self._bg_thread is None:
            raise RuntimeError("wait(): no script was started (Device.start)")
        if timeout is not None and self._bg_thread.is_alive():
            self.modem.halt_after(timeout, REASON_TIME_LIMIT)
        self._leave_as_tester()
        self._bg_thread.join()
        if self._bg_error is not None:
            raise self._bg_error
        assert self._bg_result is not None
        return self._bg_result

    def close(self) -> None:
        """Stop the module (and a background run), and let its threads end.

        A Device is a context manager that closes on exit; the pytest fixture
        closes it at teardown. Calling close() again does nothing.
        """
        if self._closed:
            return
        self._closed = True
        if self._bg_thread is not None and self._bg_thread.is_alive():
            self._request_stop(RunResult(1, REASON_CLOSED))
        self._leave_as_tester()
        if self._bg_thread is not None:
            self._bg_thread.join(_JOIN_AFTER_HALT)
        if not self.modem.halted():
            self.modem.halt(REASON_CLOSED)
