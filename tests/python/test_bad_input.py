"""Every public device function and method against a table of bad values.

Each call must return or raise an ordinary exception whose message says what
was wrong in the script's terms (never pybind11's internals), within a second
of wall time, and must not stop the module. Afterwards a connected socket still
moves bytes exactly once and in order. The same for the Python API.
"""

import threading
import time
from pathlib import Path

import pytest

import qpysim
from qpysim._imports import BUILTIN_MODULES, PORT_MODULES

QUICKSTART = str(Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml")

BAD = [None, "a\x00b", b"\xff\x00", 2**70, -2**70, -1, 1.5, float("nan"), float("inf"), (),
       ("h",), ("h", 2**70), object()]
# Values no socket method takes (some of BAD are valid somewhere: readline(-1)
# reads, write(b"...") sends, settimeout(None) blocks).
NEVER_VALID = [object(), ("h", 2**70), 2**70, -2**70, float("nan")]
INTERNALS = ("incompatible function arguments", "incompatible constructor", "C++ type",
             "pybind11", "qpysim._core", "Unable to cast", "_core.")
# Calls that end the run or the thread by design, whatever their arguments, or
# block by design (a second acquire of a held lock in the only thread).
ENDS_THE_RUN = {("misc", "Power"), ("usys", "exit"), ("_thread", "exit"),
                ("_thread", "start_new_thread"), ("osTimer", "start"), ("micropython", "schedule"),
                ("LockType", "acquire")}

# Calls whose arguments may ask to wait for ever (select with no timeout): probed
# with a timeout of 0 after the bad values.
WAIT_FOR_EVER = {
    ("uselect", "select"): lambda f: (lambda *a: f(*a, 0) if len(a) == 3 else f(*a)),
    ("select", "select"): lambda f: (lambda *a: f(*a, 0) if len(a) == 3 else f(*a)),
    # poll(None) and poll(-1) wait for ever, as MicroPython's do: probed with 0.
    ("poll", "poll"): lambda f: (lambda t, *a: f(0 if t is None or _negative(t) else t, *a)),
    ("poll", "ipoll"): lambda f: (lambda t, *a: f(0 if t is None or _negative(t) else t, *a)),
}


def _negative(value):
    return isinstance(value, (int, float)) and value < 0


def _callables(obj):
    for name in sorted(dir(obj)):
        if name.startswith("_"):
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: BLE001 - a property that needs state
            continue
        if isinstance(value, type) and issubclass(value, BaseException):
            continue
        if callable(value):
            yield name, value


def _instances(mod):
    """Objects a script makes with no arguments (usocket.socket(), osTimer()...)."""
    for name, value in _callables(mod):
        if isinstance(value, type):
            try:
                yield name, value()
            except Exception:  # noqa: BLE001 - needs arguments: its constructor is probed
                continue


def _probe(label, f, problems, values=BAD):
    for bad in values:
        for args in ((bad,), (bad, bad), (bad, bad, bad)):
            t0 = time.monotonic()
            try:
                f(*args)
            except qpysim.DeviceHalt as e:
                problems.append(f"{label}{args!r}: stopped the module: {e}")
                return
            except (SystemError, RuntimeError) as e:
                problems.append(f"{label}{args!r}: {type(e).__name__}: {e}")
            except Exception as e:  # noqa: BLE001 - the exception is the answer
                text = str(e)
                if (not text and not isinstance(e, (KeyError, StopIteration))) or any(
                        s in text for s in INTERNALS):
                    problems.append(f"{label}{args!r}: {type(e).__name__}: {text[:200]!r}")
            except BaseException as e:  # noqa: BLE001
                problems.append(f"{label}{args!r}: {type(e).__name__}")
            if time.monotonic() - t0 > 1:
                problems.append(f"{label}{args!r}: took {time.monotonic() - t0:.1f} s")


@pytest.mark.parametrize("dialect", ["quecpython", "micropython"])
def test_every_device_function_and_method_refuses_bad_values_clearly(tmp_path, dialect, capsys):
    names = sorted(set(BUILTIN_MODULES) | set(PORT_MODULES))
    problems: list = []
    for mname in names:
        dev = qpysim.Device(scenario=QUICKSTART, fs=str(tmp_path), dialect=dialect)
        try:
            with dev.device_thread("main"):
                try:
                    mod = dev.module(mname)
                except ImportError:
                    continue
                for fname, f in _callables(mod):
                    if (mname, fname) in WAIT_FOR_EVER:
                        f = WAIT_FOR_EVER[(mname, fname)](f)
                    if (mname, fname) not in ENDS_THE_RUN:
                        _probe(f"{mname}.{fname}", f, problems)
                for cname, obj in _instances(mod):
                    for fname, f in _callables(obj):
                        if (cname, fname) in WAIT_FOR_EVER:
                            f = WAIT_FOR_EVER[(cname, fname)](f)
                        if (cname, fname) not in ENDS_THE_RUN and (mname, cname) not in ENDS_THE_RUN:
                            _probe(f"{mname}.{cname}().{fname}", f, problems)
                    close = getattr(obj, "close", None)
                    if callable(close):  # and again on a closed one
                        close()
                        for fname, f in _callables(obj):
                            if (cname, fname) not in ENDS_THE_RUN:
                                _probe(f"{mname}.{cname}() closed .{fname}", f, problems)
        finally:
            dev.modem.halt("test over")
    capsys.readouterr()
    assert not problems, "\n".join(problems)


def test_bad_calls_from_several_threads_lose_and_duplicate_nothing():
    dev = qpysim.Device(scenario=QUICKSTART)
    u = dev.module("usocket")
    got = []
    problems: list = []
    with dev.device_thread("main"):
        s = u.socket()
        s.connect(u.getaddrinfo("echo.qpysim.test", 7)[0][-1])

        def abuse():
            with dev.device_thread("abuser"):
                for name in ("send", "recv", "readinto", "setsockopt", "settimeout", "connect",
                             "bind", "listen", "readline", "write", "sendto"):
                    _probe(f"socket.{name}", getattr(s, name), problems, NEVER_VALID)

        threads = [threading.Thread(target=abuse) for _ in range(3)]
        for t in threads:
            t.start()
        s.settimeout(5)
        for i in range(50):
            msg = b"%03d|" % i
            s.send(msg)
            data = b""
            while len(data) < len(msg):
                data += s.recv(len(msg) - len(data))
            got.append(data)
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads)
        s.close()
    dev.modem.halt("test over")
    assert not problems, "\n".join(problems)
    assert got == [b"%03d|" % i for i in range(50)]


@pytest.mark.parametrize("call, error, text", [
    (lambda: qpysim.Device(seed=-1), OverflowError, "seed must be from 0 to 18446744073709551615"),
    (lambda: qpysim.Device(seed=2**64), OverflowError, "got 18446744073709551616"),
    (lambda: qpysim.Device(seed="7"), TypeError, "seed must be an int, not str"),
    (lambda: qpysim.Device(frobnicate=1), TypeError, "unexpected keyword argument 'frobnicate'"),
    (lambda: qpysim.Device(power_on_reason="1"), TypeError, "power_on_reason must be int, not str"),
    (lambda: qpysim.Device(scenario=123), TypeError, "scenario must be a path"),
    (lambda: qpysim.Device(fs="/nonexistent/dir"), ValueError, "is not a folder"),
    (lambda: qpysim.Device(clock="sometimes"), ValueError, "clock must be 'real' or 'virtual'"),
    (lambda: qpysim.Device(clock=1), TypeError, "clock must be a str"),
    (lambda: qpysim.Device(clock="virtual").modem.exposed_port(2**70), OverflowError,
     "device_port must be from 0 to 65535"),
    (lambda: qpysim.Device(clock="virtual").device_thread(None).__enter__(), TypeError,
     "name must be a str"),
    (lambda: qpysim.Device(clock="virtual").run(__file__, timeout=float("nan")), ValueError,
     "time limit must be >= 0"),
])
def test_the_python_api_names_what_was_wrong(call, error, text):
    with pytest.raises(error) as e:
        call()
    assert text in str(e.value)
    assert not any(s in str(e.value) for s in INTERNALS)
