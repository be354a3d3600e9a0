"""The GitHub Actions workflows and the cibuildwheel configuration: valid, and
pointing at things that exist. The schema check runs offline (check-jsonschema
vendors SchemaStore's github-workflows schema); actionlint cannot be installed
here (its PyPI package downloads its binary from GitHub when it builds)."""

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted([*(ROOT / ".github" / "workflows").glob("*.yml"),
                    *(ROOT / "examples" / "ci" / ".github" / "workflows").glob("*.yml")])


def test_every_workflow_matches_the_github_workflows_schema():
    assert len(WORKFLOWS) >= 2
    r = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                        "vendor.github-workflows", *map(str, WORKFLOWS)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_ci_examples_matrix_names_scenarios_it_ships():
    flow = yaml.safe_load((ROOT / "examples/ci/.github/workflows/device-tests.yml").read_text())
    matrix = flow["jobs"]["device"]["strategy"]["matrix"]
    for scenario in matrix["scenario"]:
        assert (ROOT / "examples" / "ci" / scenario).is_file(), scenario
    run = " ".join(step.get("run", "") for step in flow["jobs"]["device"]["steps"])
    assert "--qpysim-scenario ${{ matrix.scenario }}" in run and "--qpysim-seeds 20" in run


def test_cibuildwheel_tests_each_wheel_with_the_ci_example_and_gates_run_ci():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["cibuildwheel"]
    assert "qpysim examples" in config["test-command"]
    assert "--qpysim-seeds" in config["test-command"]
    assert {"pytest", "pytest-xdist"} <= set(config["test-requires"])
    flow = yaml.safe_load((ROOT / ".github/workflows/wheels.yml").read_text())
    gates = [s.get("run") for s in flow["jobs"]["gates"]["steps"]]
    assert "bash .ci/run" in gates
    assert any(s.get("uses", "").startswith("pypa/cibuildwheel@")
               for s in flow["jobs"]["wheels"]["steps"])
