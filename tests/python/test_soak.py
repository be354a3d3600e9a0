"""Soak: 100,000 socket lifecycles (create, connect, send, recv, close), half
against a real loopback echo server through the host gateway and half against a
virtual echo host. Open file descriptors and resident memory at the end must be
within a small bound of the start. Bounded in count and in time (a hang fails
the test instead of stalling CI).
"""

import os
import selectors
import socket
import sys
import threading
import time

import pytest

import qpysim

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="reads /proc/self for descriptors and memory")]

LIFECYCLES = int(os.environ.get("QPYSIM_SOAK", "100000"))
WARMUP = 1000            # allocator pools and caches fill up before the baseline
TIME_CAP = 900.0         # seconds of wall time for the whole soak: a hang, not a measure
FD_SLACK = 8
RSS_SLACK = 24 * 1024 * 1024


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class EchoServer:
    """A single-threaded selectors echo server on 127.0.0.1 (cheap per connection)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.sock, selectors.EVENT_READ)
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            for key, _ in self.sel.select(0.1):
                if key.fileobj is self.sock:
                    try:
                        conn, _ = self.sock.accept()
                    except OSError:
                        continue
                    conn.setblocking(False)
                    self.sel.register(conn, selectors.EVENT_READ)
                    continue
                conn = key.fileobj
                try:
                    data = conn.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    try:
                        conn.sendall(data)
                    except OSError:
                        pass
                else:
                    self.sel.unregister(conn)
                    conn.close()

    def close(self):
        self.stop = True
        self.thread.join(5)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()


def lifecycles(us, address, n, deadline, payload=b"soak-0123456789"):
    for i in range(n):
        if time.monotonic() > deadline:
            pytest.fail(f"the soak did not finish in {TIME_CAP:.0f} s: {i} of {n} lifecycles")
        s = us.socket(us.AF_INET, us.SOCK_STREAM)
        s.settimeout(10)
        s.connect(address)
        s.send(payload)
        got = b""
        while len(got) < len(payload):
            chunk = s.recv(64)
            assert chunk, "the echo connection closed early"
            got += chunk
        assert got == payload
        s.close()


def test_soak_loopback_and_virtual(tmp_path):
    deadline = time.monotonic() + TIME_CAP
    half = LIFECYCLES // 2

    server = EchoServer()
    real = qpysim.Device()
    virtual_scenario = tmp_path / "echo.yaml"
    virtual_scenario.write_text("hosts:\n  echo.test:\n    7: echo\n")
    virtual = qpysim.Device(scenario=str(virtual_scenario), clock="virtual")
    try:
        us_real = real.module("usocket")
        with virtual.device_thread("soak"):
            us_virtual = virtual.module("usocket")
            echo = us_virtual.getaddrinfo("echo.test", 7)[0][-1]
            loopback = ("127.0.0.1", server.port)

            lifecycles(us_real, loopback, WARMUP, deadline)
            lifecycles(us_virtual, echo, WARMUP, deadline)
            fds0, rss0 = open_fds(), rss()

            lifecycles(us_real, loopback, half - WARMUP, deadline)
            lifecycles(us_virtual, echo, LIFECYCLES - half - WARMUP, deadline)

            # Sockets the script closed are gone from the module's table.
            assert real.modem.open_sockets() == 0
            assert virtual.modem.open_sockets() == 0
            fds1, rss1 = open_fds(), rss()
    finally:
        real.modem.halt("soak over")
        virtual.modem.halt("soak over")
        server.close()

    assert fds1 - fds0 <= FD_SLACK, f"descriptors grew from {fds0} to {fds1}"
    assert rss1 - rss0 <= RSS_SLACK, f"resident memory grew by {(rss1 - rss0) >> 20} MiB"
