"""Shipped scenarios and examples, found by name: `--scenario flaky-cell`."""

from __future__ import annotations

import os

_HERE = os.path.dirname(os.path.realpath(__file__))


def package_dir() -> str:
    return _HERE


def _shipped(folder: str) -> str:
    """Where shipped files are: in the installed package, or the source tree."""
    for candidate in (os.path.join(_HERE, folder),
                      os.path.join(os.path.dirname(os.path.dirname(_HERE)), folder)):
        if os.path.isdir(candidate):
            return candidate
    return os.path.join(_HERE, folder)


def scenario_dir() -> str:
    return _shipped("scenarios")


def examples_dir() -> str:
    return _shipped("examples")


def find_scenario(name):
    """A path as given if it exists; else the shipped scenario of that name
    (`flaky-cell` or `flaky-cell.yaml`), as `--scenario` finds it; else the
    name as given, for the core to say that no such file exists."""
    if not isinstance(name, str) or not name:
        return name
    from . import _core

    return _core.find_scenario(name, scenario_dir()) or name
