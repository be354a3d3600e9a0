# An MQTT telemetry app as QuecPython solutions write it: wait for the network,
# connect with a last will, report every `interval` seconds with QoS 1, take
# commands from the server, and let umqtt reconnect when the broker drops the
# connection. It runs unchanged on a module and under qpysim.
#
#   qpysim run --scenario scenarios/mqtt-telemetry.yaml examples/mqtt_telemetry.py
#
# Arguments: [reports before it stops (10)]
import checkNet
import log
import modem
import net
import ujson
import usys
import utime
import _thread
from umqtt import MQTTClient

PROJECT_NAME = "QuecPython_MQTT_telemetry"
PROJECT_VERSION = "1.0.0"

BROKER = "mqtt.example.com"
USER = "device"
PASSWORD = "secret"
REPORTS = int(usys.argv[1]) if len(usys.argv) > 1 else 10

log.basicConfig(level=log.INFO)
app = log.getLogger("APP")

device = modem.getDevImei()
TOPIC_STATUS = "devices/%s/status" % device
TOPIC_DATA = "devices/%s/telemetry" % device
TOPIC_CMD = "devices/%s/cmd" % device
settings = {"interval": 60}
running = [True]


def on_message(topic, msg):
    app.info("command on %s: %s" % (topic.decode(), msg.decode()))
    try:
        cmd = ujson.loads(msg)
    except ValueError:
        return
    if "interval" in cmd:
        settings["interval"] = int(cmd["interval"])


def on_mqtt_event(event):
    app.warning("mqtt: %s" % event)


def receive(client):
    while running[0]:
        client.wait_msg()


if __name__ == "__main__":
    checknet = checkNet.CheckNetwork(PROJECT_NAME, PROJECT_VERSION)
    stage, state = checknet.wait_network_connected(30)
    if stage != 3 or state != 1:
        app.error("no network: stage %d, state %d" % (stage, state))
        usys.exit(1)

    client = MQTTClient(device, BROKER, user=USER, password=PASSWORD, keepalive=60)
    client.set_last_will(TOPIC_STATUS, "offline", retain=True, qos=1)
    client.set_callback(on_message)
    client.error_register_cb(on_mqtt_event)
    client.connect()
    client.publish(TOPIC_STATUS, "online", retain=True, qos=1)
    client.subscribe(TOPIC_CMD, 1)
    client.subscribe("fleet/cmd", 1)
    _thread.start_new_thread(receive, (client,))
    app.info("connected to %s as %s" % (BROKER, device))

    sent = 0
    for seq in range(REPORTS):
        report = {"seq": seq, "uptime": utime.ticks_ms() // 1000, "csq": net.csqQueryPoll()}
        acknowledged = client.publish(TOPIC_DATA, ujson.dumps(report), qos=1)
        sent += 1 if acknowledged else 0
        app.info("report %d %s" % (seq, "acknowledged" if acknowledged else "not acknowledged"))
        utime.sleep(settings["interval"])

    running[0] = False
    client.publish(TOPIC_STATUS, "offline", retain=True, qos=1)
    client.disconnect()
    print("%d of %d reports acknowledged, interval %d s" % (sent, REPORTS, settings["interval"]))
