"""Run the conformance probe under one dialect and module model; return its observations."""

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


def observe(tmp_path: Path, dialect: str, module: str) -> dict:
    scenario = tmp_path / "conformance.yaml"
    scenario.write_text(textwrap.dedent(SCENARIO))
    (tmp_path / "main.py").write_text((HERE / "probe.py").read_text())
    dev = qpysim.Device(fs=str(tmp_path), scenario=str(scenario), dialect=dialect,
                        module=module, seed=1)
    dev.client(6001, client, after=0.5)
    lines = []
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = dev.run(str(tmp_path / "main.py"), timeout=600)
    lines = [ln for ln in out.getvalue().splitlines() if ln.startswith("OBS ")]
    assert result.status == 0 and lines, (result, out.getvalue())
    return json.loads(lines[-1][4:])
