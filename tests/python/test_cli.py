"""The qpysim command line (bind_cli.cpp): exit statuses, as a user runs it."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("qpysim")


def qpysim(*args, timeout=60, cwd=None):
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)


@pytest.fixture
def script(tmp_path):
    def make(source, name="main.py"):
        p = tmp_path / name
        p.write_text(textwrap.dedent(source))
        return str(p)
    return make


def test_console_script_and_python_m_are_the_same_cli():
    a = qpysim("--version")
    b = subprocess.run([sys.executable, "-m", "qpysim", "--version"], capture_output=True,
                       text=True, timeout=60)
    assert a.returncode == b.returncode == 0
    assert a.stdout.strip() == b.stdout.strip() == "0.1.0"


def test_a_script_that_ends_exits_0(script):
    r = qpysim("run", script("import usocket\nprint('fd', usocket.socket().fileno())\n"))
    assert r.returncode == 0, r.stderr
    assert "fd 0" in r.stdout
    assert "seed 1" in r.stderr  # the seed is printed at start


def test_a_script_that_raises_exits_1_with_a_device_traceback(script):
    r = qpysim("run", script("import usocket\ns = usocket.socket()\ns.close()\ns.send(b'x')\n"))
    assert r.returncode == 1
    assert "OSError: [Errno 9] EBADF" in r.stderr
    assert "qpysim/device" not in r.stderr  # the script's frames only


def test_missing_script_and_bad_options_exit_2():
    assert qpysim("run", "/nonexistent/main.py").returncode == 2
    assert qpysim("run").returncode == 2
    assert qpysim("nonsense").returncode == 2


def test_malformed_scenario_exits_2_with_its_position(script, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dns:\n  a: 1.2.3\n")
    r = qpysim("run", "--scenario", str(bad), script("pass\n"))
    assert r.returncode == 2
    assert f"{bad}:2:6:" in r.stderr


def test_expect_stops_the_script_with_0(script):
    r = qpysim("run", "--expect", "ready", script("""
        import usocket
        print("ready")
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        s.bind(("", 0))
        s.recv(10)  # would wait forever
        """))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ready\n"


def test_every_expect_text_must_appear_in_any_order_and_across_reboots(script):
    both = qpysim("run", "--expect", "ready", "--expect", "set", script("""
        import utime
        print("set"); utime.sleep(1); print("ready"); utime.sleep(3600)
        """))
    assert both.returncode == 0, both.stderr
    assert both.stdout == "set\nready\n"
    # Printed in the first boot and the second: one run's output.
    rebooted = qpysim("run", "--expect", "first", "--expect", "second", script("""
        import misc
        if misc.Power.powerOnReason() == 1:
            print("first")
            misc.Power.powerRestart()
        print("second")
        """))
    assert rebooted.returncode == 0, rebooted.stderr


def test_an_expect_text_never_printed_fails_the_run_and_is_named(script):
    # A CI run must not pass because the script ended (or hit --timeout) quietly.
    ended = qpysim("run", "--expect", "ready", "--expect", "done", script("print('ready')\n"))
    assert ended.returncode == 1
    assert "the script ended, but this --expect text never appeared: 'done'" in ended.stderr
    timed_out = qpysim("run", "--timeout", "5", "--expect", "ready",
                       script("import utime\nwhile True:\n    utime.sleep(1)\n"))
    assert timed_out.returncode == 1
    assert ("the device-time limit passed, but this --expect text never appeared: 'ready'"
            in timed_out.stderr)


def test_fail_text_stops_the_script_with_1(script):
    r = qpysim("run", "--fail-text", "ERROR", script("print('ERROR: sensor missing')\n"))
    assert r.returncode == 1
    assert "fail text" in r.stderr


def test_device_time_limit_exits_3(script):
    r = qpysim("run", "--timeout", "0.5", script("""
        import usocket
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        s.bind(("", 0))
        s.recv(10)
        """))
    assert r.returncode == 3
    assert "device-time limit" in r.stderr


def test_script_arguments_reach_sys_argv(script):
    r = qpysim("run", script("import usys\n", name="main.py"))
    assert r.returncode in (0, 1)


def test_micropython_tab_indentation_runs_unchanged(script):
    # Spaces then a tab, as in the QuecPython socket example: a TabError for CPython.
    src = "if True:\n    x = 1\n    if x:\n        y = 2\n    \tprint('tab', x + y)\n"
    with pytest.raises(TabError):
        compile(src, "t.py", "exec")
    r = qpysim("run", script(src))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "tab 3\n"


def test_check_and_listings():
    r = qpysim("dialects")
    assert r.returncode == 0 and "micropython" in r.stdout
    r = qpysim("modules")
    assert r.returncode == 0 and "EC200A" in r.stdout


def test_ctrl_c_reaches_a_script_blocked_in_a_device_call(script):
    p = subprocess.Popen([str(BIN), "run", script("""
        import usocket
        print("waiting", flush=True)
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        s.bind(("", 0))
        s.recv(10)
        """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "waiting\n"
    p.send_signal(2)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 130  # as a shell reports SIGINT
    assert "KeyboardInterrupt" in err


def test_every_shipped_scenario_checks_and_is_listed():
    root = Path(__file__).resolve().parents[2] / "scenarios"
    files = sorted(root.glob("*.yaml"))
    assert files
    r = qpysim("check", *map(str, files))
    assert r.returncode == 0, r.stderr
    listed = qpysim("scenarios")
    assert listed.returncode == 0, listed.stderr
    assert sorted(line.split("\t")[0] for line in listed.stdout.splitlines()) == [
        f.stem for f in files]


def test_the_quickstart_example_runs_offline():
    root = Path(__file__).resolve().parents[2]
    r = qpysim("run", "--scenario", str(root / "scenarios" / "quickstart.yaml"),
               str(root / "examples" / "quickstart.py"))
    assert r.returncode == 0, r.stderr
    assert "virtual time" in r.stderr
    assert "INFO:SOCKET:Network connection successful!" in r.stderr
    assert "Served by a qpysim virtual host." in r.stderr


def test_special_and_hostile_scenario_files_are_refused_at_once(tmp_path, script):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # reading it would wait for a writer for ever
    bomb = tmp_path / "bomb.yaml"
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 20)]
    bomb.write_text("\n".join(lines) + "\n")
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("name: x\ndescription: 你好\n".encode("gbk"))
    cases = {
        str(fifo): "must be a regular file; this is a FIFO (named pipe)",
        str(tmp_path): "must be a regular file; this is a folder",
        "/dev/zero": "must be a regular file; this is a device",
        str(bomb): f"{bomb}:5:45: the file expands to more than 100000 values",
        str(gbk): f"{gbk}:2:14: not UTF-8 (byte 0xc4)",
    }
    for path, message in cases.items():
        r = qpysim("check", path, timeout=10)
        assert r.returncode == 2, (path, r.stderr)
        assert message in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    r = qpysim("run", "--scenario", str(fifo), script("print(1)\n"), timeout=10)
    assert r.returncode == 2 and "FIFO" in r.stderr


def test_scenarios_by_name_and_the_examples_copied_out(tmp_path):
    root = Path(__file__).resolve().parents[2]
    script = root / "examples" / "quickstart.py"
    r = qpysim("run", "-q", "--scenario", "quickstart", str(script))
    assert r.returncode == 0, r.stderr
    assert "Served by a qpysim virtual host." in r.stderr
    r = qpysim("run", "--scenario", "quickstrat", str(script))
    assert r.returncode == 2
    assert "no file 'quickstrat', and no shipped scenario of that name" in r.stderr
    listed = dict(line.split("\t")[::2] for line in qpysim("scenarios").stdout.splitlines())
    assert Path(listed["flaky-cell"]).read_text() == (root / "scenarios" / "flaky-cell.yaml").read_text()
    r = qpysim("examples", str(tmp_path / "mine"))
    assert r.returncode == 0, r.stderr
    copied = sorted(str(p.relative_to(tmp_path / "mine")) for p in (tmp_path / "mine").rglob("*")
                    if p.is_file())
    assert "quickstart.py" in copied and "ci/main.py" in copied and "ci/tests/test_reporter.py" in copied
    assert not [p for p in copied if "__pycache__" in p or ".pytest_cache" in p]
    again = qpysim("examples", str(tmp_path / "mine"))
    assert again.returncode == 2 and "nothing copied" in again.stderr


LONG_RUN = """
import utime
for i in range(1000000):
    utime.sleep_ms(1)
print("done")
"""

FADES = """
version: 1
name: fades
clock: virtual
timeline:
  - {name: fade, every: 10m, for: 20s, fault: {kind: coverage_loss}}
"""


def test_the_progress_line_on_a_terminal_and_only_when_asked_elsewhere(tmp_path):
    import pty
    (tmp_path / "main.py").write_text(LONG_RUN)
    (tmp_path / "s.yaml").write_text(FADES)
    env = dict(os.environ, QPYSIM_PROGRESS_AFTER="0")
    args = [sys.executable, "-m", "qpysim", "run", "--scenario", str(tmp_path / "s.yaml"),
            str(tmp_path / "main.py")]
    # A pipe: no status line unless --progress.
    r = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0 and r.stdout == "done\n", r.stderr
    assert "qpysim: device" not in r.stderr
    r = subprocess.run([*args[:4], "--progress", *args[4:]], capture_output=True,
                       timeout=120, env=env)  # bytes: text mode would turn \r into \n
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0 and out == "done\n", err
    status = [s for s in err.split("\r\x1b[K") if s.startswith("qpysim: device")]
    assert status, err
    assert re.fullmatch(r"qpysim: device \d+:\d\d:\d\d\.\d, wall \d+\.\d s"
                        r"(, next: coverage_loss 'fade' at \d+:\d\d:\d\d\.\d)?", status[-1])
    assert any(", next: coverage_loss 'fade' at " in s for s in status)
    assert err.endswith("\r\x1b[K")  # erased at the end
    # A terminal: it shows by itself, and -q hides it.
    for extra, shown in (([], True), (["-q"], False)):
        leader, follower = pty.openpty()
        p = subprocess.Popen([*args[:4], *extra, *args[4:]], stdout=subprocess.DEVNULL,
                             stderr=follower, env=env)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert p.wait(timeout=120) == 0
        os.close(leader)
        assert (b"qpysim: device" in seen) == shown, seen[-300:]
    bad = subprocess.run([*args[:4], "--progress", *args[4:]], capture_output=True, text=True,
                         timeout=60,
                         env=dict(env, QPYSIM_PROGRESS_AFTER="soon"))
    assert bad.returncode == 2 and "QPYSIM_PROGRESS_AFTER must be seconds" in bad.stderr
