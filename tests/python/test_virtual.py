"""The virtual network and virtual time: services, Python peers, replay."""

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from device_run import run_device

import qpysim

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).with_name("qpysim")


def scenario(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


SERVICES = """
hosts:
  echo.test:
    7: echo
    9: discard
    7/udp: echo
  web.test:
    80:
      http:
        - {method: GET, path: /hello, body: "hi there", headers: {X-Demo: "1"}}
        - {method: GET, path: /slow, body: "late", delay: 1500ms}
        - {method: POST, path: /items, status: 201, body: "made"}
        - {method: "*", path: /files/*, body: "a file"}
  script.test:
    5000:
      script:
        - send: "HELLO\\r\\n"
        - expect: "LOGIN"
        - delay: 2s
        - send: "WELCOME\\r\\n"
        - close
link:
  latency: 50ms
"""


def run_with(tmp_path, capsys, source, scen=SERVICES, **kw):
    result, out, err, dev = run_device(tmp_path, capsys, source,
                                       scenario=scenario(tmp_path, scen), clock=None, **kw)
    assert result.status == 0, err
    return out


def test_a_scenario_of_virtual_hosts_runs_in_virtual_time_by_default(tmp_path, capsys):
    dev = qpysim.Device(scenario=scenario(tmp_path, SERVICES))
    assert dev.modem.clock == "virtual"


def test_connect_resolves_names_and_port_strings_as_the_firmware(tmp_path, capsys):
    # connect() runs the tuple through getaddrinfo (modsocket.c:282-286), whose
    # port goes to lwIP's atoi: "7" and "7x" are 7, "x" and 70000 EAI_SERVICE.
    out = run_with(tmp_path, capsys, """
        import usocket
        for addr in (("echo.test", 7), ("echo.test", "7"), ("203.0.113.10", " 7x"),
                     ("echo.test", "x"), ("echo.test", 70000), ("echo.test", -1)):
            s = usocket.socket()
            try:
                s.connect(addr)
                s.send(b"hi")
                print("echo", s.recv(10))
            except OSError as e:
                print(e)
            s.close()
        print(usocket.getaddrinfo("echo.test", "7x")[0][-1])
        """)
    assert out.splitlines() == ["echo b'hi'"] * 3 + ["-201"] * 3 + ["('203.0.113.10', 7)"]


def test_readline_and_write_take_micropythons_stream_sizes(tmp_path, capsys):
    out = run_with(tmp_path, capsys, """
        import usocket
        s = usocket.socket()
        s.connect(("echo.test", 7))
        print(s.write(b"abcdef\\n", 3), s.write(b"0123456789", 2, 3), s.write("xyz\\n", -1))
        print(s.readline(2), s.readline(4), s.readline(), s.readline(0))
        print(s.write(b"abc", -5, 1), s.write(b"tail\\n"))
        print(s.readline(-1))
        """)
    # py/stream.c:264-280 (write: max_len, or off and max_len) and 363-410
    # (readline: at most size bytes, up to and including the newline).
    assert out.splitlines() == ["3 3 4", "b'ab' b'c234' b'xyz\\n' b''", "0 5", "b'tail\\n'"]


def test_echo_and_discard_with_link_latency(tmp_path, capsys):
    out = run_with(tmp_path, capsys, """
        import usocket, utime
        t0 = utime.ticks_ms()
        s = usocket.socket()
        s.connect(usocket.getaddrinfo("echo.test", 7)[0][-1])
        t1 = utime.ticks_ms()
        s.send(b"abc")
        print(s.recv(10), utime.ticks_diff(t1, t0), utime.ticks_diff(utime.ticks_ms(), t1))
        d = usocket.socket()
        d.connect(usocket.getaddrinfo("echo.test", 9)[0][-1])
        d.send(b"into the void")
        d.settimeout(1)
        try:
            d.recv(10)
        except OSError as e:
            print(e.args[0])
        """)
    # One round trip (100 ms) for the handshake, one for the echo.
    assert out.splitlines() == ["b'abc' 100 100", "110"]


def test_a_closed_port_on_a_virtual_host_refuses(tmp_path, capsys):
    out = run_with(tmp_path, capsys, """
        import usocket
        s = usocket.socket()
        try:
            s.connect(usocket.getaddrinfo("echo.test", 1234)[0][-1])
        except OSError as e:
            print(e.args[0])
        """)
    assert out.strip() == "104"


def test_an_unknown_address_never_answers(tmp_path, capsys):
    out = run_with(tmp_path, capsys, """
        import usocket, utime
        s = usocket.socket()
        t0 = utime.ticks_ms()
        try:
            s.connect(("198.51.100.1", 80))
        except OSError as e:
            print(e.args[0], utime.ticks_diff(utime.ticks_ms(), t0))
        try:
            usocket.getaddrinfo("nowhere.test", 80)
        except OSError as e:
            print(e.args[0])
        """)
    assert out.splitlines() == ["103 18500", "-202"]


def test_udp_echo(tmp_path, capsys):
    out = run_with(tmp_path, capsys, """
        import usocket, utime
        u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        t0 = utime.ticks_ms()
        u.sendto(b"dgram", usocket.getaddrinfo("echo.test", 7)[0][-1])
        data, addr = u.recvfrom(64)
        print(data, addr[1], utime.ticks_diff(utime.ticks_ms(), t0))
        """)
    assert out.strip() == "b'dgram' 7 100"


def test_http_routes(tmp_path, capsys):
    out = run_with(tmp_path, capsys, """
        import usocket, utime
        def get(req):
            s = usocket.socket()
            s.connect(usocket.getaddrinfo("web.test", 80)[0][-1])
            t0 = utime.ticks_ms()
            s.send(req)
            data = s.recv(512)
            s.close()
            head, body = data.split(b"\\r\\n\\r\\n", 1)
            return head.split(b"\\r\\n")[0], body, utime.ticks_diff(utime.ticks_ms(), t0), head
        line, body, ms, head = get(b"GET /hello HTTP/1.1\\r\\nHost: web.test\\r\\n\\r\\n")
        print(line, body, ms, b"X-Demo: 1" in head, b"Content-Length: 8" in head)
        print(get(b"GET /slow HTTP/1.1\\r\\n\\r\\n")[1:3])
        print(get(b"POST /items HTTP/1.1\\r\\nContent-Length: 4\\r\\n\\r\\nbody")[0])
        print(get(b"GET /files/a/b.txt HTTP/1.1\\r\\n\\r\\n")[1])
        print(get(b"GET /missing HTTP/1.1\\r\\n\\r\\n")[0])
        """)
    assert out.splitlines() == [
        "b'HTTP/1.1 200 OK' b'hi there' 100 True True",
        "(b'late', 1600)",
        "b'HTTP/1.1 201 Created'",
        "b'a file'",
        "b'HTTP/1.1 404 Not Found'",
    ]


def test_scripted_dialogue(tmp_path, capsys):
    out = run_with(tmp_path, capsys, """
        import usocket, utime
        s = usocket.socket()
        s.connect(usocket.getaddrinfo("script.test", 5000)[0][-1])
        t0 = utime.ticks_ms()
        print(s.readline(), utime.ticks_diff(utime.ticks_ms(), t0))
        s.send(b"LOGIN me\\r\\n")
        print(s.readline(), utime.ticks_diff(utime.ticks_ms(), t0))
        try:
            s.recv(10)
        except OSError as e:  # the read that meets the script's close (FIN)
            print(e, s.recv(10), s.getsocketsta())
        """)
    # The banner leaves when the handshake's last ACK reaches the server: one round
    # trip after connect() returns. LOGIN takes 50 ms there, 2 s of delay, 50 ms back.
    assert out.splitlines() == ["b'HELLO\\r\\n' 100", "b'WELCOME\\r\\n' 2200",
                                "[Errno 107] ENOTCONN b'' 7"]


def test_python_peers_run_in_device_time(tmp_path, capsys):
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent("""
        import usocket, utime
        s = usocket.socket()
        s.connect(usocket.getaddrinfo("peer.test", 9000)[0][-1])
        t0 = utime.ticks_ms()
        s.send(b"question")
        print(s.recv(64), utime.ticks_diff(utime.ticks_ms(), t0))
        s.send(b"bye")
        try:
            s.recv(64)
        except OSError as e:  # the peer's handler returned: its connection closed
            print(e.args[0], s.recv(64), s.getsocketsta())
        s.close()
        """))
    dev = qpysim.Device(clock="virtual")
    seen = []

    def handler(conn):
        seen.append(conn.recv(64))
        dev.modem.sleep(3600)  # the peer thinks for an hour of device time
        conn.send(b"answer")
        seen.append(conn.recv(64))

    assert dev.serve("peer.test", 9000, handler).startswith("203.0.113.")
    t0 = time.monotonic()
    capsys.readouterr()
    result = dev.run(str(script))
    out = capsys.readouterr().out
    assert result.status == 0
    assert out.splitlines() == ["b'answer' 3600000", "107 b'' 7"]
    assert seen == [b"question", b"bye"]
    assert time.monotonic() - t0 < 10  # an hour of device time in seconds of wall time


def test_serve_refuses_a_port_already_served(tmp_path):
    dev = qpysim.Device(clock="virtual")
    dev.serve("peer.test", 9000, lambda c: None)
    with pytest.raises(OSError) as e:
        dev.serve("peer.test", 9000, lambda c: None)
    assert e.value.args[0] == 98
    with pytest.raises(TypeError):
        dev.serve("peer.test", 9001, "not callable")


def test_device_to_device_on_the_same_module(tmp_path, capsys):
    out = run_with(tmp_path, capsys, """
        import usocket, dataCall, _thread, utime
        ip = dataCall.getInfo(1, 0)[2][2]
        srv = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM, usocket.IPPROTO_TCP_SER)
        srv.bind(("", 6000))
        srv.listen(1)
        def serve():
            conn, cip, cport = srv.accept()
            conn.send(conn.recv(32).upper())
            conn.close()
        _thread.start_new_thread(serve, ())
        c = usocket.socket()
        c.connect((ip, 6000))
        c.send(b"loopback")
        print(c.recv(32))
        try:
            c.recv(32)
        except OSError as e:
            print(e.args[0], c.recv(32))
        """)
    assert out.splitlines() == ["b'LOOPBACK'", "107 b''"]


def test_busy_wait_loops_end_in_virtual_time(tmp_path, capsys):
    out = run_with(tmp_path, capsys, """
        import utime, usocket
        t0 = utime.ticks_ms()
        while utime.ticks_diff(utime.ticks_ms(), t0) < 2000:
            pass
        print("busy loop done")
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        s.bind(("", 0))
        s.setblocking(False)
        n = 0
        while True:
            try:
                s.recv(10)
            except OSError:
                n += 1
                if n == 5000:
                    break
        print("polled", utime.ticks_diff(utime.ticks_ms(), t0) > 2000)
        """)
    assert out.splitlines() == ["busy loop done", "polled True"]


def test_virtual_time_with_the_host_network_is_refused(tmp_path):
    scen = scenario(tmp_path, "clock: virtual\nforward:\n  a.test:80: 127.0.0.1:8080\n")
    script = tmp_path / "main.py"
    script.write_text("pass\n")
    r = subprocess.run([str(BIN), "run", "--scenario", scen, "--clock", "virtual", str(script)],
                       capture_output=True, text=True, timeout=60)
    # Refused before the run, naming the key and the clock: it used to run and
    # time out on every connect to the forwarded destination.
    assert r.returncode == 2
    assert ("forward: 'a.test:80' -> '127.0.0.1:8080' is a server on this PC, which virtual "
            "time cannot reach (the clock is virtual") in r.stderr
    r = subprocess.run([str(BIN), "run", "--clock", "virtual", str(script)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0
    with pytest.raises(ValueError, match="virtual time cannot reach the host network"):
        qpysim.Modem(clock="virtual", host_network=True)


def test_names_and_addresses_out_of_reach_are_said_once_not_left_to_time_out(tmp_path):
    scen = scenario(tmp_path, "hosts:\n  echo.test:\n    7: echo\n")
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent("""
        import usocket
        for i in range(2):
            try:
                usocket.getaddrinfo("api.real.example", 80)
            except OSError as e:
                print("dns", e)
            s = usocket.socket()
            try:
                s.connect(("93.184.216.34", 80))
            except OSError as e:
                print("connect", e)
            s.close()
        """))
    r = subprocess.run([str(BIN), "run", "-q", "--scenario", scen, str(script)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # The device sees what the module would (a lookup that fails, a SYN that is
    # never answered); the user is told why, once for each name and address.
    assert r.stdout.splitlines() == ["dns -202", "connect [Errno 103] ECONNABORTED"] * 2
    assert r.stderr.count("qpysim: 'api.real.example' is not a host or dns: name of the "
                          "scenario, and this run cannot ask the PC's resolver in virtual "
                          "time") == 1
    assert r.stderr.count("qpysim: 93.184.216.34 is no host of the scenario and this run does "
                          "not reach the PC's network") == 1


# ---------------------------------------------------------------- traces and replay

REPLAY = """
import usocket, _thread, utime, osTimer, dataCall, urandom
log = []
lock = _thread.allocate_lock()

def client(n):
    s = usocket.socket()
    s.connect(usocket.getaddrinfo("echo.test", 7)[0][-1])
    for i in range(3):
        s.send(b"msg %d/%d" % (n, i))
        data = s.recv(64)
        with lock:
            log.append((n, i, utime.ticks_ms()))
        utime.sleep_ms(urandom.randint(10, 300))
    s.close()

def web():
    s = usocket.socket()
    s.connect(usocket.getaddrinfo("web.test", 80)[0][-1])
    s.send(b"GET /slow HTTP/1.1\\r\\n\\r\\n")
    s.recv(256)
    s.close()

for n in range(4):
    _thread.start_new_thread(client, (n,))
_thread.start_new_thread(web, ())
t = osTimer()
t.start(200, 1, lambda x: log.append(("tick", utime.ticks_ms())))
utime.sleep(1)
dataCall.deactivate(1)
dataCall.activate(1)
utime.sleep(2)
t.stop()
print(len(log))
"""


def trace_of(tmp_path, seed, i):
    scen = scenario(tmp_path, SERVICES)
    script = tmp_path / "replay.py"
    script.write_text(REPLAY)
    trace = tmp_path / f"trace-{seed}-{i}.jsonl"
    r = subprocess.run([str(BIN), "run", "--scenario", scen, "--seed", str(seed), "--trace",
                        str(trace), str(script)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return trace.read_bytes()


def test_the_same_seed_gives_a_byte_identical_trace_ten_times(tmp_path):
    traces = [trace_of(tmp_path, 42, i) for i in range(10)]
    assert all(t == traces[0] for t in traces)
    events = [json.loads(line) for line in traces[0].splitlines()]
    kinds = {e["ev"] for e in events}
    assert {"power_on", "dns", "connect", "tcp_state", "send", "recv", "pdp", "thread",
            "service", "http", "close", "halt"} <= kinds
    assert any(e["ev"] == "tcp_state" and e["state"] == "2=>4" for e in events)
    assert len(events) > 50


def test_another_seed_gives_another_trace(tmp_path):
    assert trace_of(tmp_path, 1, 0) != trace_of(tmp_path, 2, 0)


def test_recycled_time_wait_pcbs_are_in_the_trace(tmp_path, capsys):
    result, out, err, dev = run_device(tmp_path, capsys, """
        import usocket
        for i in range(40):
            s = usocket.socket()
            s.connect(usocket.getaddrinfo('echo.test', 7)[0][-1])
            s.close()
    """, scenario=scenario(tmp_path, SERVICES), clock=None, trace_in_memory=True)
    assert result.status == 0, err
    events = [json.loads(line)["ev"] for line in dev.modem.trace_lines()]
    recycled = events.count("time_wait_recycled")
    # Each closed connection waits 120 s in TIME-WAIT, and no device time passes;
    # as lwIP's fixed pcb pool does, the oldest is recycled once as many as the
    # socket table (15) wait: of 40 closes, at most 16 are left waiting.
    assert 40 - 16 <= recycled <= 40 - 15


def test_sockets_closed_at_one_instant_recycle_in_the_order_they_closed(tmp_path, capsys):
    # Four connections closed at the same device instant share their TIME-WAIT
    # deadline; the pool recycles the first to have closed, whatever the heap.
    result, out, err, dev = run_device(tmp_path, capsys, """
        import usocket
        addr = usocket.getaddrinfo('echo.test', 7)[0][-1]
        socks = []
        for i in range(4):
            s = usocket.socket()
            s.connect(addr)
            socks.append(s)
        for s in reversed(socks):
            s.close()
        for i in range(2):
            s = usocket.socket()
            s.connect(addr)
            s.close()
    """, scenario=scenario(tmp_path, SERVICES + "module:\n  sockets: 4\n"), clock=None,
        trace_in_memory=True)
    assert result.status == 0, err
    events = [json.loads(line) for line in dev.modem.trace_lines()]
    closes = [e for e in events if e["ev"] == "close"]
    recycled = [e["sock"] for e in events if e["ev"] == "time_wait_recycled"]
    assert len({e["t"] for e in closes[:4]}) == 1  # one instant
    assert recycled == [closes[0]["sock"]]
