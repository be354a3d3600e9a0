"""qpysim's pytest plugin: test a device app on an emulated module.

Installed with qpysim (entry point ``pytest11``: ``qpysim``). It gives:

- the fixture ``qpysim_device``: a ``qpysim.Device`` closed at teardown, its
  trace written to the test's tmp_path. Its scenario, seed, module, dialect
  clock and stubs come from ``@pytest.mark.qpysim(...)``, else from the options;
- ``--qpysim-scenario FILE|NAME``: the scenario of tests whose marker names none;
- ``--qpysim-seed N``: the seed, over the marker's (to replay a failure);
- ``--qpysim-seeds N``: each test that uses the fixture runs under N seeds
  (seed, seed+1, ...); with pytest-xdist (``-n auto``) the runs spread over
  cores, and no two share a port or a file;
- on failure, a report section with the device's console, its seed, the
  trace, and the command lines that replay it.
"""

from __future__ import annotations

import re
import shlex
from typing import Any, Optional

import pytest

MARKER_KEYS = ("scenario", "seed", "module", "dialect", "clock", "fs", "stub")
_MAX_SEEDS = 100_000


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("qpysim", "device apps on an emulated module (qpysim)")
    group.addoption("--qpysim-scenario", metavar="FILE|NAME", default=None,
                    help="scenario for qpysim_device when the test's marker names none "
                         "(a file, or a shipped name: `qpysim scenarios`)")
    group.addoption("--qpysim-seed", metavar="N", default=None,
                    help="seed for qpysim_device, over the marker's (replays a failure)")
    group.addoption("--qpysim-seeds", metavar="N", default="1",
                    help="run each test that uses qpysim_device under N seeds: seed, seed+1, ...")


def _whole(config: Any, name: str, low: int, high: int) -> Optional[int]:
    raw = config.getoption(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        flag = "--" + name.replace("_", "-")
        raise pytest.UsageError(f"{flag} must be a whole number from {low} to {high}, got {raw!r}")
    return value


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers",
        "qpysim(scenario=None, seed=None, module=None, dialect=None, clock=None, fs=None, "
        "stub=None): "
        "how the qpysim_device fixture builds its module")
    _whole(config, "qpysim_seed", 0, 2**64 - 1)
    _whole(config, "qpysim_seeds", 1, _MAX_SEEDS)


def _marker_options(node: Any) -> dict:
    marker = node.get_closest_marker("qpysim")
    if marker is None:
        return {}
    if marker.args:
        raise TypeError("@pytest.mark.qpysim takes keywords only: "
                        + ", ".join(f"{k}=" for k in MARKER_KEYS))
    unknown = sorted(set(marker.kwargs) - set(MARKER_KEYS))
    if unknown:
        raise TypeError(f"@pytest.mark.qpysim got an unknown keyword {unknown[0]!r} "
                        f"(it takes {', '.join(MARKER_KEYS)})")
    return dict(marker.kwargs)


def pytest_generate_tests(metafunc: Any) -> None:
    if "qpysim_seed" not in metafunc.fixturenames:
        return
    count = _whole(metafunc.config, "qpysim_seeds", 1, _MAX_SEEDS)
    if count == 1:
        return
    base = _whole(metafunc.config, "qpysim_seed", 0, 2**64 - 1)
    if base is None:
        base = _marker_options(metafunc.definition).get("seed") or 1
    seeds = [(base + i) % 2**64 for i in range(count)]
    metafunc.parametrize("qpysim_seed", seeds, ids=[f"seed{s}" for s in seeds])


@pytest.fixture
def qpysim_seed(request: Any) -> Optional[int]:
    """The seed of this test's qpysim_device (None: the scenario's, else 1)."""
    if hasattr(request, "param"):
        return request.param
    cli = _whole(request.config, "qpysim_seed", 0, 2**64 - 1)
    return cli if cli is not None else _marker_options(request.node).get("seed")


@pytest.fixture
def qpysim_device(request: Any, tmp_path: Any, qpysim_seed: Optional[int]):
    """A qpysim.Device built from the test's marker and the options; closed at teardown."""
    import qpysim

    options = _marker_options(request.node)
    options.pop("seed", None)
    if options.get("scenario") is None:
        options["scenario"] = request.config.getoption("qpysim_scenario")
    options = {k: v for k, v in options.items() if v is not None}
    trace = tmp_path / "qpysim-trace.jsonl"
    dev = qpysim.Device(seed=qpysim_seed, trace=str(trace), **options)
    request.node._qpysim = (dev, options, trace)
    try:
        yield dev
    finally:
        dev.close()


def _replay_lines(item: Any, dev: Any, options: dict) -> list:
    seed = dev.modem.seed
    nodeid = item.nodeid
    if "[" in nodeid and getattr(item, "callspec", None) and "qpysim_seed" in item.callspec.params:
        head, ids = nodeid.split("[", 1)
        rest = "-".join(p for p in ids.rstrip("]").split("-") if not re.fullmatch(r"seed\d+", p))
        nodeid = f"{head}[{rest}]" if rest else head
    lines = [f"  pytest {shlex.quote(nodeid)} --qpysim-seed {seed}    # the test, as it ran"]
    if dev.script is not None:
        cmd = ["qpysim", "run"]
        if options.get("scenario"):
            cmd += ["--scenario", str(options["scenario"])]
        cmd += ["--seed", str(seed)]
        for key in ("module", "dialect", "clock", "fs"):
            if options.get(key):
                cmd += [f"--{key}", str(options[key])]
        stubs = options.get("stub") or ()
        for name in [stubs] if isinstance(stubs, str) else stubs:
            cmd += ["--stub", str(name)]
        cmd += ["--trace", "replay.jsonl", str(dev.script)]
        if dev.argv:
            cmd += ["--", *map(str, dev.argv)]
        lines.append("  " + shlex.join(cmd) + "    # the script alone, without the test's actions")
    return lines


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any):
    outcome = yield
    report = outcome.get_result()
    state = getattr(item, "_qpysim", None)
    if state is None or not report.failed or report.when not in ("call", "setup"):
        return
    dev, options, trace = state
    console = dev.output
    shown = console.splitlines()[-200:]
    text = [
        f"module {dev.profile.model} ({dev.dialect.name}), {dev.modem.clock} time, "
        f"seed {dev.modem.seed}, scenario {options.get('scenario') or '(none)'}",
        f"device time at failure: {dev.modem.now():.6f} s",
        f"trace: {trace}",
        "replay:",
        *_replay_lines(item, dev, options),
        f"console ({'last 200 lines' if len(console.splitlines()) > 200 else 'all'}):",
        *(f"  {line}" for line in shown),
    ]
    report.sections.append(("qpysim device", "\n".join(text)))
