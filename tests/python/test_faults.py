"""Faults, each observed by a device script exactly as the README documents it:
errno, return values, getsocketsta numbers, callbacks and device time. Virtual
time throughout, so every figure is exact."""

import json
import textwrap

import pytest
from device_run import run_device

import qpysim

NET = """
hosts:
  echo.test:
    7: echo
    9: discard
    7/udp: echo
  other.test:
    7: echo
  closer.test:
    5000:
      script:
        - send: "BYE"
        - close
"""

# Printing device time (ms since boot) makes every test read the same way.
PRELUDE = """
import usocket, utime
def now():
    return utime.ticks_ms()
def connect(host='echo.test', port=7, timeout=None):
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    if timeout is not None:
        s.settimeout(timeout)
    s.connect(usocket.getaddrinfo(host, port)[0][-1])
    return s
def err(f, *a):
    try:
        return f(*a)
    except OSError as e:
        return 'E%d' % e.args[0]
"""


def scenario(tmp_path, text=NET, name="s.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def run(tmp_path, capsys, body, *, faults=(), timeline="", scen=NET, **kw):
    """Run PRELUDE + body; returns its printed lines. `timeline` is YAML for the
    scenario's timeline: list (faults that must start mid-script)."""
    text = textwrap.dedent(scen) + ("timeline:\n" + textwrap.indent(textwrap.dedent(timeline), "  ")
                                    if timeline else "")
    kw.setdefault("timeout", 86400)  # a device day at most: a hung script fails, not spins
    result, out, err, dev = run_device(tmp_path, capsys, PRELUDE + textwrap.dedent(body),
                                       scenario=scenario(tmp_path, text), clock=None,
                                       trace_in_memory=True, faults=faults, **kw)
    assert result.status == 0, err
    run.dev = dev
    return out.split("\n")[:-1]


def trace(dev, ev=None):
    lines = [json.loads(x) for x in dev.modem.trace_lines()]
    return [x for x in lines if ev is None or x["ev"] == ev]


# ---------------------------------------------------------------- latency


def test_latency_delays_each_way_so_a_round_trip_takes_twice_the_setting(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        t = now(); s = connect(); print(now() - t)
        t = now(); s.send(b'ping'); print(s.recv(10), now() - t)
    """, faults=[{"kind": "latency", "latency": "200ms"}])
    assert out == ["400", "b'ping' 400"]


def test_latency_jitter_stays_within_its_bounds_and_keeps_tcp_in_order(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        for i in range(20):
            t = now(); s.send(b'%02d' % i); got = s.recv(2); print(got.decode(), now() - t)
    """, faults=[{"kind": "latency", "latency": "100ms", "jitter": "30ms"}])
    rtts = []
    for i, line in enumerate(out):
        got, rtt = line.split()
        assert got == "%02d" % i
        rtts.append(int(rtt))
    assert all(140 <= r <= 260 for r in rtts), rtts
    assert len(set(rtts)) > 5  # it does vary


def test_latency_normal_distribution_never_goes_below_zero(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        for i in range(30):
            t = now(); s.send(b'x'); s.recv(1); print(now() - t)
    """, faults=[{"kind": "latency", "latency": "5ms", "jitter": "50ms",
                  "distribution": "normal"}])
    assert all(int(x) >= 0 for x in out)
    assert max(int(x) for x in out) > 20


def test_latency_can_apply_to_one_direction_and_one_host(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect(); t = now(); s.send(b'a'); s.recv(1); print(now() - t)
        o = connect('other.test'); t = now(); o.send(b'a'); o.recv(1); print(now() - t)
    """, faults=[{"kind": "latency", "latency": "300ms", "direction": "up",
                  "match": {"host": "echo.test"}}])
    assert out == ["300", "0"]


# ---------------------------------------------------------------- bandwidth


def test_bandwidth_limits_throughput_each_way(tmp_path, capsys):
    # 80 kbit/s = 10 000 bytes/s: 20 000 bytes up and echoed back take about
    # two seconds (the echo streams back as pieces arrive), never less.
    out = run(tmp_path, capsys, """
        s = connect()
        t = now()
        s.sendall(b'x' * 20000)
        got = 0
        while got < 20000:
            got += len(s.recv(4096))
        print(got, now() - t)
    """, faults=[{"kind": "bandwidth", "rate": "80kbit"}])
    got, ms = out[0].split()
    assert got == "20000"
    assert 2000 <= int(ms) <= 2300


def test_bandwidth_is_shared_by_connections(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        a = connect(port=9); b = connect(port=9)
        e = connect()
        a.sendall(b'x' * 10000); b.sendall(b'y' * 10000)
        t = now(); e.send(b'!'); e.recv(1); print(now() - t)
    """, faults=[{"kind": "bandwidth", "rate": "10KB/s", "direction": "up"}])
    # The probe byte waits behind 20 000 bytes on the shared uplink.
    assert 2000 <= int(out[0]) <= 2010


# ---------------------------------------------------------------- loss


def test_loss_drops_udp_datagrams(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        u.settimeout(1)
        addr = usocket.getaddrinfo('echo.test', 7)[0][-1]
        got = 0
        for i in range(200):
            u.sendto(b'%d' % i, addr)
            try:
                u.recvfrom(100); got += 1
            except OSError as e:
                assert e.args[0] == 110
        print(got)
    """, faults=[{"kind": "loss", "rate": "30%"}])
    # Each datagram crosses twice: about 0.7 * 0.7 * 200 = 98 come back.
    assert 70 <= int(out[0]) <= 126


def test_loss_on_tcp_delays_but_loses_no_byte(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        t = now()
        ok = True
        for i in range(20):
            data = bytes([i]) * (100 * i + 1)
            s.sendall(data)
            back = b''
            while len(back) < len(data):
                back += s.recv(4096)
            ok = ok and back == data
        print(ok, now() - t, s.getsocketsta())
    """, timeline="""
        - {after: connect, fault: {kind: loss, rate: 0.3}}
    """)
    same, ms, state = out[0].split()
    assert same == "True" and state == "4"
    assert int(ms) >= 1000  # at least one retransmission timeout
    assert any(x.get("event") == "retransmit" for x in trace(run.dev, "link"))


def test_total_loss_mid_connection_gives_up_with_econnaborted_after_511_s(tmp_path, capsys):
    # lwIP backoff: RTO 1 s doubling to 64 s, 12 retransmissions, then ERR_ABRT.
    out = run(tmp_path, capsys, """
        s = connect()
        utime.sleep(2)
        t = now()
        s.send(b'hello')
        print(err(s.recv, 10), (now() - t) / 1000, s.getsocketsta())
    """, timeline="""
        - {after: connect, delay: 1s, fault: {kind: loss, rate: 1.0}}
    """)
    assert out == ["E103 511.0 0"]


def test_a_lost_syn_is_retried_by_the_socket_every_3_s(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        t = now(); s = connect(); print(now() - t)
    """, timeline="""
        - {at: 0s, for: 4s, fault: {kind: loss, rate: 1.0}}
    """)
    assert out == ["6000"]  # SYNs at 0 and 3 s lost, the one at 6 s answered


# ---------------------------------------------------------------- slicer


def test_slicer_delivers_a_write_in_small_pieces(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        s.send(b'0123456789' * 10)
        parts = []
        while sum(parts) < 100:
            parts.append(len(s.recv(1000)))
        print(parts[0], sum(parts), len(parts) >= 10)
    """, faults=[{"kind": "slicer", "size": 10, "delay": "10ms"}])
    assert out == ["10 100 True"]


def test_slicer_variation_keeps_every_byte_in_order(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        data = bytes(range(256)) * 8
        s.sendall(data)
        back = b''
        sizes = set()
        while len(back) < len(data):
            part = s.recv(4096); sizes.add(len(part)); back += part
        print(back == data, min(sizes) >= 1, max(sizes) <= 96, len(sizes) > 10)
    """, faults=[{"kind": "slicer", "size": 64, "variation": 32, "delay": "1ms",
                  "direction": "down"}])
    assert out == ["True True True True"]


# ---------------------------------------------------------------- limit_data


def test_limit_data_closes_both_ways_after_n_bytes(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        s.send(b'x' * 100)
        print(s.recv(1000), err(s.recv, 1000), s.recv(1000), s.getsocketsta())
        print(s.send(b'more'))      # the proxy's socket is closed: RST comes back
        utime.sleep(1)
        print(err(s.send, b'again'), s.getsocketsta())
    """, faults=[{"kind": "limit_data", "bytes": 10, "direction": "down"}])
    # The read that meets the proxy's FIN raises ENOTCONN, later reads b''.
    assert out == ["b'xxxxxxxxxx' E107 b'' 7", "4", "E104 0"]


def test_limit_data_upwards_lets_the_peer_see_only_the_first_bytes(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        s.send(b'abcdefghij')
        print(err(s.recv, 100), s.recv(100))
    """, faults=[{"kind": "limit_data", "bytes": "4", "direction": "up"}])
    # The echo got 4 bytes and the FIN; its echo of them is refused by the
    # proxy (RST), and the device got the proxy's FIN: ENOTCONN, then b''.
    assert out == ["E107 b''"]


# ---------------------------------------------------------------- reset_peer


def test_reset_peer_after_bytes_delivers_them_then_econnreset(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        s.send(b'abcdefghij')
        print(s.recv(100), err(s.recv, 100), s.getsocketsta())
    """, faults=[{"kind": "reset_peer", "after_bytes": 5, "direction": "down"}])
    assert out == ["b'abcde' E104 0"]


def test_reset_peer_after_a_time_resets_an_idle_connection(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        t = now()
        print(err(s.recv, 100), now() - t)
    """, faults=[{"kind": "reset_peer", "after": "2s"}])
    assert out == ["E104 2000"]


def test_reset_peer_applied_mid_connection_resets_at_once(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        t = now()
        print(err(s.recv, 100), now() - t)
    """, timeline="""
        - {after: connect, delay: 3s, fault: reset_peer}
    """)
    assert out == ["E104 3000"]


def test_fail_at_every_byte_of_an_exchange(tmp_path, capsys):
    # Beast's fail_count: reset the connection after 0, 1, ... 7 bytes and
    # check the script sees exactly that many before ECONNRESET.
    for n in range(8):
        out = run(tmp_path, capsys, """
            s = connect()
            s.send(b'ABCDEFG')
            got = b''
            while True:
                r = err(s.recv, 100)
                if isinstance(r, str):
                    print(got, r); break
                got += r
        """, faults=[{"kind": "reset_peer", "after_bytes": n, "direction": "down"}])
        assert out == ["%r E104" % b"ABCDEFG"[:n]], n


# ---------------------------------------------------------------- blackhole


def test_blackhole_connect_with_a_timeout_raises_etimedout(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        t = now(); print(err(connect, 'echo.test', 7, 5), now() - t)
    """, faults=[{"kind": "blackhole", "match": {"host": "echo.test"}}])
    assert out == ["E110 5000"]


def test_blackhole_blocking_connect_gives_up_after_lwips_syn_retries(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        t = now(); print(err(connect), now() - t)
    """, faults=[{"kind": "blackhole"}])
    assert out == ["E103 18500"]


def test_blackhole_swallows_udp(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        u.settimeout(2)
        print(u.sendto(b'x', usocket.getaddrinfo('echo.test', 7)[0][-1]), err(u.recvfrom, 10))
    """, faults=[{"kind": "blackhole"}])
    assert out == ["1 E110"]


# ---------------------------------------------------------------- refuse


def test_refuse_answers_the_syn_with_rst(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        t = now(); print(err(connect), now() - t)
        print(connect('other.test').getsocketsta())
    """, faults=[{"kind": "refuse", "match": {"host": "echo.test"}},
                 {"kind": "latency", "latency": "50ms"}])
    assert out == ["E104 100", "4"]


def test_refuse_is_econnrefused_on_dialects_that_say_so(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        print(err(connect))
    """, faults=[{"kind": "refuse"}], dialect="micropython")
    assert out == ["E111"]


# ---------------------------------------------------------------- slow_close


def test_slow_close_delays_the_fin(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect('closer.test', 5000)
        t = now()
        print(s.recv(10), now() - t)
        print(err(s.recv, 10), now() - t, s.getsocketsta())
    """, faults=[{"kind": "slow_close", "delay": "3s"}])
    assert out == ["b'BYE' 0", "E107 3000 7"]


# ---------------------------------------------------------------- half_open


def test_half_open_silences_open_connections_until_retransmissions_give_up(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        s.settimeout(30)
        utime.sleep(2)
        s.send(b'hello')
        print(err(s.recv, 10))
        s.settimeout(None)
        print(err(s.recv, 10), now() // 1000)
        print(connect().getsocketsta())   # a new connection is fine
    """, timeline="""
        - {after: connect, delay: 1s, count: 1, fault: half_open}
    """)
    assert out == ["E110", "E103 513", "4"]


def test_half_open_with_answer_rst_resets_on_the_next_send(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        utime.sleep(2)
        print(s.send(b'hello'), err(s.recv, 10), s.getsocketsta())
    """, timeline="""
        - {after: connect, delay: 1s, fault: {kind: half_open, answer: rst}}
    """)
    assert out == ["5 E104 0"]


def test_keepalive_detects_a_half_open_connection(tmp_path, capsys):
    # TCP_KEEPALIVE 1 minute: probes at 60, 85 and 110 s of silence, then RST
    # and ECONNABORTED at 135 s.
    out = run(tmp_path, capsys, """
        s = connect()
        s.setsockopt(usocket.SOL_SOCKET, usocket.TCP_KEEPALIVE, 1)
        print(err(s.recv, 10), now() // 1000)
    """, timeline="""
        - {after: connect, delay: 1s, fault: half_open}
    """)
    assert out == ["E103 135"]
    probes = [x for x in trace(run.dev) if x["ev"] == "keepalive_probe"]
    assert [round(x["t"]) for x in probes] == [60, 85, 110]


def test_keepalive_answered_keeps_a_healthy_connection_open(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        s.setsockopt(usocket.SOL_SOCKET, usocket.TCP_KEEPALIVE, 1)
        s.settimeout(600)
        print(err(s.recv, 10), s.getsocketsta())
    """)
    assert out == ["E110 4"]
    assert len([x for x in trace(run.dev) if x["ev"] == "keepalive_probe"]) == 10


# ---------------------------------------------------------------- nat_idle


def test_nat_idle_forgets_an_idle_connection_silently(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        s.send(b'a'); print(s.recv(1))
        utime.sleep(120)
        s.settimeout(20)
        print(s.send(b'b'), err(s.recv, 1), s.getsocketsta())
        s.settimeout(None)
        print(err(s.recv, 1), s.getsocketsta())
    """, faults=[{"kind": "nat_idle", "timeout": "60s"}])
    assert out == ["b'a'", "1 E110 4", "E103 0"]


def test_nat_idle_with_reset_gives_econnreset_on_the_next_send(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        utime.sleep(301)
        print(s.send(b'b'), err(s.recv, 1), s.getsocketsta())
    """, faults=[{"kind": "nat_idle", "action": "reset"}])
    assert out == ["1 E104 0"]


def test_nat_idle_spares_connections_kept_alive(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        s.setsockopt(usocket.SOL_SOCKET, usocket.TCP_KEEPALIVE, 1)
        utime.sleep(600)
        s.send(b'z'); print(s.recv(1), s.getsocketsta())
    """, faults=[{"kind": "nat_idle", "timeout": "90s"}])
    assert out == ["b'z' 4"]


def test_nat_idle_keeps_udp_mappings_the_device_refreshes(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        u.settimeout(2)
        addr = usocket.getaddrinfo('echo.test', 7)[0][-1]
        u.sendto(b'1', addr); print(u.recvfrom(10)[0])
        utime.sleep(600)
        u.sendto(b'2', addr); print(u.recvfrom(10)[0])
    """, faults=[{"kind": "nat_idle", "timeout": "30s"}])
    assert out == ["b'1'", "b'2'"]


# ---------------------------------------------------------------- DNS


def test_dns_nxdomain_and_servfail_fail_after_a_round_trip(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        for name in ('echo.test', 'other.test'):
            t = now(); print(name, err(usocket.getaddrinfo, name, 7) if 0 else
                             err(lambda: usocket.getaddrinfo(name, 7)[0][-1]), now() - t)
    """, faults=[{"kind": "dns_nxdomain", "match": {"host": "echo.test"}},
                 {"kind": "dns_servfail", "match": {"host": "other.test"}, "delay": "250ms"}])
    assert out == ["echo.test E-202 100", "other.test E-202 250"]


def test_dns_timeout_fails_after_the_clients_retries(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        t = now(); print(err(usocket.getaddrinfo, 'echo.test', 7), now() - t)
        t = now(); print(err(connect), now() - t)   # connect() by name looks up too
    """, faults=[{"kind": "dns_timeout"}])
    assert out == ["E-202 20000", "E-202 20000"]


def test_dns_slow_answers_right_but_late(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        t = now(); print(usocket.getaddrinfo('echo.test', 7)[0][-1], now() - t)
    """, faults=[{"kind": "dns_slow", "delay": "3s"}])
    assert out == ["('203.0.113.10', 7) 3000"]


def test_dns_wrong_sends_the_script_elsewhere(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        print(usocket.getaddrinfo('echo.test', 7)[0][-1])
        print(usocket.getaddrinfo('other.test', 7)[0][-1])
        t = now(); print(err(connect, 'echo.test', 7, 3), now() - t)
    """, faults=[{"kind": "dns_wrong", "address": "198.51.100.7", "delay": 0,
                  "match": {"host": "echo.test"}}])
    assert out == ["('198.51.100.7', 7)", "('203.0.113.11', 7)", "E110 3000"]


def test_dns_fault_names_may_be_wildcards(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        print(err(lambda: usocket.getaddrinfo('echo.test', 7)[0][-1]))
    """, faults=[{"kind": "dns_nxdomain", "match": {"host": "*.test"}, "delay": 0}])
    assert out == ["E-202"]


# ---------------------------------------------------------------- cellular

CELL = PRELUDE + """
import dataCall, net, sim, checkNet
events = []
dataCall.setCallback(lambda args: events.append((now() // 100 / 10, args[0], args[1])))
def ip():
    return dataCall.getInfo(1, 0)[2][2]
"""


def run_cell(tmp_path, capsys, body, **kw):
    return run(tmp_path, capsys, CELL[len(PRELUDE):] + textwrap.dedent(body), **kw)


def test_coverage_loss_drops_registration_data_call_and_sockets_then_recovers(tmp_path, capsys):
    out = run_cell(tmp_path, capsys, """
        s = connect()
        first = ip()
        print(err(s.recv, 10), now() // 1000, s.getsocketsta())
        print(net.getState()[1][0], net.csqQueryPoll(), ip())
        utime.sleep(30)
        print(net.getState()[1][0], net.csqQueryPoll(), ip() != first, ip() != '0.0.0.0')
        print(events)
    """, timeline="""
        - {at: 10s, for: 20s, fault: coverage_loss}
    """)
    assert out == [
        "E103 10 0",
        "2 99 0.0.0.0",
        "1 24 True True",
        "[(10.0, 1, 0), (32.3, 1, 1)]",  # 20 s out, 2 s to register, 0.3 s to attach
    ]


def test_registration_denied_and_roaming(tmp_path, capsys):
    out = run_cell(tmp_path, capsys, """
        utime.sleep(2); print(net.getState()[1][0], ip())
        utime.sleep(10); print(net.getState()[1][0], ip() != '0.0.0.0')
        utime.sleep(10); print(net.getState()[1][0], ip() != '0.0.0.0')
    """, timeline="""
        - {at: 1s, for: 10s, fault: {kind: registration, state: denied}}
        - {at: 20s, for: 10s, fault: {kind: registration, state: roaming}}
    """)
    assert out == ["3 0.0.0.0", "1 True", "5 True"]


def test_signal_changes_csq_only(tmp_path, capsys):
    out = run_cell(tmp_path, capsys, """
        print(net.csqQueryPoll()); utime.sleep(2); print(net.csqQueryPoll(), net.getState()[1][0])
        utime.sleep(10); print(net.csqQueryPoll())
    """, timeline="""
        - {at: 1s, for: 5s, fault: {kind: signal, csq: 3}}
    """)
    assert out == ["24", "3 1", "24"]


def test_sim_absent_then_back(tmp_path, capsys):
    out = run_cell(tmp_path, capsys, """
        utime.sleep(2); print(sim.getStatus(), net.getState()[1][0], ip())
        utime.sleep(10); print(sim.getStatus(), net.getState()[1][0], ip() != '0.0.0.0')
    """, timeline="""
        - {at: 1s, for: 5s, fault: {kind: sim, status: absent}}
    """)
    assert out == ["0 0 0.0.0.0", "1 1 True"]


def test_sim_locked_at_power_on_from_the_scenario(tmp_path, capsys):
    out = run_cell(tmp_path, capsys, """
        print(sim.getStatus(), net.getState()[1][0], ip(), checkNet.waitNetworkReady(5))
    """, scen=NET + "sim: locked\n")
    assert out == ["2 0 0.0.0.0 (1, 2)"]  # checkNet: stage 1 (SIM), status 2 (PIN)


def test_pdp_down_calls_back_aborts_sockets_refuses_activation_then_returns(tmp_path, capsys):
    out = run_cell(tmp_path, capsys, """
        s = connect()
        first = ip()
        print(err(s.recv, 10), now() // 1000)
        print(dataCall.activate(1), ip())
        utime.sleep(20)
        print(ip() != first, ip() != '0.0.0.0', connect().getsocketsta())
        print(events)
    """, timeline="""
        - {at: 5s, for: 10s, fault: pdp_down}
    """)
    assert out == ["E103 5", "-1 0.0.0.0", "True True 4", "[(5.0, 1, 0), (15.3, 1, 1)]"]


def test_pdp_down_without_reconnect_waits_for_the_script(tmp_path, capsys):
    out = run_cell(tmp_path, capsys, """
        dataCall.setAutoConnect(1, False)
        utime.sleep(20)
        print(ip())
        print(dataCall.activate(1), ip() != '0.0.0.0'); utime.sleep_ms(1); print(events)
    """, timeline="""
        - {at: 5s, for: 10s, fault: pdp_down}
    """)
    assert out == ["0.0.0.0", "0 True", "[(5.0, 1, 0), (20.3, 1, 1)]"]


def test_airplane_mode_from_the_timeline(tmp_path, capsys):
    out = run_cell(tmp_path, capsys, """
        utime.sleep(2); print(net.getModemFun(), net.getState()[1][0], ip())
        utime.sleep(10); print(net.getModemFun(), net.getState()[1][0], ip() != '0.0.0.0')
    """, timeline="""
        - {at: 1s, for: 5s, fault: airplane}
    """)
    assert out == ["4 0 0.0.0.0", "1 1 True"]


# ---------------------------------------------------------------- module limits


def test_sockets_limit_makes_socket_raise_enfile(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        a = usocket.socket(); b = usocket.socket()
        print(err(usocket.socket))
        a.close(); print(usocket.socket().fileno())
    """, faults=[{"kind": "sockets", "limit": 2}])
    assert out == ["E23", "0"]


def test_sockets_limit_from_the_scenario_module_section(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        socks = []
        while True:
            r = err(usocket.socket)
            if isinstance(r, str):
                print(len(socks), r); break
            socks.append(r)
    """, scen=NET + "module: {model: EC200U, sockets: 4}\n")
    assert out == ["4 E23"]


def test_a_smaller_sndbuf_blocks_sooner_without_losing_bytes(tmp_path, capsys):
    body = """
        s = connect(port=9)
        s.setblocking(False)
        sent = 0
        while True:
            r = err(s.send, b'x' * 4096)
            if isinstance(r, str):
                break
            sent += r
        print(sent)
    """
    small = run(tmp_path, capsys, body, faults=[
        {"kind": "sndbuf", "size": "8KB"}, {"kind": "bandwidth", "rate": "1KB/s"}])
    big = run(tmp_path, capsys, body, faults=[{"kind": "bandwidth", "rate": "1KB/s"}])
    # The discard service's window (1 MB) takes what the link has not carried
    # yet; what is left for the socket to hold is its send buffer.
    assert int(big[0]) - int(small[0]) == 65536 - 8000


def test_a_smaller_rcvbuf_is_back_pressure_not_loss(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        s = connect()
        data = bytes(range(256)) * 80
        s.sendall(data)
        back = b''
        biggest = 0
        while len(back) < len(data):
            utime.sleep(1)              # the echo has long sent all it may
            part = s.recv(65536)
            biggest = max(biggest, len(part))
            back += part
        print(back == data, biggest)
    """, faults=[{"kind": "rcvbuf", "size": 2048}])
    # The peer never has more in flight than the socket's window: 2048 bytes.
    assert out == ["True 2048"]


@pytest.mark.parametrize("dialect,expected", [
    # qpysim's lwIP model: ECONNRESET on every call (not verified on a module).
    ("quecpython", ["b'abcde' E104 E104"]),
    # The unix port's OS socket: reported once, then the end of the stream,
    # and poll says readable and hung up (17), no longer in error (25).
    ("micropython", ["b'abcde' E104 b''", "17"]),
])
def test_a_reset_is_reported_as_each_stack_reports_it(tmp_path, capsys, dialect, expected):
    out = run(tmp_path, capsys, """
        s = connect()
        s.send(b'abcdefghij')
        print(s.recv(100), err(s.recv, 100), err(s.recv, 100))
        if hasattr(usocket, 'MSG_PEEK'):  # the micropython dialect
            import uselect
            p = uselect.poll()
            p.register(s)
            print(p.poll(0)[0][1])
    """, faults=[{"kind": "reset_peer", "after_bytes": 5, "direction": "down"}], dialect=dialect)
    assert out == expected
