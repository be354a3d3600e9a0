"""usocket through the host gateway versus CPython's own socket, on loopback.

Both clients talk to the same servers, in a separate process (so client and
server never share a GIL), in the same run. Figures are ratios of the two; the
absolute numbers are printed for context only.

    .venv/bin/python bench/bench_socket.py [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _servers import serve_forever  # noqa: E402
from _table import print_table  # noqa: E402

import qpysim  # noqa: E402


def rtt_native(port: int, n: int, size: int) -> float:
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"x" * size
    for _ in range(50):
        s.sendall(msg)
        s.recv(size)
    t0 = time.perf_counter()
    for _ in range(n):
        s.sendall(msg)
        got = 0
        while got < size:
            got += len(s.recv(size - got))
    elapsed = time.perf_counter() - t0
    s.close()
    return elapsed / n


def rtt_usocket(usocket, port: int, n: int, size: int) -> float:
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    s.connect(("127.0.0.1", port))
    msg = b"x" * size
    for _ in range(50):
        s.send(msg)
        s.recv(size)
    t0 = time.perf_counter()
    for _ in range(n):
        s.send(msg)
        got = 0
        while got < size:
            got += len(s.recv(size - got))
    elapsed = time.perf_counter() - t0
    s.close()
    return elapsed / n


def bulk_native(port: int, total: int, chunk: int) -> float:
    s = socket.create_connection(("127.0.0.1", port))
    buf = b"y" * chunk
    t0 = time.perf_counter()
    s.sendall(b"%d\n" % total)
    sent = 0
    while sent < total:
        s.sendall(buf)
        sent += chunk
    assert s.recv(64).startswith(b"%d" % total)  # the sink's byte count: everything arrived
    elapsed = time.perf_counter() - t0
    s.close()
    return total / elapsed


def bulk_usocket(usocket, port: int, total: int, chunk: int) -> float:
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    s.connect(("127.0.0.1", port))
    buf = b"y" * chunk
    t0 = time.perf_counter()
    s.sendall(b"%d\n" % total)
    sent = 0
    while sent < total:
        s.sendall(buf)
        sent += chunk
    assert s.recv(64).startswith(b"%d" % total)
    elapsed = time.perf_counter() - t0
    s.close()
    return total / elapsed


def bulk_download_native(port: int, total: int) -> float:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"%d\n" % total)
    t0 = time.perf_counter()
    got = 0
    while got < total:
        data = s.recv(65536)
        if not data:
            break
        got += len(data)
    elapsed = time.perf_counter() - t0
    s.close()
    assert got == total
    return total / elapsed


def bulk_download_usocket(usocket, port: int, total: int) -> float:
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    s.connect(("127.0.0.1", port))
    s.send(b"%d\n" % total)
    t0 = time.perf_counter()
    got = 0
    while got < total:
        data = s.recv(65536)
        if not data:
            break
        got += len(data)
    elapsed = time.perf_counter() - t0
    s.close()
    assert got == total
    return total / elapsed


def paired(rounds, native, emulated, better=min):
    """Alternate native and emulated runs so both see the same machine load;
    return the median of each."""
    nat, emu = [], []
    for _ in range(rounds):
        nat.append(native())
        emu.append(emulated())
    return statistics.median(nat), statistics.median(emu)


def measure(quick: bool) -> list:
    """Rows (what, native, usocket, ratio, target) for the host gateway."""
    n_rtt = 500 if quick else 2000
    total = (16 if quick else 128) * 1024 * 1024
    rounds = 3 if quick else 9

    ctx = mp.get_context("spawn")
    ready = ctx.Queue()
    proc = ctx.Process(target=serve_forever, args=(ready,), daemon=True)
    proc.start()
    ports = ready.get(timeout=30)
    try:
        dev = qpysim.Device()
        us = dev.module("usocket")
        rows = []
        nat, emu = paired(rounds, lambda: rtt_native(ports["echo"], n_rtt, 64),
                          lambda: rtt_usocket(us, ports["echo"], n_rtt, 64))
        rows.append(("round trip, 64 B (lower is better)", f"{nat * 1e6:.1f} us",
                     f"{emu * 1e6:.1f} us", emu / nat, "<= 1.5"))
        nat, emu = paired(rounds, lambda: bulk_native(ports["sink"], total, 65536),
                          lambda: bulk_usocket(us, ports["sink"], total, 65536))
        rows.append(("upload throughput (higher is better)", f"{nat / 1e6:.0f} MB/s",
                     f"{emu / 1e6:.0f} MB/s", emu / nat, ">= 0.8"))
        nat, emu = paired(rounds, lambda: bulk_download_native(ports["source"], total),
                          lambda: bulk_download_usocket(us, ports["source"], total))
        rows.append(("download throughput (higher is better)", f"{nat / 1e6:.0f} MB/s",
                     f"{emu / 1e6:.0f} MB/s", emu / nat, ">= 0.8"))
        dev.modem.halt("bench over")
    finally:
        proc.terminate()
        proc.join(5)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    print_table("host gateway vs CPython socket", measure(ap.parse_args().quick),
                "native", "usocket")
    return 0


if __name__ == "__main__":
    sys.exit(main())
