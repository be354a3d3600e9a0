"""`qpysim run` as a user runs it: reboots, the filesystem, the seed examples."""

import http.server
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("qpysim")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def qpysim(*args, timeout=60):
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def http_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            # One write, so the example's single recv(256) gets headers and body.
            body = b"<html>News from the PC</html>"
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_the_quecpython_socket_example_runs_byte_for_byte_unchanged(http_server, tmp_path):
    script = EXAMPLES / "quickstart.py"  # seed 000's example, byte for byte
    source = script.read_text(encoding="utf-8")
    assert "\t" in source  # the example mixes spaces and tabs...
    with pytest.raises(TabError):  # ...which CPython refuses
        compile(source, str(script), "exec")
    scenario = tmp_path / "tongxinmao.yaml"
    scenario.write_text(f"forward:\n  www.tongxinmao.com:80: 127.0.0.1:{http_server}\n")
    r = qpysim("run", "--scenario", str(scenario), str(script))
    assert r.returncode == 0, r.stderr
    log = [line for line in r.stderr.splitlines() if not line.startswith("qpysim:")]
    assert log[0] == "INFO:SOCKET:Network connection successful!"
    assert log[1] == "INFO:SOCKET:send 98 bytes"
    assert log[2].startswith("INFO:SOCKET:recv ") and log[2].endswith(" bytes:")
    assert log[3] == "INFO:SOCKET:HTTP/1.1 200 OK"
    assert "<html>News from the PC</html>" in r.stderr


def write(tmp_path, source, name="main.py"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(source))
    return str(p)


def test_power_restart_reboots_with_reason_2_and_keeps_the_filesystem(tmp_path):
    script = write(tmp_path, """
        from misc import Power
        import uos, utime
        boots = int(open("/usr/boots.txt").read()) if "boots.txt" in uos.listdir("/usr") else 0
        print("boot", boots, "reason", Power.powerOnReason(), "ticks", utime.ticks_ms())
        with open("/usr/boots.txt", "w") as f:
            f.write(str(boots + 1))
        if boots < 2:
            utime.sleep(1)
            Power.powerRestart()
        print("done")
        """)
    r = qpysim("run", "--clock", "virtual", script)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "boot 0 reason 1 ticks 0",
        "boot 1 reason 2 ticks 0",   # a fresh boot: ticks start over
        "boot 2 reason 2 ticks 0",
        "done",
    ]


def test_a_restart_loop_stops_at_the_limit_with_a_clear_message(tmp_path):
    script = write(tmp_path, "from misc import Power\nprint('up')\nPower.powerRestart()\n")
    r = qpysim("run", "--clock", "virtual", "--max-restarts", "3", script)
    assert r.returncode == 1
    assert r.stdout.count("up") == 4
    assert "the module restarted 4 times; giving up (limit: --max-restarts 3)" in r.stderr


def test_modules_are_fresh_after_a_restart(tmp_path):
    script = write(tmp_path, """
        import utime, uos
        from misc import Power
        print(hasattr(utime, "marker"))
        utime.marker = 1
        if "flag" not in uos.listdir("/usr"):
            open("/usr/flag", "w").close()
            Power.powerRestart()
        """)
    r = qpysim("run", "--clock", "virtual", script)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False"]


def test_power_down_ends_the_run_with_0(tmp_path):
    script = write(tmp_path, "from misc import Power\nprint('bye')\nPower.powerDown()\nprint('never')\n")
    r = qpysim("run", "--clock", "virtual", script)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "bye\n"


def test_fs_option_maps_another_folder_to_usr(tmp_path):
    data = tmp_path / "device"
    data.mkdir()
    (data / "config.json").write_text('{"k": 1}')
    (data / "helper.py").write_text("VALUE = 'from /usr'\n")
    script = write(tmp_path, """
        import ujson, usr.helper
        with open("/usr/config.json") as f:
            print(ujson.load(f), usr.helper.VALUE)
        """)
    r = qpysim("run", "--clock", "virtual", "--fs", str(data), script)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "{'k': 1} from /usr\n"


def test_trace_covers_a_run_and_its_reboots(tmp_path):
    script = write(tmp_path, """
        import uos, dataCall
        from misc import Power
        dataCall.deactivate(1)
        if "again" not in uos.listdir("/usr"):
            open("/usr/again", "w").close()
            Power.powerRestart()
        """)
    trace = tmp_path / "t.jsonl"
    r = qpysim("run", "--clock", "virtual", "--trace", str(trace), script)
    assert r.returncode == 0, r.stderr
    import json
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [e["ev"] for e in events].count("power_on") == 2
    assert any(e["ev"] == "pdp" and e["state"] == "inactive" for e in events)


def test_script_arguments_reach_usys_argv(tmp_path):
    script = write(tmp_path, "import usys\nprint(usys.argv)\n")
    r = qpysim("run", "--clock", "virtual", script, "--", "a", "b")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "['/usr/main.py', 'a', 'b']\n"


# ---------------------------------------------------------------- what survives a reboot

APN_THEN_REBOOT = """
import dataCall, utime
from misc import Power
ctx = dataCall.getPDPContext(1)
print("boot", Power.powerOnReason(), ctx[1])
if ctx[1] != "iot.example":
    dataCall.setPDPContext(1, 0, "iot.example", "user", "pw", 1)
    dataCall.setAutoActivate(1, 1)
    dataCall.setAutoConnect(1, 1)
    Power.powerRestart()
utime.sleep(1)
print("up", dataCall.getInfo(1, 0)[2][0], dataCall.getPDPContext(1))
"""


def test_set_the_apn_then_reboot_keeps_the_context(tmp_path):
    # Quectel's own pattern: the context is in NV and the boot-time data calls in
    # /usr/datacall_config.json; before, every boot saw the factory APN again and
    # the script rebooted until --max-restarts gave up (exit 1).
    (tmp_path / "main.py").write_text(APN_THEN_REBOOT)
    r = qpysim("run", "--clock", "virtual", str(tmp_path / "main.py"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["boot 1 cmnet", "boot 2 iot.example",
                                     "up 1 (0, 'iot.example', 'user', 'pw', 1)"]
    assert json.loads((tmp_path / "datacall_config.json").read_text()) == {
        "1": {"autoActivate": 1, "autoConnect": 1}, "2": {"autoActivate": 0, "autoConnect": 0},
        "3": {"autoActivate": 0, "autoConnect": 0}}


@pytest.mark.parametrize("config,expected", [
    ('{"1": {"autoActivate": 0, "autoConnect": 0}}', "0 0"),
    ('{"1": {"autoActivate": 0}, "2": {"autoActivate": 1}}', "0 1"),
    ("not json", "0 0"),
])
def test_power_on_data_calls_follow_datacall_config_json(tmp_path, config, expected):
    (tmp_path / "datacall_config.json").write_text(config)
    (tmp_path / "main.py").write_text(
        "import dataCall\nprint(dataCall.getInfo(1, 0)[2][0], dataCall.getInfo(2, 0)[2][0])\n")
    r = qpysim("run", "-q", "--clock", "virtual", str(tmp_path / "main.py"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == expected
    if config == "not json":  # _boot.py's own error, said once, and no data call
        assert ("qpysim: note: /usr/datacall_config.json: The format of the "
                "datacall_config.json is incorrect.") in r.stderr


@pytest.mark.parametrize("clock", ["real", "virtual"])
@pytest.mark.parametrize("sig,status,reason", [
    (signal.SIGINT, 130, "interrupted (Ctrl-C)"),
    (signal.SIGTERM, 143, "terminated (SIGTERM)"),
])
def test_a_signal_ends_the_run_with_the_shell_status_and_a_whole_trace(tmp_path, clock, sig,
                                                                       status, reason):
    # A device thread and the main script both alive and waiting when the
    # signal comes: the run halts the module, the status is what a shell
    # reports for that signal, and the trace is whole JSON lines to the halt.
    script = write(tmp_path, """
        import _thread, utime
        def chatter():
            while True:
                utime.sleep_ms(10)
        _thread.start_new_thread(chatter, ())
        print("READY")
        while True:
            utime.sleep_ms(10)
    """)
    trace = tmp_path / "trace.jsonl"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    p = subprocess.Popen([str(BIN), "run", "--clock", clock, "--trace", str(trace), str(script)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert p.stdout.readline() == "READY\n"
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()
    assert p.returncode == status, err
    assert f"qpysim: {reason}" in err
    assert "Traceback" not in err and "terminate called" not in err
    lines = trace.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]  # every line whole
    assert events[-1]["ev"] == "halt" and reason in events[-1]["reason"]


def test_threads_printing_as_the_run_stops_do_not_crash_it(tmp_path):
    # CPython 3.11's print() borrows sys.stdout: a device thread printing while
    # the run put the console back used to write through a freed stream (a
    # segfault in about one run in ten; under ASan, the first).
    script = write(tmp_path, """
        import _thread, utime
        def chatter(n):
            while True:
                print("thread", n)
                utime.sleep_ms(1)
        for n in range(4):
            _thread.start_new_thread(chatter, (n,))
        utime.sleep_ms(100)
        print("READY")
        while True:
            print("main")
            utime.sleep_ms(1)
    """)
    for _ in range(3):
        r = qpysim("run", "--clock", "real", "--expect", "READY", script)
        assert r.returncode == 0, r.stderr[-2000:]
        assert "Error" not in r.stderr and "Traceback" not in r.stderr


def test_check_replay_runs_twice_and_finds_the_traces_identical(tmp_path):
    # Threads that spin, sleep and close sockets at the same instants: the
    # same seed gives the same trace, byte for byte.
    script = write(tmp_path, """
        import _thread, usocket, utime
        done = [0]
        def worker(n):
            for i in range(3):
                s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
                s.sendto(b"x", ("10.0.0.%d" % (n + 1), 9))
                utime.sleep_ms(10)
                s.close()
            done[0] += 1
        for n in range(3):
            _thread.start_new_thread(worker, (n,))
        while done[0] < 3:
            pass
        print("all done")
    """)
    trace = tmp_path / "trace.jsonl"
    r = qpysim("run", "--check-replay", "--clock", "virtual", "--trace", str(trace), script)
    assert r.returncode == 0, r.stderr
    assert "replay check: the two runs are identical" in r.stderr
    assert r.stdout == "all done\n"  # the first run's output, once
    lines = trace.read_text().splitlines()
    assert json.loads(lines[0])["ev"] == "power_on" and json.loads(lines[-1])["ev"] == "halt"


def test_check_replay_names_the_first_line_where_the_runs_part(tmp_path):
    # Real time: the PC's timing is in the trace, so two runs differ.
    script = write(tmp_path, """
        import usocket, utime
        utime.sleep_ms(5)
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        s.sendto(b"x", ("127.0.0.1", 9))
    """)
    r = qpysim("run", "--check-replay", "--clock", "real", script)
    assert r.returncode == 1, r.stderr
    assert ("replay check: the runs differ (run 1 exit 0, run 2 exit 0); first at trace line"
            in r.stderr)
    assert "  run 1: {" in r.stderr and "  run 2: {" in r.stderr
    assert "replay is exact in virtual time" in r.stderr


def test_a_reboot_is_power_loss_for_the_old_boots_connections(tmp_path):
    # The PC server never sees the graceful FIN a live stack would send: the
    # old boot's connection is gone, and what the server hears is a reset.
    import socket as pc_socket
    srv = pc_socket.create_server(("127.0.0.1", 0))
    seen = []

    def serve():
        c, _ = srv.accept()
        c.settimeout(20)
        with c:
            seen.append(c.recv(100))
            try:
                seen.append(c.recv(100))
            except ConnectionResetError:
                seen.append("reset")

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    script = write(tmp_path, f"""
        import usocket, utime, misc
        try:
            open("/usr/booted").read()
            print("second boot")
        except OSError:
            open("/usr/booted", "w").write("1")
            s = usocket.socket()
            s.connect(("127.0.0.1", {srv.getsockname()[1]}))
            s.send(b"hello")
            utime.sleep_ms(100)
            misc.Power.powerRestart()
    """)
    r = qpysim("run", "--clock", "real", script)
    t.join(20)
    srv.close()
    assert r.returncode == 0, r.stderr
    assert r.stdout == "second boot\n"
    assert seen == [b"hello", "reset"]
