"""One table of MQTT behaviours, run against the virtual broker (virtual time)
and against a real mosquitto on 127.0.0.1 through the host gateway (real time):
the device script, QuecPython's umqtt, must see the same thing from both.

Each case is a device script that prints what it observes; the printed lines
are the expectation, the same for both brokers.
"""

import textwrap

import pytest
from device_run import run_device

VIRTUAL = """
hosts:
  mqtt.example.com:
    1883:
      mqtt: {users: {dev: secret}, anonymous: true}
    8883:
      mqtt: {users: {dev: secret}, anonymous: true}
      tls: true
"""

PRELUDE = """
from umqtt import MQTTClient
import utime
HOST = "mqtt.example.com"
got = []
def keep(topic, msg):
    got.append((topic, msg))
def client(name, **kw):
    c = MQTTClient(name, HOST, **kw)
    c.set_callback(keep)
    return c
def quiet(c):
    # Nothing more comes within a moment: check_msg finds nothing to read.
    utime.sleep(1)
    try:
        c.check_msg()
        return "message"
    except OSError as e:
        return "nothing (%d)" % e.args[0]
"""

CASES = {
    "qos0_and_qos1_with_wildcards": ("""
        sub = client("sub", reconn=False)
        sub.connect()
        sub.subscribe("t/+/x", 1)
        sub.subscribe("all/#", 0)
        pub = client("pub", reconn=False)
        pub.connect()
        print("qos0", pub.publish("t/a/x", "zero"))
        print("qos1", pub.publish("t/b/x", "one", qos=1))
        print("deep", pub.publish("all/a/b/c", "deep"))
        print("miss", pub.publish("t/a/b/x", "nobody"))
        for _ in range(3):
            sub.wait_msg()
        print(sorted(got))
        print(quiet(sub))
        """, [
        "qos0 True", "qos1 True", "deep True", "miss True",
        "[(b'all/a/b/c', b'deep'), (b't/a/x', b'zero'), (b't/b/x', b'one')]",
        "nothing (11)"]),
    "retained_reaches_later_subscribers_and_empty_clears_it": ("""
        pub = client("pub", reconn=False)
        pub.connect()
        pub.publish("cfg/rate", "60", retain=True, qos=1)
        pub.publish("cfg/mode", "fast", retain=True)
        pub.publish("cfg/mode", "", retain=True)
        utime.sleep(0.5)
        sub = client("sub", reconn=False)
        sub.connect()
        sub.subscribe("cfg/#", 1)
        sub.wait_msg()
        print(got)
        print(quiet(sub))
        """, ["[(b'cfg/rate', b'60')]", "nothing (11)"]),
    "will_after_a_lost_connection_not_after_disconnect": ("""
        watch = client("watch", reconn=False)
        watch.connect()
        watch.subscribe("status/#", 0)
        a = client("a", reconn=False)
        a.set_last_will("status/a", "a is gone")
        a.connect()
        a.close()  # the socket closes: no DISCONNECT
        watch.wait_msg()
        print(got)
        b = client("b", reconn=False)
        b.set_last_will("status/b", "b is gone")
        b.connect()
        b.disconnect()
        print(quiet(watch))
        """, ["[(b'status/a', b'a is gone')]", "nothing (11)"]),
    "users_and_passwords": ("""
        for name, password in (("dev", "secret"), ("dev", "nope"), ("eve", "secret")):
            c = client("c-" + password, user=name, password=password, reconn=False)
            try:
                print(name, password, c.connect())
            except ValueError as e:
                print(name, password, e)
        """, ["dev secret 0", "dev nope MQTT Connect error='5' FAIL",
              "eve secret MQTT Connect error='5' FAIL"]),
    "a_persistent_session_keeps_qos1_messages_while_away": ("""
        dev = client("dev", reconn=False)
        dev.connect(clean_session=False)
        dev.subscribe("cmd/dev", 1)
        dev.disconnect()
        ops = client("ops", reconn=False)
        ops.connect()
        ops.publish("cmd/dev", "while away", qos=1)
        ops.publish("cmd/dev", "lost at qos 0")
        dev = client("dev", reconn=False)
        dev.connect(clean_session=False)
        dev.wait_msg()
        print(got)
        print(quiet(dev))
        """, ["[(b'cmd/dev', b'while away')]", "nothing (11)"]),
    "ping_is_answered": ("""
        c = client("p", reconn=False)
        c.connect()
        c.ping()
        print(c.wait_msg())
        """, ["b'\\xd0'"]),
    "mqtt_3_1": ("""
        c = client("old31", version=3, reconn=False)
        print(c.connect())
        c.subscribe("v31", 1)
        other = client("new311", reconn=False)
        other.connect()
        print(other.publish("v31", "hi", qos=1))
        c.wait_msg()
        print(got)
        """, ["0", "True", "[(b'v31', b'hi')]"]),
    # A QoS 1 publish to a topic the client itself subscribes to: the broker
    # sends the message before the PUBACK, the firmware's publish() reads that
    # one packet (the message), and the PUBACK is never read: False after 5 s.
    "qos1_to_its_own_subscription_reads_the_message_not_the_puback": ("""
        c = client("loop", reconn=False)
        c.connect()
        c.subscribe("loop", 1)
        t = utime.ticks_ms()
        print(c.publish("loop", "to myself", qos=1), utime.ticks_diff(utime.ticks_ms(), t) >= 5000)
        print(got, c.wait_msg())
        """, ["False True", "[(b'loop', b'to myself')] None"]),
    "an_empty_client_id_is_a_malformed_connect": ("""
        c = client("", reconn=False)
        try:
            c.connect()
        except ValueError as e:
            print(e)
        """, ["MQTT Connect error='[Errno 107] ENOTCONN' FAIL"]),  # read(4) meets the FIN
    "a_second_connection_takes_the_client_id_over": ("""
        first = client("same", reconn=False)
        first.connect()
        second = client("same", reconn=False)
        second.connect()
        utime.sleep(1)
        try:
            print(first.wait_msg())
        except OSError as e:  # recv meets the broker's FIN: ENOTCONN, as on the module
            print(e.args[0], first.get_mqttsta(), second.get_mqttsta())
        """, ["107 2 0"]),
    "tls_with_the_brokers_ca": ("""
        with open("/usr/ca.pem") as f:
            ca = f.read()
        c = client("tls", port=8883, ssl=True, ssl_params={"ca": ca}, reconn=False)
        print(c.connect())
        c.subscribe("secure", 1)
        other = client("plain", reconn=False)
        other.connect()
        print(other.publish("secure", "over tls", qos=1))
        c.wait_msg()
        print(got)
        """, ["0", "True", "[(b'secure', b'over tls')]"]),
}


@pytest.fixture(params=["virtual", "mosquitto"])
def broker(request, tmp_path):
    """(scenario text, CA PEM or None for the run's own) for each broker."""
    if request.param == "virtual":
        return VIRTUAL, None
    m = request.getfixturevalue("mosquitto")
    return (f"clock: real\nforward:\n  mqtt.example.com:1883: 127.0.0.1:{m.port}\n"
            f"  mqtt.example.com:8883: 127.0.0.1:{m.tls_port}\n", m.ca_pem)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_behaviour_from_both_brokers(case, broker, tmp_path, capsys):
    scenario_text, ca = broker
    source, expected = CASES[case]
    (tmp_path / "s.yaml").write_text(scenario_text)
    if ca is None:
        import qpysim
        ca = qpysim.Device(scenario=str(tmp_path / "s.yaml")).tls_ca()
    (tmp_path / "ca.pem").write_text(ca)
    script = textwrap.dedent(PRELUDE) + textwrap.dedent(source)
    result, out, err, _ = run_device(tmp_path, capsys, script, scenario=str(tmp_path / "s.yaml"),
                                     clock=None, timeout=60)
    assert result.status == 0, (result, err)
    assert out.splitlines() == expected, err
