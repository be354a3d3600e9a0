"""Helpers to run a device script in-process and see what it printed."""

import textwrap
from pathlib import Path

import qpysim


def run_device(tmp_path: Path, capsys, source: str, *, clock: str = "virtual", setup=None,
               files=None, timeout=None, expect=(), faults=(), **modem_options):
    """Run `source` as /usr/main.py; returns (result, stdout, stderr, device).

    `faults` are dev.faults.apply() keyword dicts, applied before the script runs.
    """
    for name, text in (files or {}).items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent(source))
    dev = qpysim.Device(fs=str(tmp_path), clock=clock, **modem_options)
    if setup is not None:
        setup(dev.modem)
    for f in faults:
        dev.faults.apply(**f)
    capsys.readouterr()
    result = dev.run(str(script), timeout=timeout, expect=expect)
    out, err = capsys.readouterr()
    return result, out, err, dev
