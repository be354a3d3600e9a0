"""Shipped scenarios and examples, found by name: `--scenario flaky-cell`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

_HERE = Path(__file__).resolve().parent


def _shipped(folder: str) -> Path:
    """Where shipped files are: in the installed package, or the source tree."""
    for candidate in (_HERE / folder, _HERE.parent.parent / folder):
        if candidate.is_dir():
            return candidate
    return _HERE / folder


def scenario_dir() -> str:
    return str(_shipped("scenarios"))


def examples_dir() -> str:
    return str(_shipped("examples"))


def find_scenario(name: Optional[str]) -> Optional[str]:
    """A path as given if it is a file; else the shipped scenario of that name
    (`flaky-cell` or `flaky-cell.yaml`); else the name as given, for the core
    to say that no such file exists."""
    if name is None or not isinstance(name, str) or not name:
        return name
    if Path(name).is_file():
        return name
    stem = name[:-5] if name.endswith(".yaml") else name
    if "/" in stem or "\\" in stem:
        return name
    shipped = Path(scenario_dir()) / f"{stem}.yaml"
    return str(shipped) if shipped.is_file() else name
