"""`qpysim run`: build the module the command line describes and run the script."""

from __future__ import annotations

import sys
from pathlib import Path

from . import _core
from ._runtime import Device


def scenario_dir() -> str:
    """Where the shipped scenarios are: in the wheel, or the source tree."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "scenarios", here.parent.parent / "scenarios"):
        if candidate.is_dir():
            return str(candidate)
    return str(here / "scenarios")


def _say(verbosity: int, text: str) -> None:
    if verbosity >= 0:
        sys.stderr.write(f"qpysim: {text}\n")
        sys.stderr.flush()


def run(options: dict) -> int:
    verbosity = options.get("verbosity", 0)
    _core.set_log_verbosity(verbosity)
    clock = options.get("clock") or "auto"
    try:
        modem = _core.Modem(
            scenario=options.get("scenario"),
            clock=None if clock == "auto" else clock,
            module=options.get("module"),
            dialect=options.get("dialect"),
            seed=options.get("seed"),
            trace=options.get("trace"),
        )
    except ValueError as e:
        sys.stderr.write(f"qpysim: {e}\n")
        return 2
    device = Device(modem, fs=options.get("fs"))
    _say(verbosity, f"{modem.profile.model} ({modem.dialect.name}), {modem.clock} time, "
                    f"seed {modem.seed}")
    result = device.run(
        options["script"],
        options.get("args") or (),
        expect=options.get("expect") or (),
        fail_text=options.get("fail_text") or (),
        timeout=options.get("timeout"),
    )
    if result.status != 0 or verbosity > 0:
        _say(verbosity, f"{result.reason} (exit {result.status}, device time {modem.now():.3f} s)")
    return result.status
