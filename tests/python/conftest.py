"""Shared fixtures: devices, and real loopback servers the tests start themselves.

Every server binds 127.0.0.1 on a port the OS picks, runs in a daemon thread,
and is bounded in time: nothing here waits forever.
"""

import contextlib
import socket
import struct
import threading
import time

import pytest

import qpysim


@pytest.fixture
def device():
    """A real-time device reaching the PC through the host gateway."""
    dev = qpysim.Device()
    yield dev
    dev.modem.halt("test over")


@pytest.fixture
def usocket(device):
    return device.module("usocket")


class LoopbackServer:
    """A TCP server on 127.0.0.1 whose per-connection behaviour a test chooses.

    handler(conn, server) runs in its own thread for each accepted connection.
    """

    def __init__(self, handler, backlog=8):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.received = bytearray()
        self.connections = 0
        self.lock = threading.Lock()
        self.accepted = threading.Event()
        self.done = threading.Event()
        self._stop = threading.Event()
        self._threads = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
            self.accepted.set()
            conn.settimeout(10)
            t = threading.Thread(target=self._run, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _run(self, conn):
        try:
            self.handler(conn, self)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            self.done.set()

    def close(self):
        self._stop.set()
        self.sock.close()
        self._thread.join(2)
        for t in self._threads:
            t.join(2)


def echo(conn, server):
    while True:
        data = conn.recv(65536)
        if not data:
            return
        with server.lock:
            server.received += data
        conn.sendall(data)


def upper_echo(conn, server):
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data.upper())


def reset_after_greeting(conn, server):
    conn.sendall(b"bye")
    time.sleep(0.1)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def close_after(data, cue=None):
    """Send data then FIN; with a cue, only once the device has sent the cue."""

    def handler(conn, server):
        if cue is not None:
            got = b""
            while not got.endswith(cue):
                chunk = conn.recv(64)
                if not chunk:
                    return
                got += chunk
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        # Read until the device closes too, so the close order is deterministic.
        while conn.recv(65536):
            pass
    return handler


def silent(conn, server):
    """Accepts, says nothing, and keeps the connection until the peer closes."""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        with server.lock:
            server.received += data


@pytest.fixture
def server():
    """server(handler) -> LoopbackServer; closed after the test."""
    made = []

    def make(handler=echo, backlog=8):
        s = LoopbackServer(handler, backlog)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture
def closed_port():
    """A loopback port with nothing listening on it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def blackhole():
    """A loopback port whose SYNs go unanswered: a listener whose accept queue
    is already full, so Linux drops further SYNs (no RST), as a dead host would."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    port = lst.getsockname()[1]
    fillers = []
    # Fill the accept queue (backlog 0 admits one); stop once SYNs go unanswered.
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            c.connect(("127.0.0.1", port))
        fillers.append(c)
    time.sleep(0.2)
    yield port
    for c in fillers:
        c.close()
    lst.close()


@pytest.fixture
def udp_echo():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.2)
    stop = threading.Event()

    def run():
        while not stop.is_set():
            try:
                data, addr = s.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            s.sendto(data[::-1], addr)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    yield s.getsockname()[1]
    stop.set()
    s.close()
    t.join(2)


def wait_for(predicate, timeout=5.0, step=0.005):
    """Poll predicate() until true; bounded. Returns its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(step)
        value = predicate()
    return value
