"""Device time cannot freeze: what calls and spinning cost (README "Device time
cannot freeze"), in virtual time and, for --timeout, in real time."""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from device_run import run_device

QPYSIM = str(Path(sys.executable).with_name("qpysim"))

# 5000 clock reads after the first: what they cost, in microseconds.
TICKS_LOOP = """
        import utime
        t0 = utime.ticks_us()
        for i in range(5000):
            utime.ticks_us()
        print(utime.ticks_diff(utime.ticks_us(), t0))
"""

ECHO = "hosts:\n  echo.qpysim.test:\n    7: echo\nclock: virtual\n"


def scenario(tmp_path, text):
    p = tmp_path / "scenario.yaml"
    p.write_text(text)
    return str(p)


def test_each_call_costs_20us_paid_in_1ms_steps(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, TICKS_LOOP)
    assert result.status == 0, err
    # 5001 reads after t0's, 20 us each, paid in whole milliseconds.
    assert out.split() == ["100000"]


def test_the_call_cost_is_the_scenarios_module_call_cost(tmp_path, capsys):
    scen = scenario(tmp_path, "module:\n  call_cost: 100us\nclock: virtual\n")
    result, out, err, _ = run_device(tmp_path, capsys, TICKS_LOOP, scenario=scen)
    assert result.status == 0, err
    assert out.split() == ["500000"]


def test_a_zero_latency_echo_loop_moves_the_clock(tmp_path, capsys):
    result, out, err, _ = run_device(tmp_path, capsys, """
        import usocket, utime
        s = usocket.socket()
        s.connect(("echo.qpysim.test", 7))
        t0 = utime.ticks_ms()
        for i in range(1000):
            s.send(b"x")
            assert s.recv(1) == b"x"
        print(utime.ticks_diff(utime.ticks_ms(), t0))
    """, scenario=scenario(tmp_path, ECHO), clock=None)
    assert result.status == 0, err
    elapsed = int(out.split()[0])
    assert 39 <= elapsed <= 41  # 1000 round trips of two 20 us calls


def test_waiting_pays_for_the_calls_before_it(tmp_path, capsys):
    # A script that waits between its calls sees exactly the times it asked for.
    result, out, err, _ = run_device(tmp_path, capsys, """
        import utime
        for i in range(3):
            for k in range(40):
                utime.ticks_ms()
            utime.sleep_ms(100)
        print(utime.ticks_ms())
    """)
    assert result.status == 0, err
    assert out.split() == ["300"]


def test_a_spinning_thread_lets_the_others_run(tmp_path, capsys):
    # QuecPython's thread examples wait on a flag in plain Python: the thread
    # that clears it must get to run, and at the device time it asked for.
    result, out, err, _ = run_device(tmp_path, capsys, """
        import _thread, utime
        flag = True
        def waker():
            global flag
            utime.sleep(2)
            print("cleared at", utime.ticks_ms())
            flag = False
        _thread.start_new_thread(waker, ())
        while flag:
            pass
        print("seen at", utime.ticks_ms())
    """)
    assert result.status == 0, err
    lines = out.splitlines()
    assert lines[0] == "cleared at 2000"
    assert lines[1] in ("seen at 2000", "seen at 2001")


def test_a_spinning_thread_stops_at_the_timeout_in_virtual_time(tmp_path, capsys):
    started = time.monotonic()
    result, out, err, dev = run_device(tmp_path, capsys, """
        while True:
            pass
    """, timeout=5)
    assert result.status == 3, err
    assert dev.modem.now() == pytest.approx(5.0, abs=0.002)
    assert time.monotonic() - started < 30  # bounded: it ends, it does not hang


def test_library_code_between_calls_costs_no_device_time_however_slow_the_pc(tmp_path, capsys):
    # Lines of the firmware's libraries (here re's compiler, in Python on the
    # PC, C on the module) are not the script's: a slow PC (a sanitizer build)
    # that takes them for a spin must not move device time, or replay breaks.
    # About 0.6 s of wall time without a call into the module: the spin watch
    # notices, and only the script's own few lines count (less than a step).
    result, out, err, _ = run_device(tmp_path, capsys, """
        import ure, utime
        t0 = utime.ticks_us()
        for i in range(3):
            ure.compile(("a[bc]{2,5}d(?:q|r)*|" * 8000) + str(i))
        print(utime.ticks_diff(utime.ticks_us(), t0))
    """)
    assert result.status == 0, err
    assert out.split() == ["0"]  # the two clock reads' 40 us are owed, not yet paid


@pytest.mark.parametrize("clock", ["real", "virtual"])
def test_timeout_fires_on_while_true_pass(tmp_path, clock):
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent("""
        print("spinning")
        while 1:
            pass
    """))
    r = subprocess.run([QPYSIM, "run", "--clock", clock, "--timeout", "1", str(script)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 3, r.stderr
    assert "device-time limit" in r.stderr


# ---------------------------------------------------------------- the Python API from test threads

QUICKSTART = str(Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml")


def test_a_test_thread_blocking_in_virtual_time_works_like_a_device_thread():
    # It used to hang for ever without a timeout, and raise ValueError with one.
    import threading

    import qpysim
    dev = qpysim.Device(scenario=QUICKSTART)
    u = dev.module("usocket")
    seen = {}

    def test_thread():
        s = u.socket()
        s.connect(u.getaddrinfo("echo.qpysim.test", 7)[0][-1])  # no timeout
        s.send(b"hi")
        seen["echo"] = s.recv(10)
        s.settimeout(5)
        t0 = dev.modem.now()
        try:
            s.recv(10)
        except OSError as e:
            seen["errno"] = e.args[0]
        seen["waited"] = dev.modem.now() - t0
        s.close()

    t = threading.Thread(target=test_thread)
    t.start()
    t.join(10)
    assert not t.is_alive()
    assert seen["echo"] == b"hi" and seen["errno"] == 110
    assert 5.0 <= seen["waited"] < 5.01  # in device time, at once in wall time
    dev.modem.halt("test over")


def test_a_test_thread_waiting_for_what_can_never_come_is_told_at_once():
    import threading

    import qpysim
    dev = qpysim.Device(scenario=QUICKSTART)
    u = dev.module("usocket")
    out = {}

    def test_thread():
        s = u.socket(u.AF_INET, u.SOCK_DGRAM)
        s.bind(("", 0))
        t0 = time.monotonic()
        try:
            s.recv(10)  # no timeout, nothing scheduled: it would wait for ever
        except BaseException as e:  # noqa: BLE001 - DeviceHalt is the answer
            out["error"] = e
        out["wall"] = time.monotonic() - t0

    t = threading.Thread(target=test_thread)
    t.start()
    t.join(10)
    assert not t.is_alive()
    assert isinstance(out["error"], qpysim.DeviceHalt)
    assert "would wait forever" in str(out["error"])
    assert out["wall"] < 1


def test_ctrl_c_reaches_the_main_thread_blocked_in_a_device_call_from_the_api(tmp_path):
    script = tmp_path / "api.py"
    script.write_text(textwrap.dedent("""
        import qpysim
        dev = qpysim.Device()  # real time
        u = dev.module("usocket")
        s = u.socket(u.AF_INET, u.SOCK_DGRAM)
        s.bind(("", 0))
        print("blocking", flush=True)
        try:
            s.recv(10)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """))
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "blocking\n"
    time.sleep(0.2)
    p.send_signal(2)
    out, _ = p.communicate(timeout=10)
    assert out == "interrupted\n"
