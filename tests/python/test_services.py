"""The virtual services from a test's side: the broker's Python API, NTP on
the wire, protocol faults, what `qpysim check` and `qpysim services` say, and
scenario errors."""

import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from device_run import run_device

import qpysim

BIN = Path(sys.executable).with_name("qpysim")

SCENARIO = """
hosts:
  mqtt.example.com:
    1883:
      mqtt:
        retained: {cfg/interval: "60"}
  time.example.com:
    123/udp: {ntp: {offset: -30}}
"""


def write(tmp_path, text=SCENARIO):
    p = tmp_path / "s.yaml"
    p.write_text(textwrap.dedent(text))
    return str(p)


def test_a_test_publishes_subscribes_and_lists_clients_in_device_time(tmp_path, capsys):
    path = write(tmp_path)
    seen = {}

    def setup(modem):
        broker = qpysim.Device(modem).broker("mqtt.example.com")
        broker.publish("cmd/dev", b"first", qos=1, after=10)
        seen["broker"] = broker
        seen["sub"] = broker.subscribe("up/#")

    result, out, err, dev = run_device(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime
        c = MQTTClient("dev", "mqtt.example.com")
        c.set_callback(lambda t, m: print(utime.ticks_ms() // 1000, t, m))
        c.connect(clean_session=False)
        c.subscribe("cmd/dev", 1)
        c.subscribe("cfg/#", 0)
        c.wait_msg()       # the retained configuration
        c.wait_msg()       # what the test publishes at 10 s
        c.publish("up/dev", "report", qos=1)
        """, scenario=path, clock=None, timeout=60, setup=setup)
    assert result.status == 0, err
    assert out.splitlines() == ["0 b'cfg/interval' b'60'", "10 b'cmd/dev' b'first'"]
    broker = dev.broker("mqtt.example.com")
    (client,) = broker.clients()
    assert client["client_id"] == "dev" and client["clean_session"] is False
    assert client["subscriptions"] == {"cmd/dev": 1, "cfg/#": 0}
    assert [(m["client"], m["topic"], m["payload"]) for m in broker.messages("up/+")] == [
        ("dev", "up/dev", b"report")]
    assert [m["payload"] for m in seen["sub"].get(timeout=0)] == [b"report"]
    assert broker.retained() == {"cfg/interval": b"60"}
    with pytest.raises(ValueError, match="not a topic"):
        broker.publish("a/+", b"x")
    with pytest.raises(ValueError, match="no mqtt service"):
        dev.broker("mqtt.example.com", 1884)


def test_a_dropped_client_leaves_its_will(tmp_path, capsys):
    path = write(tmp_path, SCENARIO + "timeline:\n  - {at: 20s, fault: {kind: mqtt_disconnect, "
                                      "client: dev*}}\n")
    result, out, err, dev = run_device(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime
        a = MQTTClient("dev-a", "mqtt.example.com", reconn=False)
        a.set_last_will("status/a", "offline", retain=True)
        a.connect()
        b = MQTTClient("other", "mqtt.example.com", reconn=False)
        b.connect()
        utime.sleep(30)
        print(a.get_mqttsta(), b.get_mqttsta())
        """, scenario=path, clock=None, timeout=60)
    assert result.status == 0, err
    assert out.splitlines() == ["2 0"]
    broker = dev.broker("mqtt.example.com")
    assert broker.retained()["status/a"] == b"offline"
    (will,) = [m for m in broker.messages() if m["will"]]
    assert will["client"] == "dev-a" and will["time"] == 20.0


def test_ntp_answers_in_sntp_packets_with_the_network_time_plus_its_offset(tmp_path, capsys):
    path = write(tmp_path)
    result, out, err, _ = run_device(tmp_path, capsys, """
        import usocket, ustruct
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        s.settimeout(5)
        addr = usocket.getaddrinfo("time.example.com", 123)[0][-1]
        q = bytearray(48)
        q[0] = 0x23
        q[40:48] = b"ORIGINAL"
        s.sendto(q, addr)
        r = s.recv(48)
        print(len(r), r[0], r[1], r[24:32], ustruct.unpack("!I", r[40:44])[0] - 2208988800)
        s.sendto(b"short", addr)
        try:
            s.recv(48)
        except OSError as e:
            print(e)
        """, scenario=path, clock=None, timeout=60)
    assert result.status == 0, err
    assert out.splitlines() == ["48 36 1 b'ORIGINAL' 1767196770", "[Errno 110] ETIMEDOUT"]


def test_http_faults_count_and_draw_their_requests(tmp_path, capsys):
    path = write(tmp_path, """
        hosts:
          api.example.com:
            80:
              http:
                - {path: /a, body: a}
                - {path: /b, body: b}
        faults:
          - {kind: http_status, status: 500, path: /a, count: 3}
          - {kind: http_status, status: 429, path: /b, probability: 0.5}
        """)
    result, out, err, dev = run_device(tmp_path, capsys, """
        import request
        a = [request.get("http://api.example.com/a").status_code for _ in range(5)]
        b = [request.get("http://api.example.com/b").status_code for _ in range(40)]
        print(a)
        print(sorted(set(b)), b.count(429))
        """, scenario=path, clock=None, timeout=600, trace_in_memory=True)
    assert result.status == 0, err
    lines = out.splitlines()
    assert lines[0] == "[500, 500, 500, 200, 200]"
    assert lines[1].startswith("[200, 429] ")
    refused = int(lines[1].split()[-1])
    assert 10 < refused < 30  # each of 40 drawn at 0.5, from the seed
    effects = [l for l in dev.modem.trace_lines() if '"fault_effect"' in l]
    assert len(effects) == 3 + refused


def test_the_fault_and_service_listings_name_the_new_kinds():
    faults = subprocess.run([str(BIN), "faults"], capture_output=True, text=True, timeout=60)
    for kind in ("http_status", "http_delay", "mqtt_refuse", "mqtt_drop", "mqtt_disconnect"):
        assert f"\n{kind}\t" in "\n" + faults.stdout
    services = subprocess.run([str(BIN), "services"], capture_output=True, text=True, timeout=60)
    assert services.returncode == 0
    for kind in ("echo", "discard", "http", "script", "mqtt", "ntp", "tls"):
        assert f"\n{kind}\t" in "\n" + services.stdout


def test_qpysim_check_summarises_services(tmp_path):
    path = write(tmp_path, SCENARIO + """
  api.example.com:
    443:
      http: [{path: /, body: hi}]
      tls: true
""")
    r = subprocess.run([str(BIN), "check", path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "1883/tcp mqtt, open, 1 retained" in r.stdout
    assert "123/udp ntp, serving the time" in r.stdout
    assert "443/tcp http, 1 route, TLS (the run's CA)" in r.stdout


@pytest.mark.parametrize("text, message", [
    ("hosts:\n  x.test:\n    1883: {mqtt: {users: [a, b]}}\n",
     "s.yaml:3:26: users must be a mapping (key: value lines)"),
    ("hosts:\n  x.test:\n    1883: {mqtt: {max_qos: 2}}\n",
     "s.yaml:3:28: max_qos must be 0 or 1 (QoS 2 is not sent to clients)"),
    ("hosts:\n  x.test:\n    1883: {mqtt: {retained: {a/+: x}}}\n",
     "s.yaml:3:30: 'a/+' is not a topic a client may publish to"),
    ("hosts:\n  x.test:\n    123/udp: {ntp: {offset: soon}}\n",
     "s.yaml:3:29: offset must be a number from -1e+09 to 1e+09, got 'soon'"),
    ("hosts:\n  x.test:\n    1883: {mqtt: , tls: {cert: c.pem, key: k.pem}}\n",
     "s.yaml:3:32: cert: cannot read '"),
    ("hosts:\n  x.test:\n    1883: {mqtt: {max_qos: 0}}\n    1884: {mqtt: {max_qos: 1}}\n",
     "the mqtt ports of one host are one broker: max_qos and max_queued must agree"),
])
def test_service_settings_are_checked_with_their_place(tmp_path, text, message):
    (tmp_path / "s.yaml").write_text(text)
    (tmp_path / "x.py").write_text("print('never runs')\n")
    r = subprocess.run([str(BIN), "run", "--scenario", str(tmp_path / "s.yaml"), "x.py"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr


def test_a_scenario_certificate_and_key_serve_tls(tmp_path, capsys):
    import trustme
    ca = trustme.CA()
    cert = ca.issue_cert("secure.example.com")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem.bytes())
    path = write(tmp_path, """
        hosts:
          secure.example.com:
            443:
              echo:
              tls: {cert: cert.pem, key: key.pem}
        """)
    result, out, err, _ = run_device(tmp_path, capsys, """
        import usocket, ussl
        with open("/usr/ca.pem") as f:
            ca = f.read()
        s = usocket.socket()
        s.connect(usocket.getaddrinfo("secure.example.com", 443)[0][-1])
        t = ussl.wrap_socket(s, ca=ca, server_hostname="secure.example.com")
        t.write(b"own cert")
        print(t.read(8))
        """, scenario=path, clock=None, timeout=60)
    assert result.status == 0, err
    assert out.splitlines() == ["b'own cert'"]
