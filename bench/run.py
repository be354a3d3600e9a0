"""Every qpysim benchmark in one table: each figure a ratio against a baseline
measured side by side in the same run (CPython's own sockets, `python3`).

    .venv/bin/python bench/run.py [--quick]

Rows: host gateway round trip and throughput (bench_socket.py), virtual network
round trip and throughput and the device-day speed-up (bench_virtual.py), an MQTT
app's device day and the publish-to-delivery round trip through mosquitto
against paho-mqtt (bench_mqtt.py), device days per wall minute of a heartbeat
test under `pytest -n 2 --qpysim-seeds N` (bench_matrix.py),
`qpysim run noop.py` start-up against `python3 noop.py`, and resident memory per
open connected socket against CPython's socket. Never a pass/fail: targets are
printed next to the figures for a reader to judge.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(__file__))
import bench_matrix  # noqa: E402
import bench_mqtt  # noqa: E402
import bench_socket  # noqa: E402
import bench_virtual  # noqa: E402
from _servers import servers  # noqa: E402
from _table import print_table  # noqa: E402

QPYSIM = os.path.join(os.path.dirname(sys.executable), "qpysim")


def startup(quick: bool) -> tuple:
    """Median wall time of `python3 noop.py`, of `qpysim run noop.py` (real time,
    the default) and of `qpysim run --clock virtual noop.py` (which runs a second
    interpreter with PYTHONHASHSEED=0, for exact replay). Bytecode is written
    and warmed first, as an installed package has it (pip compiles on install),
    whatever PYTHONDONTWRITEBYTECODE this shell has."""
    rounds = 5 if quick else 21
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as folder:
        noop = os.path.join(folder, "noop.py")
        with open(noop, "w") as f:
            f.write("pass\n")
        commands = ([sys.executable, noop], [QPYSIM, "run", "-q", noop],
                    [QPYSIM, "run", "-q", "--clock", "virtual", noop])
        times = [[] for _ in commands]
        for cmd in commands:
            subprocess.run(cmd, check=True, env=env)  # warm: bytecode, page cache
        for _ in range(rounds):
            for cmd, spent in zip(commands, times):
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True, env=env)
                spent.append(time.perf_counter() - t0)
    return tuple(statistics.median(t) for t in times)


MEMORY_CHILD = """
import os, socket
n, port, kind = {n}, {port}, {kind!r}

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

if kind == "native":
    make = lambda: socket.create_connection(("127.0.0.1", port))
else:
    import qpysim
    dev = qpysim.Device(module="EC200A")
    us = dev.module("usocket")
    def make():
        s = us.socket()
        s.connect(("127.0.0.1", port))
        return s
held = [make() for _ in range(8)]
before = rss()
held += [make() for _ in range(n)]
for s in held:
    s.send(b"x")
    s.recv(1)
print(rss() - before)
"""


def memory_per_socket(quick: bool) -> tuple:
    """Resident bytes per open, connected socket: usocket (device socket, gateway
    socket and their buffers) and CPython's socket, each in a fresh process."""
    n = 56  # EC200A's table holds 64
    out = {}
    with servers() as ports:
        for kind in ("native", "usocket"):
            samples = []
            for _ in range(1 if quick else 3):
                code = textwrap.dedent(MEMORY_CHILD).format(n=n, port=ports["echo"], kind=kind)
                r = subprocess.run([sys.executable, "-c", code], check=True,
                                   capture_output=True, text=True)
                samples.append(int(r.stdout.split()[-1]) / n)
            out[kind] = statistics.median(samples)
    return out["native"], out["usocket"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    quick = ap.parse_args().quick

    rows = []
    for name, nat, emu, ratio, target in bench_socket.measure(quick):
        rows.append(("gateway: " + name.split(" (")[0], nat, emu, ratio, target))
    for name, nat, emu, fig, target, kind in bench_virtual.measure(quick):
        rows.append(("virtual: " + name, nat, emu, fig, target if kind == "speed-up" else ""))
    for name, nat, emu, fig, target, _ in bench_mqtt.measure(quick):
        rows.append(("mqtt: " + name, nat, emu, fig, target))
    rows.extend(bench_matrix.measure(quick))
    nat, real, virtual = startup(quick)
    rows.append(("start-up: qpysim run noop.py vs python3", f"{nat * 1e3:.0f} ms",
                 f"{real * 1e3:.0f} ms", real / nat, "<= 2"))
    rows.append(("start-up: ... --clock virtual (2 interpreters)", f"{nat * 1e3:.0f} ms",
                 f"{virtual * 1e3:.0f} ms", virtual / nat, ""))
    if sys.platform.startswith("linux"):
        nat, emu = memory_per_socket(quick)
        rows.append(("memory per open connected socket", f"{nat / 1024:.1f} KiB",
                     f"{emu / 1024:.1f} KiB", emu / max(nat, 1.0), ""))

    print(f"qpysim benchmarks, {datetime.date.today()}, {platform.machine()} "
          f"{os.cpu_count()} CPUs, {platform.platform(terse=True)}, "
          f"Python {platform.python_version()}{' (quick)' if quick else ''}")
    print_table("", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
