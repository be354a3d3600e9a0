"""Loopback servers for the benchmarks, run in their own process.

echo:   sends back whatever arrives.
sink:   reads "<n>\\n", then n bytes, then replies with the count it got.
source: reads "<n>\\n", then sends n bytes and closes.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import socket
import threading


def _echo(conn: socket.socket) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


def _read_line(conn: socket.socket) -> tuple[int, bytes]:
    line = b""
    while b"\n" not in line:
        chunk = conn.recv(64)
        if not chunk:
            raise ConnectionError("no header")
        line += chunk
    head, _, rest = line.partition(b"\n")
    return int(head), rest


def _sink(conn: socket.socket) -> None:
    total, rest = _read_line(conn)
    got = len(rest)
    while got < total:
        data = conn.recv(1 << 20)
        if not data:
            break
        got += len(data)
    conn.sendall(b"%d\n" % got)


def _source(conn: socket.socket) -> None:
    total, _ = _read_line(conn)
    block = b"z" * 65536
    sent = 0
    while sent < total:
        n = min(len(block), total - sent)
        conn.sendall(block[:n])
        sent += n


def _listen(handler) -> int:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)

    def loop():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=_run, args=(handler, conn), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return srv.getsockname()[1]


def _run(handler, conn):
    try:
        handler(conn)
    except OSError:
        pass
    finally:
        conn.close()


def serve_forever(ready) -> None:
    ports = {"echo": _listen(_echo), "sink": _listen(_sink), "source": _listen(_source)}
    ready.put(ports)
    threading.Event().wait()


@contextlib.contextmanager
def servers():
    """Start the servers in their own process; yield {"echo"|"sink"|"source": port}."""
    ctx = mp.get_context("spawn")
    ready = ctx.Queue()
    proc = ctx.Process(target=serve_forever, args=(ready,), daemon=True)
    proc.start()
    try:
        yield ready.get(timeout=30)
    finally:
        proc.terminate()
        proc.join(5)
