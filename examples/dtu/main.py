"""A minimal DTU: each line typed into UART2 goes to a TCP server, and what the
server answers goes back out of the UART. The server and the UART settings
are in /usr/dtu_config.json.

    qpysim run --scenario examples/dtu/dtu.yaml --timeout 60 examples/dtu/main.py
    qpysim run --scenario examples/dtu/sensor.yaml --timeout 60 examples/dtu/main.py
    qpysim run --uart 2=tcp:7002 examples/dtu/main.py   # then: nc 127.0.0.1 7002

sensor.yaml adds a scripted sensor on UART2 that sends readings.

The second needs the server of dtu_config.json on the PC's network.
"""

import ujson
import usocket
import utime
import checkNet
from machine import UART

with open("/usr/dtu_config.json") as f:
    config = ujson.loads(f.read())

uart = UART(config["uart"], config["baud"], 8, 0, 1, 0)
stage, state = checkNet.waitNetworkReady(30)
print("network", stage, state)

sock = None
pending = b""
while True:
    if sock is None:
        try:
            addr = usocket.getaddrinfo(config["host"], config["port"])[0][-1]
            sock = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
            sock.connect(addr)
            sock.settimeout(0.05)
            print("connected to", config["host"], config["port"])
        except OSError as e:
            print("connect failed", e)
            sock = None
            utime.sleep(5)
            continue
    if uart.any():
        pending += uart.read(uart.any())
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            sock.send(line + b"\n")
            print("uart -> server", line)
    try:
        reply = sock.recv(512)
        if not reply:
            raise OSError(104)
        uart.write(reply)
        print("server -> uart", reply)
    except OSError as e:
        if e.args[0] not in (11, 110):  # nothing yet
            print("connection lost", e)
            sock.close()
            sock = None
    utime.sleep_ms(20)
