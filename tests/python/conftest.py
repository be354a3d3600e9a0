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


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Mosquitto:
    """A real mosquitto (Debian's) on 127.0.0.1: a plain listener and a TLS one
    whose certificate a trustme CA signed for mqtt.example.com and 127.0.0.1.
    User "dev" has password "secret"; anonymous clients are allowed."""

    def __init__(self, folder):
        import shutil
        import subprocess

        import trustme

        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("mqtt.example.com", "127.0.0.1")
        folder.mkdir(parents=True, exist_ok=True)
        cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
        self.ca_pem = self.ca.cert_pem.bytes().decode()
        passwords = folder / "passwd"
        subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "dev", "secret"],
                       check=True, capture_output=True, timeout=30)
        # free_port() can race with another worker taking the same port: a
        # mosquitto that exits at once is started again on new ports (3 tries).
        for attempt in range(3):
            error = self._start(exe, folder, passwords)
            if error is None:
                return
        raise RuntimeError(f"mosquitto did not start: {error}")

    def _start(self, exe, folder, passwords):
        """Start mosquitto on two free ports; None, or why it did not start."""
        import getpass
        import subprocess

        self.port = free_port()
        self.tls_port = free_port()
        conf = folder / "mosquitto.conf"
        conf.write_text(
            # Run as whoever runs the tests: as root, mosquitto would otherwise
            # become user "mosquitto", who cannot read the test's folder.
            f"user {getpass.getuser()}\n"
            "per_listener_settings false\n"
            "allow_anonymous true\n"
            f"password_file {passwords}\n"
            "persistence false\n"
            "log_dest stderr\n"
            "log_type error\n"
            f"listener {self.port} 127.0.0.1\n"
            f"listener {self.tls_port} 127.0.0.1\n"
            f"certfile {folder / 'server.pem'}\n"
            f"keyfile {folder / 'server.pem'}\n")
        self.proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                socket.create_connection(("127.0.0.1", self.tls_port), timeout=0.5).close()
                return None
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    if self.proc.poll() is None:
                        self.proc.kill()
                    self.proc.wait(5)
                    said = self.proc.stderr.read().decode(errors="replace")
                    self.proc.stderr.close()
                    return f"exit {self.proc.returncode}: {said}"
                time.sleep(0.05)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait(5)
        self.proc.stderr.close()


@pytest.fixture
def mosquitto(tmp_path):
    broker = Mosquitto(tmp_path / "mosquitto")
    yield broker
    broker.close()


def _make_web_handler(log):
    import http.server
    import json as _json

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args):  # quiet
            pass

        def _body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _send(self, status, body, headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _record(self, body):
            log.append({"method": self.command, "path": self.path,
                        "headers": [(k, v) for k, v in self.headers.items()], "body": body,
                        "request_line": self.requestline})

        def do_GET(self):
            self._record(b"")
            if self.path == "/hello":
                self._send(200, b"hello world", [("Content-Type", "text/plain")])
            elif self.path == "/json":
                self._send(200, _json.dumps({"temp": 21.5, "ok": True}).encode(),
                           [("Content-Type", "application/json")])
            elif self.path == "/big":
                self._send(200, b"0123456789" * 1024)
            elif self.path == "/chunked":
                self.protocol_version = "HTTP/1.1"
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                for piece in (b"first,", b"second,", b"third"):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            elif self.path == "/redirect":
                self._send(302, b"", [("Location", "http://127.0.0.1/hello")])
            elif self.path == "/noclose":
                # No Content-Length and the connection stays open: a reader
                # that waits for the end of the body waits until it times out.
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"partial")
                self.wfile.flush()
                time.sleep(5)
            else:
                self._send(404, b"not here")

        do_HEAD = do_GET

        def do_POST(self):
            body = self._body()
            self._record(body)
            self._send(201, _json.dumps({"got": len(body)}).encode(),
                       [("Content-Type", "application/json")])

        do_PUT = do_POST
        do_PATCH = do_POST

        def do_DELETE(self):
            self._record(b"")
            self._send(204, b"")

    return Handler


class WebServer:
    """A real HTTP server and an HTTPS one (a trustme CA's certificate for
    api.example.com and 127.0.0.1) on 127.0.0.1; `log` holds every request."""

    def __init__(self):
        import http.server
        import ssl

        import trustme

        self.log = []
        handler = _make_web_handler(self.log)
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.https = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        ca = trustme.CA()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("api.example.com", "127.0.0.1").configure_cert(ctx)
        self.https.socket = ctx.wrap_socket(self.https.socket, server_side=True)
        self.ca_pem = ca.cert_pem.bytes().decode()
        self.port = self.http.server_address[1]
        self.https_port = self.https.server_address[1]
        self._threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                          daemon=True) for s in (self.http, self.https)]
        for t in self._threads:
            t.start()

    def close(self):
        for s in (self.http, self.https):
            s.shutdown()
            s.server_close()
        for t in self._threads:
            t.join(5)


@pytest.fixture
def web():
    server = WebServer()
    yield server
    server.close()
