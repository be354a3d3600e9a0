"""QuecPython's umqtt as a device script sees it: the firmware's packets on the
wire, its return values, error texts, keepalive thread and reconnects, against
the virtual broker in virtual time (test_broker_table.py runs the same client
against mosquitto too)."""

import textwrap

import pytest
from device_run import run_device

import qpysim

BROKER = """
hosts:
  mqtt.example.com:
    1883: mqtt
    8883:
      mqtt:
      tls: true
  silent.example.com:
    1883:
      script:
        - expect: "never"
"""


def run(tmp_path, capsys, source, scenario=BROKER, setup=None, timeout=3600, **kw):
    (tmp_path / "s.yaml").write_text(textwrap.dedent(scenario))
    return run_device(tmp_path, capsys, source, scenario=str(tmp_path / "s.yaml"), clock=None,
                      timeout=timeout, setup=setup, **kw)


def ok(tmp_path, capsys, source, **kw):
    result, out, err, dev = run(tmp_path, capsys, source, **kw)
    assert result.status == 0, (result, err)
    return out.splitlines(), err, dev


# ---------------------------------------------------------------- the wire

class Recorder:
    """A raw TCP peer on the virtual network that records what the client
    sends (chunks: each recv; packets: the MQTT packets) and answers CONNECT
    with CONNACK 0 and SUBSCRIBE with SUBACK."""

    def __init__(self):
        self.chunks = []
        self.packets = []

    def __call__(self, conn):
        buf = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            self.chunks.append(data)
            buf += data
            while len(buf) >= 2:
                size, shift, i = 0, 0, 1
                while buf[i] & 0x80:
                    size |= (buf[i] & 0x7F) << shift
                    shift += 7
                    i += 1
                size |= buf[i] << shift
                end = i + 1 + size
                if len(buf) < end:
                    break
                packet, buf = buf[:end], buf[end:]
                self.packets.append(packet)
                if packet[0] == 0x10:
                    conn.send(b"\x20\x02\x00\x00")
                elif packet[0] == 0x82:
                    conn.send(b"\x90\x03" + packet[2:4] + b"\x01")


def test_the_connect_packet_is_the_firmwares(tmp_path):
    rec = Recorder()
    dev = qpysim.Device(clock="virtual", host_network=False)
    dev.serve("raw.example.com", 1883, rec)
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from umqtt import MQTTClient
        c = MQTTClient("dev1", "raw.example.com", keepalive=60, user="u", password="pw")
        c.set_last_will("st/dev1", "gone", retain=True, qos=1)
        print(c.connect())
        c.disconnect()
        c3 = MQTTClient("old", "raw.example.com", version=3)
        c3.connect()
        c3.close()
        c0 = MQTTClient("", "raw.example.com")
        c0.connect()
        c0.close()
        """))
    result = dev.run(str(tmp_path / "main.py"), timeout=60)
    assert result.status == 0
    variable = b"\x00\x04MQTT\x04" + bytes([0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02]) + b"\x00\x3c"
    payload = (b"\x00\x04dev1" + b"\x00\x07st/dev1" + b"\x00\x04gone" + b"\x00\x01u" +
               b"\x00\x02pw")
    connects = [p for p in rec.packets if p[0] == 0x10]
    assert connects[0] == b"\x10" + bytes([len(variable + payload)]) + variable + payload
    # MQTT 3.1 names "MQIsdp" at level 3.
    assert connects[1] == b"\x10\x11\x00\x06MQIsdp\x03\x02\x00\x00\x00\x03old"
    # An empty client id is left out altogether, as the firmware builds it.
    assert connects[2] == b"\x10\x0a\x00\x04MQTT\x04\x02\x00\x00"
    assert b"\xe0\x00" in rec.packets  # disconnect() says goodbye


def test_publish_and_subscribe_go_out_in_the_firmwares_writes(tmp_path):
    rec = Recorder()
    dev = qpysim.Device(clock="virtual", host_network=False)
    dev.serve("raw.example.com", 1883, rec)
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from umqtt import MQTTClient
        c = MQTTClient("d", "raw.example.com")
        c.set_callback(print)
        c.connect()
        c.publish("up/d", "12345", retain=True)
        c.subscribe("cmd/d", 1)
        """))
    assert dev.run(str(tmp_path / "main.py"), timeout=60).status == 0
    publish = b"\x31\x0b" + b"\x00\x04up/d" + b"12345"
    subscribe = b"\x82\x0a\x00\x02" + b"\x00\x05cmd/d" + b"\x01"  # packet id 2: publish took 1
    assert rec.packets[1:] == [publish, subscribe]
    # Each packet leaves in the firmware's pieces: header, length, topic, [id,] payload.
    assert b"".join(rec.chunks) == rec.packets[0] + publish + subscribe


# ---------------------------------------------------------------- results and errors

def test_connect_failures_read_as_the_firmwares_texts(tmp_path, capsys):
    lines, _, _ = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime
        for host, port in (("mqtt.example.com", 1884), ("nowhere.example.com", 1883),
                           ("silent.example.com", 1883)):
            t = utime.ticks_ms()
            try:
                MQTTClient("x", host, port=port).connect()
            except ValueError as e:
                print(e, utime.ticks_diff(utime.ticks_ms(), t) // 1000)
        try:
            MQTTClient("x", "mqtt.example.com", keepalive=4)
        except ValueError as e:
            print(e)
        """)
    assert lines == [
        "MQTT Connect error='[Errno 104] ECONNRESET' FAIL 0",
        "MQTT Connect error='DNS Parsing 'nowhere.example.com'' FAIL 20",
        "MQTT Connect error='[Errno 110] ETIMEDOUT' FAIL 20",
        "inport parameter error : keepalive >= 5S",
    ]


def test_a_refusing_broker_reads_as_its_return_code(tmp_path, capsys):
    lines, _, _ = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        for i in range(2):
            try:
                print(MQTTClient("x%d" % i, "mqtt.example.com").connect())
            except ValueError as e:
                print(e)
        """, faults=[{"kind": "mqtt_refuse", "code": 3, "count": 1}])
    assert lines == ["MQTT Connect error='3' FAIL", "0"]


def test_qos1_publish_waits_for_its_puback_and_gives_up_after_five_seconds(tmp_path, capsys):
    lines, err, dev = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime, _thread
        c = MQTTClient("d", "mqtt.example.com")
        c.set_callback(print)
        c.connect()
        running = [True]
        def loop():
            while running[0]:
                c.wait_msg()
        _thread.start_new_thread(loop, ())
        utime.sleep(1)
        t = utime.ticks_ms()
        print(c.publish("up/lost", "x", qos=1), utime.ticks_diff(utime.ticks_ms(), t))
        t = utime.ticks_ms()
        print(c.publish("up/kept", "y", qos=1), utime.ticks_diff(utime.ticks_ms(), t))
        print(c.publish("up/kept", "z", qos=2))
        running[0] = False
        c.disconnect()
        """, faults=[{"kind": "mqtt_drop", "topic": "up/lost", "direction": "up"}])
    # The ack is polled every 500 ms and given up once more than 5 s passed.
    assert lines == ["False 5500", "True 500", "False"]
    assert "publish Pid[1] QOS1 message was not received correctly" in err
    assert "Publish Fail OSError[]." in err  # QoS 2: the firmware's assert 0
    assert [m["topic"] for m in dev.broker("mqtt.example.com").messages()] == ["up/kept"]


def test_a_lost_puback_blocks_a_qos1_publish_with_no_reader_thread(tmp_path, capsys):
    # With no wait_msg() in another thread, publish() reads the ack itself
    # with the socket blocking, as the firmware does: it waits for good.
    result, out, err, _ = run(tmp_path, capsys, """
        from umqtt import MQTTClient
        c = MQTTClient("d", "mqtt.example.com")
        c.connect()
        print("publishing")
        print(c.publish("up/lost", "x", qos=1))
        """, faults=[{"kind": "mqtt_drop", "topic": "up/lost"}], timeout=100)
    assert result.status == 3
    assert out.splitlines() == ["publishing"]


def test_subscribe_needs_a_callback_and_messages_reach_it(tmp_path, capsys):
    lines, err, dev = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        c = MQTTClient("d", "mqtt.example.com")
        c.connect()
        try:
            c.subscribe("cmd/d")
        except AssertionError as e:
            print("assert", e)
        def cb(topic, msg):
            print("cb", topic, msg)
            raise RuntimeError("the app's bug")
        c.set_callback(cb)
        c.subscribe("cmd/#", 1)
        c.wait_msg()
        """, setup=lambda m: m.broker("mqtt.example.com", 1883).publish(
            "cmd/d", b"reboot", 1, False, 10))
    assert lines == ["assert Subscribe callback is not set", "cb b'cmd/d' b'reboot'"]
    assert "WARN:MQTT:set_callback OSError[the app's bug]." in err
    # The QoS 1 message was acknowledged (from a thread of its own).
    assert dev.broker("mqtt.example.com").clients()[0]["inflight"] == 0


def test_get_mqttsta_follows_the_socket(tmp_path, capsys):
    lines, _, _ = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime
        c = MQTTClient("d", "mqtt.example.com", reconn=False)
        c.connect()
        print(c.get_mqttsta())
        utime.sleep(10)   # the broker drops its clients at 5 s
        print(c.get_mqttsta())
        c.close()
        print(c.get_mqttsta())
        """, scenario=BROKER + "timeline:\n  - {at: 5s, fault: mqtt_disconnect}\n")
    assert lines == ["0", "2", "-1"]


def test_disconnect_says_goodbye_and_the_will_stays_unpublished(tmp_path, capsys):
    lines, _, dev = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        c = MQTTClient("d", "mqtt.example.com")
        c.set_last_will("st/d", "gone")
        c.connect()
        c.disconnect()
        print(c.get_mqttsta())
        """)
    assert lines == ["-1"]
    assert dev.broker("mqtt.example.com").messages() == []


# ---------------------------------------------------------------- keepalive and reconnects

def test_the_keepalive_thread_pings_every_keepalive_minus_three_seconds(tmp_path):
    rec = Recorder()
    dev = qpysim.Device(clock="virtual", host_network=False)
    dev.serve("raw.example.com", 1883, rec)
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from umqtt import MQTTClient
        import utime
        c = MQTTClient("d", "raw.example.com", keepalive=60)
        c.connect()
        utime.sleep(600)
        c.disconnect()
        """))
    assert dev.run(str(tmp_path / "main.py"), timeout=3600).status == 0
    pings = [p for p in rec.packets if p == b"\xc0\x00"]
    # Checked every 5 s, sent once more than 57 s passed: at 60 s, then the
    # unanswered ping (no wait_msg reads PINGRESP) is given up after 120 s.
    assert len(pings) == 1


def test_pings_go_on_while_a_thread_reads_the_answers(tmp_path, capsys):
    lines, err, dev = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime, _thread
        c = MQTTClient("d", "mqtt.example.com", keepalive=60)
        c.set_callback(print)
        c.connect()
        running = [True]
        def loop():
            while running[0]:
                c.wait_msg()
        _thread.start_new_thread(loop, ())
        utime.sleep(3600)
        print(c.get_mqttsta())
        running[0] = False
        c.disconnect()
        """, timeout=7200)
    assert lines == ["0"]
    assert "timeout" not in err


def test_a_reset_connection_is_reconnected_and_resubscribed(tmp_path, capsys):
    lines, err, dev = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime, _thread
        events = []
        c = MQTTClient("d", "mqtt.example.com", keepalive=60)
        c.set_callback(lambda t, m: events.append((t, m)))
        c.error_register_cb(events.append)
        c.connect()
        c.subscribe("cmd/d")
        running = [True]
        def loop():
            while running[0]:
                c.wait_msg()
        _thread.start_new_thread(loop, ())
        utime.sleep(120)
        print(events)
        running[0] = False
        c.disconnect()
        """, scenario=BROKER + "timeline:\n  - {at: 30s, for: 1s, fault: reset_peer}\n",
        setup=lambda m: m.broker("mqtt.example.com", 1883).publish("cmd/d", b"after", 0, False,
                                                                    90))
    assert lines == ["['reconnect_start', 'reconnect_success', (b'cmd/d', b'after')]"]
    assert "wait msg OSError[[Errno 104] ECONNRESET] . Trying to reconnect" in err
    assert "Reconnection successful!" in err


def test_check_msg_with_nothing_waiting_reconnects_as_on_the_module(tmp_path, capsys):
    # recv(1) on the non-blocking socket raises EAGAIN; with reconn=True the
    # firmware takes that for a broken connection, reconnects, and then waits
    # in its loop with a blocking socket, as a wait_msg() would.
    lines, err, _ = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime, _thread
        events = []
        c = MQTTClient("d", "mqtt.example.com")
        c.error_register_cb(events.append)
        c.set_callback(lambda t, m: events.append(m))
        c.connect()
        c.subscribe("wake")
        _thread.start_new_thread(c.check_msg, ())
        utime.sleep(30)
        print(events)
        q = MQTTClient("q", "mqtt.example.com", reconn=False)
        q.set_callback(print)
        q.connect()
        try:
            q.check_msg()
        except OSError as e:
            print(e)
        """, setup=lambda m: m.broker("mqtt.example.com", 1883).publish("wake", b"up", 0, False,
                                                                         20))
    assert lines == ["['reconnect_start', 'reconnect_success', b'up']", "[Errno 11] EAGAIN"]
    assert "wait msg OSError[[Errno 11] EAGAIN] . Trying to reconnect" in err


def test_reconnect_attempts_back_off_and_report_the_network(tmp_path, capsys):
    lines, err, _ = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime, _thread
        c = MQTTClient("d", "mqtt.example.com", keepalive=60)
        c.set_callback(print)
        c.error_register_cb(print)
        c.connect()
        running = [True]
        def loop():
            while running[0]:
                c.wait_msg()
        _thread.start_new_thread(loop, ())
        utime.sleep(200)
        running[0] = False
        c.disconnect()
        """, scenario=BROKER + "timeline:\n  - {at: 10s, for: 1s, fault: reset_peer}\n"
                               "  - {at: 10s, for: 30s, fault: refuse}\n")
    assert lines[0] == "reconnect_start"
    assert lines[-1] == "reconnect_success"
    failures = [l for l in err.splitlines() if "The connection attempt failed" in l]
    assert failures and "will be tried again after 6 seconds." in failures[0]


# ---------------------------------------------------------------- TLS

def test_mqtt_over_tls_with_and_without_checking_the_certificate(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(textwrap.dedent(BROKER))
    ca = qpysim.Device(scenario=str(tmp_path / "s.yaml")).tls_ca()
    lines, _, _ = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        with open("/usr/ca.pem") as f:
            ca = f.read()
        print(MQTTClient("a", "mqtt.example.com", ssl=True).connect())
        print(MQTTClient("b", "mqtt.example.com", ssl=True, ssl_params={"ca": ca}).connect())
        try:
            MQTTClient("c", "mqtt.example.com", port=8883, ssl=True,
                       ssl_params={"ca": ca, "server_hostname": "x"}).connect()
        except ValueError as e:
            print(e)
        """, files={"ca.pem": ca})
    assert lines[:2] == ["0", "0"]
    assert lines[2].startswith("MQTT Connect error=") and "server_hostname" in lines[2]


def test_a_tls_socket_has_no_getsocketsta_as_on_the_firmware(tmp_path, capsys):
    lines, _, _ = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        c = MQTTClient("a", "mqtt.example.com", ssl=True)
        c.connect()
        try:
            c.get_mqttsta()
        except AttributeError:
            print("no getsocketsta")
        """)
    assert lines == ["no getsocketsta"]


# ---------------------------------------------------------------- micropython-lib's umqtt

def test_micropython_umqtt_simple_and_robust(tmp_path, capsys):
    lines, _, dev = ok(tmp_path, capsys, """
        from umqtt.simple import MQTTClient, MQTTException
        import umqtt.robust
        from umqtt import simple
        import time
        c = MQTTClient("mp", "mqtt.example.com", keepalive=30)
        print(c.connect(), simple.MQTTClient is MQTTClient)
        c.set_callback(lambda t, m: print("cb", t, m))
        c.subscribe(b"a/+")
        print(c.check_msg())
        c.publish(b"a/b", b"zero")
        print(c.wait_msg())
        c.unsubscribe(b"a/+")
        c.publish(b"a/b", b"unheard", qos=1)
        print(c.check_msg())
        c.disconnect()
        r = umqtt.robust.MQTTClient("rb", "mqtt.example.com")
        print(r.connect(), r.DELAY)
        r.disconnect()
        bad = MQTTClient("x", "mqtt.example.com", user="u", password="p")
        try:
            bad.connect()
        except MQTTException as e:
            print("refused", e.args[0])
        """, dialect="micropython", faults=[{"kind": "mqtt_refuse", "client": "x", "code": 4}])
    assert lines == ["0 True", "None", "cb b'a/b' b'zero'", "48", "None", "0 2", "refused 4"]


def test_after_the_broker_closes_the_connection_the_reader_meets_the_fin(tmp_path, capsys):
    # The broker ends the connection with FIN at 12 s; the reader's recv(1) meets
    # it and raises ENOTCONN (modsocket.c:929-936), so wait_msg reconnects after
    # its 1 s pause (umqtt.py l.654-664), as the module does.
    lines, err, dev = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        import utime, _thread
        events = []
        c = MQTTClient("d", "mqtt.example.com", keepalive=5)
        c.set_callback(print)
        c.error_register_cb(lambda e: events.append((e, utime.ticks_ms() // 1000)))
        c.connect()
        running = [True]
        def loop():
            while running[0]:
                c.wait_msg()
        _thread.start_new_thread(loop, ())
        utime.sleep(30)
        print(events, c.get_mqttsta())
        running[0] = False
        c.disconnect()
        """, scenario=BROKER + "timeline:\n  - {at: 12s, fault: mqtt_disconnect}\n")
    assert lines == ["[('reconnect_start', 13), ('reconnect_success', 13)] 0"]
    assert "wait msg OSError[[Errno 107] ENOTCONN] . Trying to reconnect" in err
    assert dev.broker("mqtt.example.com").clients() == []  # a clean session ends with it


# ---------------------------------------------------------------- bad input

def test_wrong_types_fail_the_publish_and_leave_the_connection_usable(tmp_path, capsys):
    lines, err, dev = ok(tmp_path, capsys, """
        from umqtt import MQTTClient
        c = MQTTClient("d", "mqtt.example.com")
        c.connect()
        for topic, msg in ((123, "x"), ("t", 123), (None, "x"), ("t", b"x" * 2100000)):
            print(c.publish(topic, msg))
        print(c.publish("up/d", bytearray(b"still here"), qos=1))
        try:
            c.subscribe("cmd/d")
        except AssertionError as e:
            print("AssertionError", e)
        c.disconnect()
        """)
    # Each error is caught by the firmware's publish (l.628-632): a warning, False.
    assert lines == ["False", "False", "False", "False", "True",
                     "AssertionError Subscribe callback is not set"]
    assert err.count("Publish Fail OSError[object of type 'int' has no len()].") == 2
    assert "Publish Fail OSError[object of type 'NoneType' has no len()]." in err
    assert "Publish Fail OSError[]." in err  # assert sz < 2097152 (l.309)
    assert [m["payload"] for m in dev.broker("mqtt.example.com").messages()] == [b"still here"]


def test_non_ascii_text_is_sent_as_the_firmware_counts_it_and_noted(tmp_path, capsys):
    rec = Recorder()
    dev = qpysim.Device(clock="virtual", host_network=False)
    dev.serve("raw.example.com", 1883, rec)
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from umqtt import MQTTClient
        c = MQTTClient("设备", "raw.example.com")
        c.connect()
        c.publish("t", "温度".encode())
        c.publish("t", "温度")
        c.disconnect()                # 500 ms for the peer to read it all
        """))
    capsys.readouterr()
    assert dev.run(str(tmp_path / "main.py"), timeout=60).status == 0
    err = capsys.readouterr().err
    # CONNECT: the client id is cut to 2 bytes (its length in characters).
    assert rec.packets[0].endswith(b"\x00\x02" + "设备".encode()[:2])
    wire = b"".join(rec.chunks)
    assert b"\x30\x09\x00\x01t" + "温度".encode() in wire          # bytes: 6 counted, 6 sent
    assert wire.endswith(b"\x30\x05\x00\x01t" + "温度".encode() + b"\xe0\x00")  # str: 2 counted
    assert "qpysim: note: umqtt: CONNECT field '设备' has non-ASCII characters" in err
    assert ("qpysim: note: umqtt.publish: '温度' has non-ASCII characters: the firmware counts "
            "its length in characters (2), but sends its UTF-8 bytes (6)") in err


MALFORMED = {
    "length that never ends": b"\x30" + b"\xff" * 5,
    "topic longer than the packet": b"\x32\x05\x00\x09ab",
    "pingresp with a body": b"\xd0\x01\x00",
    "unknown packet type": b"\xf0\x00",
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_packets_from_the_broker_raise_in_wait_msg_and_never_hang(tmp_path, capsys,
                                                                             name):
    def broker(conn):
        conn.recv(4096)                       # CONNECT
        conn.send(b"\x20\x02\x00\x00")
        conn.send(MALFORMED[name])
        conn.close()

    dev = qpysim.Device(clock="virtual", host_network=False)
    dev.serve("raw.example.com", 1883, broker)
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        from umqtt import MQTTClient
        c = MQTTClient("d", "raw.example.com", reconn=False)
        c.set_callback(lambda t, m: print("message", t, m))
        c.connect()
        for i in range(3):
            try:
                print("returned", c.wait_msg())
            except Exception as e:
                print("raised", type(e).__name__)
        c.close()
        """))
    capsys.readouterr()
    result = dev.run(str(tmp_path / "main.py"), timeout=60)
    lines = capsys.readouterr().out.splitlines()
    assert result.status == 0, result
    # As the firmware's wait_msg (l.403-475) reads each one: a read that meets the
    # broker's FIN raises ENOTCONN (OSError) and later reads give b'' (None); a
    # PINGRESP must have length 0, an unknown type is returned as it is, and a
    # byte left unread is the next packet's type (0).
    assert lines == {
        "length that never ends": ["raised OSError", "returned None", "returned None"],
        "topic longer than the packet": ["raised OSError", "returned None", "returned None"],
        "pingresp with a body": ["raised AssertionError", "returned 0", "raised OSError"],
        "unknown packet type": ["returned 240", "returned 0", "raised OSError"],
    }[name]
