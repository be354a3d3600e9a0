"""The device's console under a run: stdout and stderr pass through to the PC
and are watched for the run's --expect and --fail-text texts."""

from __future__ import annotations

import io

_RETIRED_STREAMS: list = []  # see _OutputWatch.retire


class _OutputWatch(io.TextIOBase):
    """A text stream that passes writes through and watches for given texts."""

    def __init__(self, target, device):
        super().__init__()
        self._target = target
        self._device = device
        self._tail = ""

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
