"""Virtual time and the virtual network, measured in wall time.

- device day: a script keeps a TCP connection to a virtual echo host and sends
  a 100-byte heartbeat every 60 s for 24 device hours, reading each reply.
  Figure: device seconds per wall second (target >= 40,000).
- round trip and bulk throughput through the virtual network (zero-latency
  link) versus CPython's own sockets on loopback, in the same run.

    .venv/bin/python bench/bench_virtual.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(__file__))
from _servers import servers  # noqa: E402
from bench_socket import open_native, paired, rtt, upload  # noqa: E402
from _table import print_table  # noqa: E402

import qpysim  # noqa: E402

ECHO = """
hosts:
  echo.bench:
    7: echo
    9: discard
"""

DAY = """
import usocket, utime
s = usocket.socket()
s.connect(usocket.getaddrinfo("echo.bench", 7)[0][-1])
beat = b"x" * 100
for i in range({beats}):
    s.send(beat)
    got = 0
    while got < 100:
        got += len(s.recv(100))
    utime.sleep(60)
s.close()
print("beats", {beats}, "device seconds", utime.ticks_ms() // 1000)
"""

RTT = """
import usocket, utime
s = usocket.socket()
s.connect(usocket.getaddrinfo("echo.bench", 7)[0][-1])
msg = b"x" * 64
for i in range({n}):
    s.send(msg)
    got = 0
    while got < 64:
        got += len(s.recv(64))
s.close()
"""

BULK = """
import usocket
s = usocket.socket()
s.connect(usocket.getaddrinfo("echo.bench", 9)[0][-1])
block = b"y" * 65536
for i in range({blocks}):
    s.sendall(block)
s.close()
"""


def run_script(folder: str, source: str) -> float:
    path = os.path.join(folder, "main.py")
    with open(path, "w") as f:
        f.write(textwrap.dedent(source))
    scen = os.path.join(folder, "s.yaml")
    with open(scen, "w") as f:
        f.write(ECHO)
    dev = qpysim.Device(scenario=scen)
    t0 = time.perf_counter()
    result = dev.run(path)
    elapsed = time.perf_counter() - t0
    assert result.status == 0, result
    return elapsed


def measure(quick: bool) -> list:
    """Rows (what, native, qpysim, figure, target, kind) for virtual time and network."""
    beats = 1440  # one a minute for 24 hours
    n_rtt = 500 if quick else 3000
    blocks = 128 if quick else 1024
    rounds = 1 if quick else 5

    rows = []
    with servers() as ports, tempfile.TemporaryDirectory() as folder:
        day = statistics.median(run_script(folder, DAY.format(beats=beats))
                                for _ in range(rounds))
        rows.append(("device day (24 h of heartbeats)", "86400 s device",
                     f"{day * 1e3:.1f} ms wall", 86400 / day, ">= 40000", "speed-up"))
        nat_rtt, emu_rtt = paired(
            rounds, lambda: rtt(open_native, ports["echo"], n_rtt, 64),
            lambda: run_script(folder, RTT.format(n=n_rtt)) / n_rtt)
        rows.append(("round trip, 64 B, virtual echo", f"{nat_rtt * 1e6:.1f} us",
                     f"{emu_rtt * 1e6:.1f} us", emu_rtt / nat_rtt, "(lower is better)", "ratio"))
        nat_tp, emu_tp = paired(
            rounds, lambda: upload(open_native, ports["sink"], blocks * 65536, 65536),
            lambda: blocks * 65536 / run_script(folder, BULK.format(blocks=blocks)))
        rows.append(("bulk upload, virtual discard", f"{nat_tp / 1e6:.0f} MB/s",
                     f"{emu_tp / 1e6:.0f} MB/s", emu_tp / nat_tp, "(higher is better)", "ratio"))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    rows = measure(ap.parse_args().quick)
    print_table("virtual time and network",
                [(n, a, b, f, f"{kind} {t}") for n, a, b, f, t, kind in rows], "native")
    return 0


if __name__ == "__main__":
    sys.exit(main())
