"""Device.faults: the faults in force on a device, for tests."""

from __future__ import annotations


from . import _core


class Faults:
    """The faults in force on a device, for tests: apply, lift, list.

    The same kinds and settings as a scenario's faults (see `qpysim faults`)::

        fid = dev.faults.apply("loss", rate=0.2, match={"host": "echo.qpysim.test"})
        dev.faults.apply("pdp_down", duration=30)       # lifts itself 30 s later
        dev.faults.lift(fid)

    Values may be numbers (durations in seconds) or the scenario's text ("250ms",
    "256kbit", "5%").
    """

    def __init__(self, modem: "_core.Modem"):
        self._modem = modem

    def apply(self, kind: str, *, name: str | None = None, match: dict | None = None,
              direction: str | None = None, probability: float | None = None,
              duration: float | None = None, **settings: object) -> int:
        """Apply a fault now; returns its id (0 for one that happens at once: reboot)."""
        if not isinstance(kind, str):
            raise TypeError(f"fault kind must be a str, not {type(kind).__name__}")
        fields: dict[str, object] = {"kind": kind, **settings}
        for key, value in (("name", name), ("direction", direction),
                           ("probability", probability), ("for", duration)):
            if value is not None:
                fields[key] = value
        return self._modem.apply_fault(fields, match)

    def lift(self, name_or_id) -> int:
        """Lift the faults with this name (or id); returns how many were lifted."""
        n = self._modem.lift_fault(name_or_id)
        if n == 0:
            raise ValueError(f"no fault {name_or_id!r} is in force "
                             f"(in force: {[f['name'] for f in self.list()] or 'none'})")
        return n

    def list(self) -> list:
        """The faults in force, oldest first, each a dict (id, name, kind, settings...)."""
        return self._modem.faults()

    def clear(self) -> None:
        """Lift every fault."""
        for f in self.list():
            self._modem.lift_fault(f["id"])
