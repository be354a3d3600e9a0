"""scenarios/schema.json: generated from the core, valid, and in agreement with
the C++ parser about what a scenario may say."""

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from qpysim import _schema

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).with_name("qpysim")
SCHEMA = json.loads((ROOT / "scenarios" / "schema.json").read_text())


def validator():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


def as_json(value):
    """A YAML document as JSON sees it: mapping keys are strings (`80:` is "80"),
    as editors' YAML language servers hand it to the schema."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def load(text):
    return as_json(yaml.safe_load(text))


def check(tmp_path, text):
    p = tmp_path / "s.yaml"
    p.write_text(textwrap.dedent(text))
    return subprocess.run([str(BIN), "check", str(p)], capture_output=True, text=True, timeout=30)


def test_the_shipped_schema_is_what_the_core_generates():
    assert SCHEMA == _schema.build_schema(), (
        "scenarios/schema.json is stale: python -m qpysim._schema > scenarios/schema.json")


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_is_valid_against_the_schema(path):
    errors = [e.message for e in validator().iter_errors(load(path.read_text()))]
    assert errors == []


def test_the_schema_and_the_parser_accept_the_same_top_level_keys(tmp_path):
    r = check(tmp_path, "nonsense: 1\n")
    listed = re.search(r"expected one of ([^)]*)\)", r.stdout + r.stderr).group(1).split(", ")
    assert sorted(listed) == sorted(SCHEMA["properties"])


def test_the_schema_and_the_parser_know_the_same_faults_and_settings(tmp_path):
    kinds = {o["properties"]["kind"]["const"]: o for o in
             SCHEMA["$defs"]["fault"]["oneOf"][1]["oneOf"]}
    listing = subprocess.run([str(BIN), "faults"], capture_output=True, text=True).stdout
    names = [line.split("\t")[0] for line in listing.splitlines() if not line.startswith(" ")]
    assert sorted(names) == sorted(kinds)
    for name, obj in kinds.items():
        settings = set(obj["properties"]) - {"kind", "name", "probability", "for", "match",
                                             "direction"}
        r = check(tmp_path, f"faults:\n  - {{kind: {name}, not_a_setting: 1}}\n")
        assert r.returncode == 2
        msg = r.stdout + r.stderr
        for s in settings:
            assert s in msg, (name, s, msg)


@pytest.mark.parametrize("text", [
    "faults:\n  - {kind: loss, rat: 1}\n",
    "faults:\n  - {kind: warp}\n",
    "timeline:\n  - {at: 1s}\n",
    "timeline:\n  - {at: 1s, every: 2s, fault: reboot}\n",
    "sim: missing\n",
    "network: {registration: lost}\n",
    "pdp:\n  - {id: 1, ip_type: ipv5}\n",
    "link: {distribution: pareto, latency: 1s}\n",
])
def test_what_the_schema_rejects_the_parser_rejects(tmp_path, text):
    assert list(validator().iter_errors(load(text)))
    assert check(tmp_path, text).returncode == 2
