"""Device MQTT clients against a real mosquitto on 127.0.0.1, through the host
gateway in real time, with paho-mqtt on the PC's side of the broker: what the
device publishes arrives, what the PC publishes reaches the device, wills go
out, and the clients come back after a reset_peer fault."""

import textwrap
import threading
import time

import pytest
from device_run import run_device

paho = pytest.importorskip("paho.mqtt.client")


class Watcher:
    """A paho-mqtt client on the PC that records what arrives on `topic`."""

    def __init__(self, port, topic="#"):
        self.got = []
        self.ready = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="pc-watcher")
        self.client.on_connect = lambda c, u, f, rc, p: (c.subscribe(topic, 1), self.ready.set())
        self.client.on_message = lambda c, u, m: self.got.append((m.topic, m.payload))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.ready.wait(10)
        time.sleep(0.2)  # the subscription is in place

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def scenario(m, extra=""):
    return (f"clock: real\nforward:\n  mqtt.example.com:1883: 127.0.0.1:{m.port}\n"
            f"  mqtt.example.com:8883: 127.0.0.1:{m.tls_port}\n" + extra)


def run(tmp_path, capsys, text, source, **kw):
    (tmp_path / "s.yaml").write_text(text)
    result, out, err, dev = run_device(tmp_path, capsys, textwrap.dedent(source),
                                       scenario=str(tmp_path / "s.yaml"), clock=None,
                                       timeout=60, **kw)
    assert result.status == 0, (result, err)
    return out.splitlines(), err


def test_the_firmware_client_reconnects_to_mosquitto_after_a_reset(mosquitto, tmp_path, capsys):
    watcher = Watcher(mosquitto.port, "dev/#")
    try:
        lines, err = run(tmp_path, capsys, scenario(mosquitto, """
timeline:
  - {at: 2s, for: 500ms, fault: reset_peer}
"""), """
            from umqtt import MQTTClient
            import utime, _thread
            events = []
            c = MQTTClient("dev1", "mqtt.example.com", keepalive=30)
            c.set_last_will("dev/status", "lost")
            c.set_callback(lambda t, m: events.append((t, m)))
            c.error_register_cb(events.append)
            c.connect()
            c.subscribe("dev/cmd", 1)
            print(c.publish("dev/up", "before", qos=1))
            running = [True]
            def loop():
                while running[0]:
                    c.wait_msg()
            _thread.start_new_thread(loop, ())
            for _ in range(100):
                if "reconnect_success" in events:
                    break
                utime.sleep_ms(100)
            print(c.publish("dev/up", "after", qos=0))
            utime.sleep(1)
            print(events)
            running[0] = False
            c.disconnect()
            """)
    finally:
        time.sleep(0.3)
        watcher.close()
    assert lines[0] == "True"
    assert lines[1] == "True"
    assert lines[2].startswith("['reconnect_start', 'reconnect_success'")
    payloads = [p for t, p in watcher.got if t == "dev/up"]
    assert payloads == [b"before", b"after"]
    # The reset connection ended without DISCONNECT: mosquitto sent the will.
    assert ("dev/status", b"lost") in watcher.got
    assert "wait msg OSError[[Errno 104] ECONNRESET] . Trying to reconnect" in err


def test_what_the_pc_publishes_reaches_the_device(mosquitto, tmp_path, capsys):
    pc = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="pc")
    pc.connect("127.0.0.1", mosquitto.port)
    pc.loop_start()
    try:
        pc.publish("cmd/dev2", b"turn on", qos=1, retain=True).wait_for_publish(5)
        lines, _ = run(tmp_path, capsys, scenario(mosquitto), """
            from umqtt import MQTTClient
            c = MQTTClient("dev2", "mqtt.example.com")
            c.set_callback(lambda t, m: print(t, m))
            c.connect()
            c.subscribe("cmd/dev2", 1)
            c.wait_msg()
            """)
    finally:
        pc.loop_stop()
        pc.disconnect()
    assert lines == ["b'cmd/dev2' b'turn on'"]


def test_micropython_umqtt_robust_reconnects_after_a_reset(mosquitto, tmp_path, capsys):
    watcher = Watcher(mosquitto.port, "mp/#")
    try:
        lines, _ = run(tmp_path, capsys, scenario(mosquitto, """
timeline:
  - {at: 1s, for: 500ms, fault: reset_peer}
"""), """
            from umqtt.robust import MQTTClient
            import time
            c = MQTTClient("mp1", "mqtt.example.com", keepalive=30)
            c.connect()
            c.publish(b"mp/up", b"one", qos=1)
            time.sleep(2)
            c.publish(b"mp/up", b"two", qos=1)  # fails on the reset socket, reconnects, again
            print("published")
            c.disconnect()
            """, dialect="micropython")
    finally:
        time.sleep(0.3)
        watcher.close()
    assert lines == ["published"]
    assert [p for t, p in watcher.got] == [b"one", b"two"]


def test_micropython_umqtt_simple_over_tls(mosquitto, tmp_path, capsys):
    (tmp_path / "ca.pem").write_text(mosquitto.ca_pem)
    lines, _ = run(tmp_path, capsys, scenario(mosquitto), """
        import ssl
        from umqtt.simple import MQTTClient
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile="/usr/ca.pem")
        c = MQTTClient("mp2", "mqtt.example.com", port=8883, ssl=ctx)
        print(c.connect())
        c.set_callback(lambda t, m: print(t, m))
        c.subscribe(b"mp/tls", 1)
        # publish() reads packets until its PUBACK: mosquitto sends the message
        # to this subscriber first, so the callback runs inside publish().
        c.publish(b"mp/tls", b"secret", qos=1)
        c.unsubscribe(b"mp/tls")
        c.disconnect()
        """, dialect="micropython")
    assert lines == ["0", "b'mp/tls' b'secret'"]
