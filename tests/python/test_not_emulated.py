"""Firmware modules qpysim does not emulate: a plain word, and --stub (_absent.py)."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from device_run import run_device

import qpysim

BIN = Path(sys.executable).with_name("qpysim")


def test_a_firmware_module_qpysim_leaves_out_says_so(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, "import fota\n")
    assert result.status == 1
    assert ("ImportError: no module named 'fota': 'fota' is a module of the QuecPython "
            "firmware (ports/quectel/modfota.c)") in err
    assert 'does not emulate (README "What is not emulated")' in err
    assert "`qpysim run --stub fota` gives it an inert stand-in" in err


def test_the_scripts_own_module_of_that_name_wins(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, "import fota\nprint(fota.VERSION)\n",
                                     files={"fota.py": "VERSION = 'mine'\n"})
    assert result.status == 0, err
    assert out == "mine\n"


def test_other_dialects_say_no_more_than_no_module(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, "import fota\n", dialect="micropython")
    assert result.status == 1
    assert "ImportError: no module named 'fota'\n" in err


def test_a_stub_answers_every_call_with_none_and_says_it_once(tmp_path, capsys):
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import machine, audio
        from machine import SPI
        from fota import fota
        bus = SPI(1, SPI.MODE0, 1)
        print(bus, audio.Audio(0), machine.LCD(), fota())
        audio.mode = 3
        print(audio.mode, machine.SPI.LSB)
    """))
    dev = qpysim.Device(fs=str(tmp_path), clock="virtual", stub=["machine", "fota", "audio"])
    capsys.readouterr()
    result = dev.run(str(tmp_path / "main.py"))
    out, err = capsys.readouterr()
    assert result.status == 0, err
    assert out.splitlines() == ["None None None None", "3 <stub machine.SPI.LSB>"]
    assert err.count("qpysim: stub: machine.SPI() does nothing and returns None "
                     "(--stub machine)") == 1
    assert "qpysim: stub: fota.fota() does nothing" in err
    assert "audio.Audio()" in err


def test_stub_names_are_checked():
    with pytest.raises(ValueError, match="stub: 'usocket' is not a firmware module qpysim "
                                         "leaves out; it stubs aLiYun, app_fota"):
        qpysim.Device(clock="virtual", stub=["usocket"])
    with pytest.raises(TypeError, match="stub: module names are str, not int"):
        qpysim.Device(clock="virtual", stub=[1])


def test_the_command_line_stub_option(tmp_path):
    (tmp_path / "main.py").write_text("import machine\nprint(machine.SPI(2))\n")
    ok = subprocess.run([str(BIN), "run", "-q", "--stub", "machine", "main.py"], cwd=tmp_path,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and ok.stdout == "None\n", ok.stderr
    bad = subprocess.run([str(BIN), "run", "-q", "--stub", "nosuch", "main.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert "qpysim: --stub: 'nosuch' is not a firmware module qpysim leaves out" in bad.stderr
