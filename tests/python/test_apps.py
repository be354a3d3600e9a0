"""The shipped application examples run offline under `qpysim run` as a user
runs them, replay exactly, and the CLI hands a script the run's CA."""

import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).with_name("qpysim")
ROOT = Path(__file__).resolve().parents[2]


def qpysim(*args, cwd=ROOT):
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, "PYTHONHASHSEED": "0"})


def test_the_mqtt_telemetry_app_lives_through_a_drop_and_lost_reports(tmp_path):
    r = qpysim("run", "--scenario", "scenarios/mqtt-telemetry.yaml",
               "examples/mqtt_telemetry.py", "--trace", str(tmp_path / "t.jsonl"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "8 of 10 reports acknowledged, interval 30 s"
    assert "reconnect_success" in r.stderr
    trace = (tmp_path / "t.jsonl").read_text()
    assert '"event":"will"' in trace and '"event":"dropped"' in trace
    mqtt = [json.loads(line) for line in trace.splitlines() if '"ev":"mqtt"' in line]
    connect = next(e for e in mqtt if e["event"] == "connect")
    assert (connect["keepalive"], connect["clean"], connect["session_present"]) == (60, True, False)
    publish = next(e for e in mqtt if e["event"] == "publish")
    assert (publish["qos"], publish["retain"], publish["bytes"]) == (1, True, 6)


def test_the_http_client_retries_through_503s_and_a_slow_spell(tmp_path):
    r = qpysim("run", "--scenario", "scenarios/https-api.yaml", "examples/http_client.py")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "5 of 5 readings posted"
    assert "attempt 1: 503" in r.stderr
    assert "attempt 1: [Errno 110] ETIMEDOUT" in r.stderr


def test_the_services_demo_reaches_every_kind_of_virtual_service():
    r = qpysim("run", "--scenario", "scenarios/services-demo.yaml", "examples/virtual_services.py")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-5:] == [
        "echo: b'hello echo'",
        "udp echo: (b'datagram', ('203.0.113.10', 7))",
        "http: b'{\"ok\": true}'",
        "dialogue: b'OK\\r\\n' b'+READY\\r\\n'",
        "closed by the server: [Errno 107] ENOTCONN b'' 7",
    ]


def test_the_apps_replay_byte_for_byte(tmp_path):
    for scenario, app in (("mqtt-telemetry", "mqtt_telemetry"), ("https-api", "http_client")):
        traces = []
        for i in range(2):
            path = tmp_path / f"{app}{i}.jsonl"
            r = qpysim("run", "--scenario", f"scenarios/{scenario}.yaml", f"examples/{app}.py",
                       "--trace", str(path))
            assert r.returncode == 0, r.stderr
            traces.append(path.read_bytes())
        assert traces[0] == traces[1]


def test_tls_ca_gives_the_script_the_ca_that_signs_the_virtual_services(tmp_path):
    (tmp_path / "main.py").write_text(
        "import usocket, ussl\n"
        "with open('/usr/ca.pem') as f:\n"
        "    ca = f.read()\n"
        "s = usocket.socket()\n"
        "s.connect(usocket.getaddrinfo('api.example.com', 443)[0][-1])\n"
        "t = ussl.wrap_socket(s, ca=ca, server_hostname='api.example.com')\n"
        "t.write(b'GET /v1/config HTTP/1.0\\r\\n\\r\\n')\n"
        "print(t.readline())\n")
    r = qpysim("run", "--scenario", str(ROOT / "scenarios" / "https-api.yaml"),
               "--tls-ca", str(tmp_path / "ca.pem"), str(tmp_path / "main.py"), "--seed", "5")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "b'HTTP/1.1 200 OK\\r\\n'\n"
    assert (tmp_path / "ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    bad = qpysim("run", "--scenario", str(ROOT / "scenarios" / "https-api.yaml"),
                 "--tls-ca", str(tmp_path / "no" / "such" / "ca.pem"), str(tmp_path / "main.py"))
    assert bad.returncode == 2
    assert "--tls-ca: cannot write" in bad.stderr


def test_the_sensor_node_reports_a_press_a_loose_sensor_and_a_sagging_battery():
    """examples/sensor_node against node.yaml: what reached the broker, in device
    time, from the I2C sensor, the ADC battery and the button on the timeline."""
    import qpysim

    with qpysim.Device(scenario=str(ROOT / "examples" / "sensor_node" / "node.yaml")) as dev:
        result = dev.run(str(ROOT / "examples" / "sensor_node" / "main.py"), timeout=3600)
        sent = [json.loads(m["payload"]) for m in dev.broker("mqtt.example.com").messages("nodes/#")]
    assert result.status == 0, result.stderr
    summary = [(m["seq"], m["reason"], m["uptime"], m.get("t", m.get("error")),
                m["battery_mv"], m.get("low_battery", False)) for m in sent]
    assert summary == [
        (0, "timer", 60, 21.5, 3800, False),
        (1, "timer", 120, 21.5, 3800, False),
        (2, "button", 150, 21.5, 3800, False),
        (3, "timer", 180, 21.5, 3800, False),
        (4, "timer", 240, "sensor", 3800, False),
        (5, "timer", 300, "sensor", 3800, False),
        (6, "timer", 360, 21.5, 3800, False),
        (7, "timer", 420, 21.5, 3300, True),
        (8, "timer", 480, 21.5, 3300, True),
    ]
