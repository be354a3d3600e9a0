"""Stateful property tests: random sequences of usocket calls against a reference
model of the documented behaviour (README "usocket, as QuecPython has it").

Every call must return or raise what the model says, never block past its
timeout (in device time), and every byte sent to the echo host must come back
once, in order. Bounded: a fixed number of examples and steps, virtual time.
"""

import threading
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (Bundle, RuleBasedStateMachine, consumes, initialize,
                                 invariant, precondition, rule)

import qpysim

SCENARIO = """
hosts:
  echo.test:
    7: echo
"""
LIMIT = 15  # EC600U
TIMEOUTS = st.sampled_from([None, 0, 0.05, 0.3, 1, 2.5])
DATA = st.one_of(st.binary(min_size=1, max_size=3000), st.text(min_size=1, max_size=50))
JUNK = st.one_of(st.none(), st.floats(allow_nan=False), st.text(max_size=3), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


class Model:
    """What one socket should be: its state number and the echo bytes owed to it."""

    def __init__(self, sock):
        self.sock = sock
        self.state = 0          # getsocketsta(): 0 new, 1 listening, 4 connected, -1 closed
        self.timeout = None
        self.owed = bytearray()  # sent, not yet received back
        self.connecting = False  # a non-blocking connect is in progress


class SocketMachine(RuleBasedStateMachine):
    socks = Bundle("socks")

    def __init__(self):
        super().__init__()
        self.tmp = None
        self.dev = None

    @initialize()
    def power_on(self):
        import tempfile
        from pathlib import Path
        self.tmp = Path(tempfile.mkdtemp(prefix="qpysim-stateful-"))
        (self.tmp / "s.yaml").write_text(SCENARIO)
        self.dev = qpysim.Device(scenario=str(self.tmp / "s.yaml"), clock="virtual")
        self.ctx = self.dev.device_thread("hypothesis")
        self.ctx.__enter__()
        self.us = self.dev.module("usocket")
        self.echo = self.us.getaddrinfo("echo.test", 7)[0][-1]
        self.models = []
        self.port = 7000

    def teardown(self):
        if self.dev is not None:
            self.ctx.__exit__(None, None, None)
            self.dev.modem.halt("test over")

    def open_count(self):
        return sum(1 for m in self.models if m.state != -1)

    def timed(self, fn, limit):
        """Run fn; assert it took at most `limit` device seconds (None: no bound)."""
        t0 = self.dev.modem.now()
        try:
            return fn()
        finally:
            took = self.dev.modem.now() - t0
            if limit is not None:
                assert took <= limit + 0.1 + 1e-9, f"blocked {took:.3f} s past a {limit} s timeout"

    def settle(self, m):
        if m.connecting:  # a non-blocking connect to a host with no latency completes at once
            m.connecting = False

    # ------------------------------------------------------------------ rules

    @rule(target=socks)
    def create(self):
        if self.open_count() >= LIMIT:
            with pytest.raises(OSError) as e:
                self.us.socket(self.us.AF_INET, self.us.SOCK_STREAM)
            assert e.value.args[0] == 23  # ENFILE
            return None
        m = Model(self.us.socket(self.us.AF_INET, self.us.SOCK_STREAM))
        self.models.append(m)
        return m

    @rule(m=socks)
    def connect(self, m):
        if m is None:
            return
        self.settle(m)
        if m.state == -1:
            with pytest.raises(OSError) as e:
                m.sock.connect(self.echo)
            assert e.value.args[0] == 9
        elif m.state == 4:
            with pytest.raises(OSError) as e:
                m.sock.connect(self.echo)
            assert e.value.args[0] == 114  # EALREADY
        elif m.state == 0:
            if m.timeout == 0:
                with pytest.raises(OSError) as e:
                    m.sock.connect(self.echo)
                assert e.value.args[0] == 115  # EINPROGRESS
                m.connecting = True
            else:
                assert self.timed(lambda: m.sock.connect(self.echo), m.timeout) is None
            m.state = 4

    @rule(m=socks)
    def bind_and_listen(self, m):
        if m is None or m.state != 0:
            return
        self.port += 1
        assert m.sock.bind(("", self.port)) is None
        assert m.sock.listen(1) is None
        m.state = 1

    @rule(m=socks, data=DATA)
    def send(self, m, data):
        if m is None or m.state == 1:
            return
        self.settle(m)
        raw = data.encode() if isinstance(data, str) else data
        if m.state == -1:
            with pytest.raises(OSError) as e:
                m.sock.send(data)
            assert e.value.args[0] == 9
        elif m.state == 0:
            with pytest.raises(OSError) as e:
                m.sock.send(data)
            assert e.value.args[0] == 107  # ENOTCONN
        else:
            n = self.timed(lambda: m.sock.send(data), m.timeout)
            assert 1 <= n <= len(raw)
            m.owed += raw[:n]

    @rule(m=socks, n=st.integers(min_value=1, max_value=5000))
    def recv(self, m, n):
        if m is None or m.state == 1:
            return
        self.settle(m)
        if m.state == -1:
            with pytest.raises(OSError) as e:
                m.sock.recv(n)
            assert e.value.args[0] == 9
            return
        if m.state == 0:
            with pytest.raises(OSError) as e:
                m.sock.recv(n)
            assert e.value.args[0] == 107
            return
        if not m.owed and m.timeout is None:
            return  # would wait for ever: the model has nothing to say
        try:
            got = self.timed(lambda: m.sock.recv(n), m.timeout)
        except OSError as e:
            assert not m.owed or m.timeout == 0, f"{e} with {len(m.owed)} bytes owed"
            want = 11 if m.timeout == 0 or m.timeout < 0.1 else 110
            assert e.args[0] == want
            return
        assert got, "recv returned b'' from an open echo connection"
        assert len(got) <= n
        assert bytes(m.owed[: len(got)]) == got, "bytes out of order or not sent"
        del m.owed[: len(got)]

    @rule(m=socks, t=TIMEOUTS)
    def settimeout(self, m, t):
        if m is None:
            return
        assert m.sock.settimeout(t) is None
        m.timeout = t

    @rule(m=socks, flag=st.booleans())
    def setblocking(self, m, flag):
        if m is None:
            return
        assert m.sock.setblocking(flag) is None
        m.timeout = None if flag else 0

    @rule(m=socks)
    def getsocketsta(self, m):
        if m is None:
            return
        self.settle(m)
        assert m.sock.getsocketsta() == m.state

    @rule(m=consumes(socks))
    def close(self, m):
        if m is None:
            return
        assert m.sock.close() is None
        assert m.sock.close() is None  # twice is harmless
        m.state = -1
        m.owed.clear()

    @rule(m=socks, junk=JUNK, which=st.sampled_from(["send", "recv", "settimeout", "connect",
                                                     "bind"]))
    def wrong_types(self, m, junk, which):
        if m is None:
            return
        if which == "send":
            assume(not isinstance(junk, str))
            call = lambda: m.sock.send(junk)  # noqa: E731
        elif which == "recv":
            call = lambda: m.sock.recv(junk)  # noqa: E731
        elif which == "settimeout":
            assume(not isinstance(junk, float) and junk is not None)
            call = lambda: m.sock.settimeout(junk)  # noqa: E731
        elif which == "connect":
            call = lambda: m.sock.connect(junk)  # noqa: E731
        else:
            call = lambda: m.sock.bind(("", junk))  # noqa: E731
        with pytest.raises((TypeError, ValueError)):
            call()

    @rule()
    def let_time_pass(self):
        self.dev.module("utime").sleep_ms(200)

    @invariant()
    def the_table_matches(self):
        if self.dev is not None:
            assert self.dev.modem.open_sockets() == self.open_count()


SocketMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_socket_machine = SocketMachine.TestCase


# ---------------------------------------------------------------- several threads

@settings(max_examples=10, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=1, max_value=20000), min_size=1, max_size=6),
                min_size=2, max_size=4))
def test_threads_each_get_their_own_bytes_back_in_order(chunks_per_thread):
    """Device threads, each with its own connection to the echo host, interleave
    sends and receives; each gets exactly its own bytes, in order."""
    import tempfile
    from pathlib import Path
    tmp = Path(tempfile.mkdtemp(prefix="qpysim-threads-"))
    (tmp / "s.yaml").write_text(SCENARIO + "link:\n  latency: 20ms\n")
    dev = qpysim.Device(scenario=str(tmp / "s.yaml"), clock="virtual")
    us = dev.module("usocket")
    errors, done = [], []

    def worker(k, sizes):
        s = us.socket()
        s.settimeout(30)
        s.connect(us.getaddrinfo("echo.test", 7)[0][-1])
        sent = bytearray()
        got = bytearray()
        for i, size in enumerate(sizes):
            chunk = bytes([(k * 31 + i + j) % 251 for j in range(size)])
            s.sendall(chunk)
            sent += chunk
            while len(got) < len(sent) // 2:
                got += s.recv(4096)
        while len(got) < len(sent):
            got += s.recv(4096)
        s.close()
        if bytes(got) != bytes(sent):
            errors.append(k)
        done.append(k)

    threads = []
    for k, sizes in enumerate(chunks_per_thread):
        threads.append(dev.start_thread(worker, (k, sizes), name=f"w{k}"))
    deadline = time.monotonic() + 60
    while len(done) + len(errors) < len(chunks_per_thread) and time.monotonic() < deadline:
        time.sleep(0.01)
    dev.modem.halt("test over")
    assert not errors
    assert sorted(done) == list(range(len(chunks_per_thread)))
    assert threading.active_count() < 50
