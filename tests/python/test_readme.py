"""Every command and snippet in the README runs as written on a fresh clone.

The README's fenced blocks are read from the file itself, so a block edited there is
the block tested here: `sh` blocks run under bash (errexit, pipefail) from the
repository root, `python` blocks run in order in one namespace, and `yaml` blocks
pass `qpysim check` (a fragment as a scenario of its own). The first `sh` block is
the set-up and test commands, which CI runs itself (`.ci/run`).
"""

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, re.M | re.S)
QPYSIM = ROOT / ".venv" / "bin" / "qpysim"


def blocks(lang):
    return [body for kind, body in BLOCKS if kind == lang]


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_the_first_block_is_the_two_commands_and_ci_runs_the_second():
    setup, test = [line.split("#")[0].strip() for line in blocks("sh")[0].splitlines()]
    assert setup == "bash scripts/setup.sh"
    assert test == "bash scripts/test.sh"
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line for line in ci.splitlines()
                if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert commands == ["exec " + test]


@pytest.mark.parametrize("body", blocks("sh")[1:], ids=lambda b: b.splitlines()[0][:60])
def test_shell_block_runs(body):
    assert QPYSIM.exists(), "the README's commands use .venv/bin/qpysim: run scripts/setup.sh"
    for port in map(int, re.findall(r"http\.server (\d+)", body)):
        if not port_free(port):
            pytest.skip(f"port {port} is in use on this PC; the block serves it")
    r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", body], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{body}\nstdout:\n{r.stdout[-2000:]}\nstderr:\n{r.stderr[-2000:]}"
    for line in body.splitlines():
        if "examples/quickstart.py" in line:
            assert "Network connection successful!" in r.stdout + r.stderr


def test_python_blocks_run_in_order():
    code = "\n".join(blocks("python"))
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, f"{code}\n{r.stderr[-3000:]}"


def test_the_pytest_example_of_testing_your_device_app_passes(tmp_path):
    section = README.split("## Testing your device app", 1)[1].split("\n## ", 1)[0]
    example = re.search(r"^```python\n(.*?)^```", section, re.M | re.S).group(1)
    test_file = tmp_path / "test_readme_example.py"
    test_file.write_text(example)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-W", "ignore::pytest.PytestAssertRewriteWarning",
                        "--rootdir", str(tmp_path), str(test_file)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("body", blocks("yaml"), ids=lambda b: b.splitlines()[0][:40])
def test_yaml_block_is_a_valid_scenario(body, tmp_path):
    path = tmp_path / "block.yaml"
    path.write_text(body if body.startswith("version:") else "version: 1\n" + body)
    r = subprocess.run([sys.executable, "-m", "qpysim", "check", str(path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{body}\n{r.stdout}{r.stderr}"


def test_the_table_of_shipped_scenarios_lists_every_one():
    section = README.split("Shipped scenarios", 1)[1].split("\n\n```", 1)[0]
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.M)
    assert sorted(listed) == sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def test_every_fault_kind_has_its_section():
    from qpysim import _core

    faults = README.split("\n## Faults\n", 1)[1].split("\n## ", 1)[0]
    sections = set(re.findall(r"^### (\w+)$", faults, re.M))
    kinds = {kind[0] for kind in _core.fault_kinds()}
    assert kinds <= sections, f"no README section for {sorted(kinds - sections)}"


def test_the_error_quoted_for_a_bad_scenario_is_the_one_printed(tmp_path):
    quoted = " ".join(re.search(r"`(my\.yaml:\d+:\d+: [^`]*)`", README).group(1).split())
    (tmp_path / "my.yaml").write_text("version: 1\ndns:\n  a.example: nope\n")
    r = subprocess.run([sys.executable, "-m", "qpysim", "check", "my.yaml"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip() == quoted
