"""A CI matrix with qpysim's pytest plugin, in wall time.

- heartbeat matrix: a test runs examples/heartbeat.py for a device day (a
  heartbeat a minute to a virtual echo host over flaky-cell's weak cell) and
  checks its summary; `pytest -n 2 --qpysim-seeds N` runs it under N seeds.
  Figure: device days per wall minute (target >= 600). Beside it, the same
  pytest run of N empty tests: what pytest and xdist cost on their own.

    .venv/bin/python bench/bench_matrix.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(__file__))
from _table import print_table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DAY_TEST = """
import pytest

@pytest.mark.qpysim(scenario="flaky-cell")
def test_a_device_day(qpysim_device):
    qpysim_device.start({script!r}, ["60", "86400"], timeout=90000)
    result = qpysim_device.wait()
    assert result.status == 0, result.output[-2000:]
"""

EMPTY_TEST = """
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_nothing(i):
    pass
"""


def pytest_wall(folder: str, body: str, *args: str) -> float:
    with open(os.path.join(folder, "test_bench.py"), "w") as f:
        f.write(textwrap.dedent(body))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                    "-W", "ignore::pytest.PytestAssertRewriteWarning", "--rootdir", folder,
                    *args, os.path.join(folder, "test_bench.py")],
                   check=True, capture_output=True, cwd=folder)
    return time.perf_counter() - t0


def measure(quick: bool) -> list:
    """Rows (what, baseline, qpysim, figure, target)."""
    runs = 20 if quick else 100
    script = os.path.join(ROOT, "examples", "heartbeat.py")
    with tempfile.TemporaryDirectory() as folder:
        empty = pytest_wall(folder, EMPTY_TEST.format(n=runs))
        days = pytest_wall(folder, DAY_TEST.format(script=script), "--qpysim-seeds", str(runs))
    return [(f"heartbeat matrix: {runs} device days, pytest -n 2",
             f"{empty:.1f} s ({runs} empty tests)", f"{days:.1f} s wall",
             runs / (days / 60), ">= 600 days/min")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    print_table("a CI matrix", measure(ap.parse_args().quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
