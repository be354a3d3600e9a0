"""MQTT, measured in wall time.

- device day: QuecPython's umqtt with keepalive 60 s and a reading thread
  publishes a QoS 1 report every 60 s for 24 device hours to the virtual broker,
  in virtual time. Figure: device seconds per wall second (target >= 100,000).
- publish-to-delivery round trip: a client subscribed to its own topic
  publishes 64 bytes at QoS 0 and waits for the message to come back from a
  real mosquitto on 127.0.0.1. qpysim: the firmware's umqtt in a device script
  through the host gateway; native: paho-mqtt (PyPI) in the same process's
  Python, in the same run, alternating rounds. Figure: the ratio of medians
  (target <= 1.5).

    .venv/bin/python bench/bench_mqtt.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from _table import print_table  # noqa: E402

import qpysim  # noqa: E402

BROKER = """
hosts:
  mqtt.bench:
    1883: mqtt
"""

DAY = """
from umqtt import MQTTClient
import utime, _thread
c = MQTTClient("bench", "mqtt.bench", keepalive=60)
c.set_callback(lambda t, m: None)
c.connect()
running = [True]
def loop():
    while running[0]:
        c.wait_msg()
_thread.start_new_thread(loop, ())
ok = 0
for i in range({reports}):
    if c.publish("bench/report", '{{"seq": %d, "temp": 21.5}}' % i, qos=1):
        ok += 1
    utime.sleep(60)
running[0] = False
c.disconnect()
print(ok)
"""

ROUND_TRIPS = """
from umqtt import MQTTClient
import utime
c = MQTTClient("dev-rt", "mqtt.bench", reconn=False)
got = []
c.set_callback(lambda t, m: got.append(m))
c.connect()
c.subscribe("bench/rt")
msg = "x" * 64
times = []
for i in range({n}):
    t0 = utime.ticks_us()
    c.publish("bench/rt", msg)
    while not got:
        c.wait_msg()
    got.pop()
    times.append(utime.ticks_diff(utime.ticks_us(), t0))
c.disconnect()
times.sort()
print(times[len(times) // 2])
"""


def run_script(folder: str, source: str, scenario: str) -> tuple:
    """(wall seconds, what the script printed last)."""
    path = os.path.join(folder, "main.py")
    with open(path, "w") as f:
        f.write(textwrap.dedent(source))
    scen = os.path.join(folder, "s.yaml")
    with open(scen, "w") as f:
        f.write(scenario)
    out = os.path.join(folder, "out.txt")
    dev = qpysim.Device(scenario=scen)
    t0 = time.perf_counter()
    with open(out, "w") as f, contextlib.redirect_stdout(f):
        result = dev.run(path)
    elapsed = time.perf_counter() - t0
    assert result.status == 0, result
    with open(out) as f:
        return elapsed, f.read().split()[-1]


@contextlib.contextmanager
def mosquitto():
    """A mosquitto on 127.0.0.1, on a free port; yields the port (None: not installed)."""
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.path.exists(exe):
        yield None
        return
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with tempfile.TemporaryDirectory() as folder:
        conf = os.path.join(folder, "m.conf")
        with open(conf, "w") as f:
            import getpass
            f.write(f"user {getpass.getuser()}\nallow_anonymous true\npersistence false\n"
                    f"log_dest none\nlistener {port} 127.0.0.1\n")
        proc = subprocess.Popen([exe, "-c", conf], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("mosquitto did not start")
                    time.sleep(0.05)
            yield port
        finally:
            proc.terminate()
            proc.wait(5)


def paho_round_trips(port: int, n: int) -> float:
    """Median seconds from publish to the message's return, with paho-mqtt."""
    import paho.mqtt.client as paho

    arrived = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="pc-rt")
    client.on_message = lambda c, u, m: arrived.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.subscribe("bench/rt")
        time.sleep(0.3)
        msg = b"x" * 64
        times = []
        for _ in range(n):
            arrived.clear()
            t0 = time.perf_counter()
            client.publish("bench/rt", msg)
            if not arrived.wait(5):
                raise RuntimeError("paho: the message did not come back")
            times.append(time.perf_counter() - t0)
    finally:
        client.loop_stop()
        client.disconnect()
    return statistics.median(times)


def measure(quick: bool) -> list:
    """Rows (what, baseline, qpysim, figure, target, kind)."""
    rows = []
    rounds = 1 if quick else 3
    with tempfile.TemporaryDirectory() as folder:
        days = []
        for _ in range(rounds):
            wall, ok = run_script(folder, DAY.format(reports=1440), BROKER)
            assert ok == "1440", ok
            days.append(wall)
        day = statistics.median(days)
        rows.append(("device day (QoS 1 every 60 s)", "86400 s device",
                     f"{day * 1e3:.0f} ms wall", 86400 / day, ">= 100000", "speed-up"))
        with mosquitto() as port:
            if port is None:
                return rows
            n = 200 if quick else 1000
            scenario = f"clock: real\nforward:\n  mqtt.bench:1883: 127.0.0.1:{port}\n"
            nat, emu = [], []
            for _ in range(rounds):
                nat.append(paho_round_trips(port, n))
                _, median_us = run_script(folder, ROUND_TRIPS.format(n=n), scenario)
                emu.append(int(median_us) / 1e6)
            nat_rt, emu_rt = statistics.median(nat), statistics.median(emu)
            rows.append(("publish-to-delivery, mosquitto, 64 B", f"{nat_rt * 1e6:.0f} us",
                         f"{emu_rt * 1e6:.0f} us", emu_rt / nat_rt, "<= 1.5", "ratio"))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    rows = measure(ap.parse_args().quick)
    print_table("mqtt", [(n, a, b, f, t) for n, a, b, f, t, _ in rows], "baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
