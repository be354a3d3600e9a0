"""Faults in real time: qpysim as a fault proxy between a device script and real
loopback servers (through the host gateway).

Bounds are one-sided, so a loaded CI machine cannot make them flaky: observed
latency is never below the setting, throughput never above the bandwidth
setting by more than 10%. Exact figures are for the virtual-time tests and
for bench/.
"""

import socket as host_socket
import time

import pytest
from conftest import echo, silent, wait_for


def errno_of(excinfo):
    return excinfo.value.args[0]


def connect(usocket, port, timeout=None):
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    if timeout is not None:
        s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def test_latency_is_never_below_the_setting(device, usocket, server):
    srv = server(echo)
    device.faults.apply("latency", latency="100ms", jitter="20ms")
    t = time.monotonic()
    s = connect(usocket, srv.port)
    assert time.monotonic() - t >= 0.160  # SYN up, SYN-ACK down: each at least 80 ms
    for _ in range(3):
        t = time.monotonic()
        s.send(b"ping")
        assert s.recv(10) == b"ping"
        assert time.monotonic() - t >= 0.160
    s.close()


def test_udp_latency_through_the_gateway(device, usocket, udp_echo):
    device.faults.apply("latency", latency="150ms")
    u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    u.settimeout(5)
    t = time.monotonic()
    u.sendto(b"abc", ("127.0.0.1", udp_echo))
    assert u.recvfrom(10)[0] == b"cba"
    assert time.monotonic() - t >= 0.300
    u.close()


def test_upload_throughput_never_exceeds_the_bandwidth(device, usocket, server):
    srv = server(silent)
    rate = 32000  # bytes/s: 256 kbit/s
    device.faults.apply("bandwidth", rate="256kbit")
    s = connect(usocket, srv.port)
    data = b"u" * 64000
    t = time.monotonic()
    s.sendall(data)
    assert wait_for(lambda: len(srv.received) == len(data), timeout=20)
    elapsed = time.monotonic() - t
    assert len(data) / elapsed <= rate * 1.10
    s.close()


def test_download_throughput_never_exceeds_the_bandwidth(device, usocket, server):
    payload = b"d" * 48000

    def send_payload(conn, srv):
        conn.sendall(payload)
        while conn.recv(65536):
            pass

    srv = server(send_payload)
    rate = 16000  # bytes/s: 128 kbit/s
    device.faults.apply("bandwidth", rate="128kbit", direction="down")
    s = connect(usocket, srv.port)
    t = time.monotonic()
    got = 0
    s.settimeout(20)
    while got < len(payload):
        got += len(s.recv(8192))
    elapsed = time.monotonic() - t
    assert got / elapsed <= rate * 1.10
    s.close()


def test_reset_peer_resets_both_the_script_and_the_real_server(device, usocket, server):
    seen = []

    def watch(conn, srv):
        try:
            while conn.recv(65536):
                pass
            seen.append("eof")
        except ConnectionResetError:
            seen.append("reset")

    srv = server(watch)
    s = connect(usocket, srv.port)
    assert wait_for(lambda: srv.connections == 1)
    device.faults.apply("reset_peer")  # acts on the open connection at once
    with pytest.raises(OSError) as e:
        s.settimeout(5)
        s.recv(10)
    assert errno_of(e) == 104
    assert s.getsocketsta() == 0
    assert wait_for(lambda: seen == ["reset"])


def test_blackhole_connect_times_out_and_the_server_never_sees_it(device, usocket, server):
    srv = server(echo)
    device.faults.apply("blackhole", match={"port": srv.port})
    t = time.monotonic()
    with pytest.raises(OSError) as e:
        connect(usocket, srv.port, timeout=2)
    assert errno_of(e) == 110
    assert time.monotonic() - t >= 2.0
    assert srv.connections == 0


def test_refuse_gives_econnreset_without_reaching_the_server(device, usocket, server):
    srv = server(echo)
    device.faults.apply("refuse")
    with pytest.raises(OSError) as e:
        connect(usocket, srv.port, timeout=5)
    assert errno_of(e) == 104
    time.sleep(0.1)
    assert srv.connections == 0


def test_limit_data_closes_the_real_connection_too(device, usocket, server):
    seen = []

    def collect(conn, srv):
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        seen.append(data)

    srv = server(collect)
    device.faults.apply("limit_data", bytes=5, direction="up")
    s = connect(usocket, srv.port, timeout=5)
    s.send(b"0123456789")
    with pytest.raises(OSError) as e:  # the proxy's FIN: ENOTCONN, as on the module
        s.recv(10)
    assert e.value.args[0] == 107
    assert s.recv(10) == b""
    assert wait_for(lambda: seen == [b"01234"])
    s.close()


def test_faults_can_be_lifted_and_listed(device, usocket, server):
    srv = server(echo)
    fid = device.faults.apply("blackhole", name="outage")
    assert [f["name"] for f in device.faults.list()] == ["outage"]
    with pytest.raises(OSError):
        connect(usocket, srv.port, timeout=1)
    assert device.faults.lift(fid) == 1
    assert device.faults.list() == []
    s = connect(usocket, srv.port, timeout=5)
    s.send(b"back")
    assert s.recv(10) == b"back"
    s.close()
    with pytest.raises(ValueError, match="no fault 'outage' is in force"):
        device.faults.lift("outage")
