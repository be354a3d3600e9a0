"""qpysim's pytest plugin, as a user's project meets it: examples/ci run in a
separate pytest, with pytest-xdist and a seed matrix; a failure's report and
its replay; bad options and markers named."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def user_project(tmp_path):
    """examples/ci copied out, as `qpysim examples` gives it to a user."""
    dest = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "ci", dest,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return dest


def pytest_in(folder, *args, timeout=600):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-W", "ignore::pytest.PytestAssertRewriteWarning", *args],
                          cwd=folder, capture_output=True, text=True, timeout=timeout, env=env)


def test_the_ci_example_passes_a_seed_matrix_on_two_workers(tmp_path):
    project = user_project(tmp_path)
    r = pytest_in(project, "-n", "2", "--qpysim-seeds", "4", "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    passed = re.findall(r"PASSED .*?(test_\w+\[seed\d+\])", r.stdout)
    assert len(passed) == 12, r.stdout
    r = pytest_in(project, "-n", "2", "--qpysim-seeds", "2", "--qpysim-scenario", "outages.yaml")
    assert r.returncode == 0 and "6 passed" in r.stdout, r.stdout + r.stderr
    assert {p.split("[")[1] for p in passed} == {"seed1]", "seed2]", "seed3]", "seed4]"}


FAILING = '''
def test_third_report_is_early(qpysim_device, app):
    qpysim_device.start(app, ["3"])
    m = qpysim_device.expect(r"report 3 acked at (\\d+)")
    assert int(m.group(1)) < 1000
'''


def test_a_failure_reports_console_seed_trace_and_a_replay_that_repeats_it(tmp_path):
    project = user_project(tmp_path)
    (project / "tests" / "test_failing.py").write_text(FAILING)
    r = pytest_in(project, "tests/test_failing.py", "--qpysim-seeds", "3", "--qpysim-seed", "40")
    assert r.returncode == 1, r.stdout + r.stderr
    reports = r.stdout.split("- qpysim device -")[1:]
    assert len(reports) == 3, r.stdout
    second = reports[1]
    assert "seed 41, scenario" in second
    trace = Path(re.search(r"trace: (\S+)", second).group(1))
    assert trace.is_file() and '"seed":41' in trace.read_text().splitlines()[0]
    acked = re.search(r"report 3 acked at (\d+)", second).group(0)
    replay = re.search(r"^  (pytest .*?)    # the test", second, re.M).group(1)
    assert replay == "pytest tests/test_failing.py::test_third_report_is_early --qpysim-seed 41"
    again = pytest_in(project, *shlex.split(replay)[1:])
    assert again.returncode == 1 and acked in again.stdout  # the same device time
    run = re.search(r"^  (qpysim run .*?)    # the script alone", second, re.M).group(1)
    cmd = shlex.split(run)
    assert cmd[cmd.index("--seed") + 1] == "41" and cmd[-2:] == ["--", "3"]
    alone = subprocess.run([sys.executable, "-m", "qpysim", *cmd[1:]], cwd=project,
                           capture_output=True, text=True, timeout=120)
    assert alone.returncode == 0 and acked in alone.stdout, alone.stderr


def test_options_and_markers_are_checked_and_scenarios_found_by_name(tmp_path):
    project = user_project(tmp_path)
    for bad in (["--qpysim-seeds", "0"], ["--qpysim-seeds", "x"], ["--qpysim-seed", "-1"]):
        r = pytest_in(project, *bad)
        assert r.returncode == 4, r.stdout
        assert f"{bad[0]} must be a whole number from" in r.stderr
    (project / "tests" / "test_markers.py").write_text('''
import pytest

@pytest.mark.qpysim(scenario="quickstart", clock="virtual")
def test_shipped_scenario_by_name(qpysim_device):
    assert qpysim_device.modem.getaddrinfo("echo.qpysim.test", 7)

def test_scenario_from_the_option(qpysim_device):
    assert qpysim_device.modem.getaddrinfo("collector.example.com", 5000)

@pytest.mark.qpysim(scenrio="quickstart")
def test_misspelt(qpysim_device):
    pass

@pytest.mark.qpysim(stub=["machine"], clock="virtual")
def test_stubbed_firmware_module(qpysim_device, tmp_path):
    (tmp_path / "main.py").write_text("import machine\\nprint(machine.SPI(2))\\n")
    assert qpysim_device.run(str(tmp_path / "main.py")).stdout == "None\\n"
''')
    r = pytest_in(project, "tests/test_markers.py", "--qpysim-scenario", "outages.yaml", "-rA")
    assert "3 passed, 1 error" in r.stdout, r.stdout
    assert "@pytest.mark.qpysim got an unknown keyword 'scenrio'" in r.stdout
