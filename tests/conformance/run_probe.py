"""Run the conformance probe under one dialect and module model; return its observations."""

import contextlib
import io
import json
import textwrap
from pathlib import Path

import qpysim

HERE = Path(__file__).resolve().parent

SCENARIO = """
hosts:
  echo.test:
    7: echo
  rst.test:
    80:
      script:
        - delay: 1s
        - reset
  fin.test:
    80:
      script:
        - send: "bye"
        - close
  quiet.test:
    80:
      script:
        - delay: 1h
  dark.test:
    80: discard
faults:
  - kind: blackhole
    match: {host: dark.test}
"""


def client(conn):
    """The peer that connects to the probe's server and stays until it closes."""
    conn.settimeout(10)
    conn.recv(1)


def run_script(tmp_path: Path, source: str, scenario: str, setup=None, **device) -> list:
    """Run `source` as /usr/main.py with `scenario` on a Device(**device); setup(dev)
    first. Returns the lines it printed; the script must end normally."""
    (tmp_path / "s.yaml").write_text(textwrap.dedent(scenario))
    (tmp_path / "main.py").write_text(source)
    dev = qpysim.Device(fs=str(tmp_path), scenario=str(tmp_path / "s.yaml"), **device)
    if setup:
        setup(dev)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = dev.run(str(tmp_path / "main.py"), timeout=600)
    assert result.status == 0, (result, out.getvalue())
    return [ln.rstrip() for ln in out.getvalue().splitlines()]


def observe(tmp_path: Path, dialect: str, module: str) -> dict:
    lines = run_script(tmp_path, (HERE / "probe.py").read_text(), SCENARIO,
                       lambda dev: dev.client(6001, client, after=0.5),
                       dialect=dialect, module=module, seed=1)
    observations = [ln for ln in lines if ln.startswith("OBS ")]
    assert observations, lines
    return json.loads(observations[-1][4:])
