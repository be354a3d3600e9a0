"""How a run ends: the reasons the runner knows, and the RunResult a caller gets."""

from __future__ import annotations


from . import _core

# The halt reasons the runner uses; the exit status follows from them.
REASON_TIME_LIMIT = "the device-time limit passed"
REASON_EXPECT = "the expected text appeared"
REASON_EXPECT_MISSING = "this --expect text never appeared"
REASON_FAIL_TEXT = "the fail text appeared"
REASON_SCRIPT_ENDED = "the script ended"
REASON_CALLBACKS_DONE = "the script ended, and no event was left that could call its callbacks"
REASON_POWER_DOWN = "the script powered the module down"
REASON_RESTART = _core.RESTART_REASON  # "the script restarted the module"
REASON_INTERRUPTED = "interrupted (Ctrl-C)"
REASON_TERMINATED = "terminated (SIGTERM)"
REASON_CLOSED = "the device was closed"
REASON_WATCHDOG = "the watchdog was not fed in time and restarted the module"


class Terminated(KeyboardInterrupt):
    """SIGTERM under `qpysim run`: the run stops as for Ctrl-C, exit status 143."""


class DeviceRestart(BaseException):
    """misc.Power.powerRestart(): the module reboots and the script starts over."""


class RunResult:
    """How a run ended: the exit status, why, and what the script printed.

    ``stdout`` and ``stderr`` are the device's two streams; ``output`` is both
    as the console showed them, in order. Device.run and Device.wait fill them.
    """

    def __init__(self, status: int, reason: str, error: BaseException | None = None):
        self.status = status
        self.reason = reason
        self.error = error
        self.stdout = ""
        self.stderr = ""
        self.output = ""

    def __repr__(self) -> str:
        return f"RunResult(status={self.status}, reason={self.reason!r})"
