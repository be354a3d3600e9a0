"""usocket through the host gateway versus CPython's own socket, on loopback.

Both clients talk to the same servers, in a separate process (so client and
server never share a GIL), in the same run. Figures are ratios of the two; the
absolute numbers are printed for context only.

    .venv/bin/python bench/bench_socket.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _servers import servers  # noqa: E402
from _table import print_table  # noqa: E402

import qpysim  # noqa: E402


def open_native(port: int, nodelay: bool = False) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port))
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def usocket_opener(usocket):
    """open(port, nodelay) for usocket through the host gateway (which sets
    TCP_NODELAY on its side itself)."""
    def open_(port: int, nodelay: bool = False):
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
        s.connect(("127.0.0.1", port))
        return s
    return open_


def rtt(open_, port: int, n: int, size: int) -> float:
    """Seconds per round trip of `size` bytes to the echo server."""
    s = open_(port, nodelay=True)
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


def upload(open_, port: int, total: int, chunk: int) -> float:
    """Bytes per second to the sink, until it has counted every byte."""
    s = open_(port)
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


def download(open_, port: int, total: int) -> float:
    """Bytes per second from the source."""
    s = open_(port)
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


def paired(rounds, native, emulated):
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

    with servers() as ports:
        dev = qpysim.Device()
        emulated = usocket_opener(dev.module("usocket"))
        rows = []
        nat, emu = paired(rounds, lambda: rtt(open_native, ports["echo"], n_rtt, 64),
                          lambda: rtt(emulated, ports["echo"], n_rtt, 64))
        rows.append(("round trip, 64 B (lower is better)", f"{nat * 1e6:.1f} us",
                     f"{emu * 1e6:.1f} us", emu / nat, "<= 1.5"))
        nat, emu = paired(rounds, lambda: upload(open_native, ports["sink"], total, 65536),
                          lambda: upload(emulated, ports["sink"], total, 65536))
        rows.append(("upload throughput (higher is better)", f"{nat / 1e6:.0f} MB/s",
                     f"{emu / 1e6:.0f} MB/s", emu / nat, ">= 0.8"))
        nat, emu = paired(rounds, lambda: download(open_native, ports["source"], total),
                          lambda: download(emulated, ports["source"], total))
        rows.append(("download throughput (higher is better)", f"{nat / 1e6:.0f} MB/s",
                     f"{emu / 1e6:.0f} MB/s", emu / nat, ">= 0.8"))
        dev.modem.halt("bench over")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    print_table("host gateway vs CPython socket", measure(ap.parse_args().quick),
                "native", "usocket")
    return 0


if __name__ == "__main__":
    sys.exit(main())
