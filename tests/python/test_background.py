"""Device.start / expect / wait / close: a script in the background of a test,
as pytest-embedded's DUT is, and RunResult carrying the script's output."""

import textwrap
import time
from pathlib import Path

import pytest

import qpysim

QUICKSTART = str(Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml")

TICKER = """
import utime
for i in range(5):
    print("tick", i, utime.ticks_ms())
    utime.sleep(1)
print("done")
"""

# An echo loop against the quickstart's virtual echo host; a recv that times
# out prints the errno and the device time.
ECHO_LOOP = """
import usocket, utime
s = usocket.socket()
s.connect(usocket.getaddrinfo("echo.qpysim.test", 7)[0][-1])
s.settimeout(2)
for i in range(8):
    s.send(b"ping %d" % i)
    try:
        print("echo", s.recv(64).decode(), utime.ticks_ms())
    except OSError as e:
        print("error", e.args[0], utime.ticks_ms())
    utime.sleep(1)
s.close()
"""


def script(tmp_path, text, name="main.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_expect_returns_at_the_device_time_of_the_line_and_the_device_waits_for_the_test(tmp_path):
    with qpysim.Device(clock="virtual") as dev:
        dev.start(script(tmp_path, TICKER))
        m = dev.expect(r"tick 2 (\d+)")
        assert m.group(1) == "2000"
        assert dev.modem.now() == 2.0
        time.sleep(0.2)  # wall time: the device does not move without the test
        assert dev.modem.now() == 2.0
        assert dev.expect("tick 3").string == "tick 3 3000"  # the next line on
        result = dev.wait()
    assert result.status == 0 and result.reason == "the script ended"
    assert result.stdout.splitlines() == [f"tick {i} {i * 1000}" for i in range(5)] + ["done"]
    assert result.stderr == ""
    assert result.output == result.stdout


def run_echo_with_blackhole(tmp_path):
    with qpysim.Device(scenario=QUICKSTART, seed=7) as dev:
        dev.start(script(tmp_path, ECHO_LOOP))
        dev.expect(r"echo ping 2 ")
        dev.faults.apply("blackhole")  # at the device time of that line, every run
        failed = dev.expect(r"error (\d+) (\d+)")
        result = dev.wait()
    return failed.groups(), result


def test_a_fault_applied_between_expects_lands_at_the_same_device_time_every_run(tmp_path):
    (errno_, at), first = run_echo_with_blackhole(tmp_path)
    assert errno_ == "110"  # ETIMEDOUT: the blackhole swallows the ping
    assert first.status == 0, first.output
    (errno2, at2), second = run_echo_with_blackhole(tmp_path)
    assert (errno2, at2) == (errno_, at)
    assert second.output == first.output


def test_expect_fails_with_the_consoles_last_lines_on_device_timeout_or_end(tmp_path):
    with qpysim.Device(clock="virtual") as dev:
        dev.start(script(tmp_path, TICKER))
        with pytest.raises(AssertionError, match=r"2 s of device time passed") as e:
            dev.expect("never", timeout=2)
        assert "tick 2 2000" in str(e.value) and "tick 3" not in str(e.value)
        assert dev.modem.now() == 2.0
        with pytest.raises(AssertionError, match=r"the run ended \(the script ended\)"):
            dev.expect("never")
        assert dev.wait().status == 0


def test_the_script_ending_ends_expect_at_that_device_time_however_slow_the_pc(tmp_path,
                                                                             monkeypatch):
    # The run notices its end in wall time; a slow PC must not let device time
    # run on to expect()'s deadline meanwhile (a flaky "600 s passed").
    finish = qpysim.Device._wait_for_background

    def slowly(self):
        time.sleep(0.3)
        finish(self)

    monkeypatch.setattr(qpysim.Device, "_wait_for_background", slowly)
    with qpysim.Device(clock="virtual") as dev:
        dev.start(script(tmp_path, TICKER))
        with pytest.raises(AssertionError, match=r"the run ended \(the script ended\)"):
            dev.expect("never", timeout=600)
        assert 5.0 <= dev.modem.now() < 5.01
        assert dev.wait().status == 0


def test_close_stops_a_script_that_never_ends_and_wait_says_so(tmp_path):
    path = script(tmp_path, """
        import utime
        while True:
            utime.sleep(60)
    """)
    started = time.monotonic()
    dev = qpysim.Device(clock="virtual")
    with dev:
        dev.start(path)
        with pytest.raises(AssertionError):
            dev.expect("nothing", timeout=3600)  # a device hour, in a moment
        assert dev.modem.now() == 3600.0
    assert dev.modem.halted()
    result = dev.wait()
    assert result.status == 1 and result.reason == "the device was closed"
    assert time.monotonic() - started < 30
    dev.close()  # again: nothing


def test_start_and_wait_in_real_time(tmp_path):
    with qpysim.Device(clock="real") as dev:
        dev.start(script(tmp_path, """
            import utime
            utime.sleep_ms(50)
            print("ready")
            raise ValueError("boom")
        """))
        assert dev.expect("ready", timeout=10).group(0) == "ready"
        result = dev.wait()
    assert result.status == 1 and "ValueError: boom" in result.stderr
    assert result.stdout == "ready\n"
    assert result.output.index("ready") < result.output.index("Traceback")


def test_run_result_carries_output_and_a_syntax_error(tmp_path, capsys):
    dev = qpysim.Device(clock="virtual")
    result = dev.run(script(tmp_path, "print('a')\nimport usys\nusys.stderr.write('b\\n')\n"))
    assert (result.stdout, result.stderr) == ("a\n", "b\n")
    dev = qpysim.Device(clock="virtual")
    result = dev.run(script(tmp_path, "print('x'\n", name="bad.py"))
    assert result.status == 1 and "SyntaxError" in result.stderr
    assert "SyntaxError" in capsys.readouterr().err  # still shown as before


def test_expect_after_a_foreground_run_reads_its_console_and_then_fails_at_once(tmp_path):
    dev = qpysim.Device(clock="virtual")
    assert dev.run(script(tmp_path, TICKER)).status == 0
    assert dev.expect(r"tick 4 (\d+)").group(1) == "4000"
    started = time.monotonic()
    with pytest.raises(AssertionError, match="the run ended"):
        dev.expect("never")
    assert time.monotonic() - started < 5


def test_background_api_refuses_bad_use_clearly(tmp_path):
    with qpysim.Device(clock="virtual") as dev:
        with pytest.raises(RuntimeError, match="no script was started"):
            dev.wait()
        with pytest.raises(FileNotFoundError, match="no script file"):
            dev.start(str(tmp_path / "missing.py"))
        dev.start(script(tmp_path, TICKER))
        with pytest.raises(RuntimeError, match="runs one"):
            dev.start(script(tmp_path, TICKER))
        with pytest.raises(TypeError, match="pattern must be str"):
            dev.expect(123)
        for bad in (-1, float("nan"), "5", True):
            with pytest.raises(ValueError, match="timeout must be device seconds"):
                dev.expect("x", timeout=bad)
        assert dev.wait().status == 0
    with pytest.raises(RuntimeError, match="closed"):
        dev.start(script(tmp_path, TICKER))


def test_the_console_is_kept_once_and_the_oldest_text_goes_first(tmp_path, monkeypatch):
    """stdout, stderr and the console share one store (8 MiB by default): each
    piece is kept once, and what goes is counted per stream."""
    from qpysim import _console

    monkeypatch.setattr(_console, "KEEP_CHARS", 40)
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent("""
        import sys
        print('a' * 19)
        sys.stderr.write('E' * 9 + '\\n')
        print('b' * 19)
        print('c' * 19)
    """))
    dev = qpysim.Device(clock="virtual")
    result = dev.run(str(script))
    assert result.status == 0
    assert result.output == "[qpysim: 30 earlier characters not kept]\n" + "b" * 19 + "\n" + \
        "c" * 19 + "\n"
    assert result.stdout == "[qpysim: 20 earlier characters not kept]\n" + "b" * 19 + "\n" + \
        "c" * 19 + "\n"
    assert result.stderr == "[qpysim: 10 earlier characters not kept]\n"
    assert dev.output == result.output
