# A sensor node as QuecPython apps are written: an SHT3x on I2C1, the battery
# through a 1:2 divider on ADC0, a button on GPIO5, and a report over MQTT every
# minute and at each press. It runs unchanged on a module and under qpysim.
#
#   qpysim run --scenario examples/sensor_node/node.yaml examples/sensor_node/main.py
#
# Arguments: [reports before it stops (9)]
import checkNet
import log
import modem
import ujson
import usys
import utime
from machine import ExtInt, I2C
from misc import ADC
from umqtt import MQTTClient

PROJECT_NAME = "QuecPython_sensor_node"
PROJECT_VERSION = "1.0.0"
BROKER = "mqtt.example.com"
INTERVAL_S = 60
LOW_BATTERY_MV = 3400
REPORTS = int(usys.argv[1]) if len(usys.argv) > 1 else 9

log.basicConfig(level=log.INFO)
app = log.getLogger("NODE")
TOPIC = "nodes/%s/report" % modem.getDevImei()

i2c = I2C(I2C.I2C1, I2C.STANDARD_MODE)
adc = ADC()
adc.open()
presses = []


def read_sht3x():
    """(temperature C, humidity %RH), or None when the sensor does not answer."""
    if i2c.write(0x44, bytearray([0x2C, 0x06]), 2, bytearray(0), 0) != 0:
        return None
    raw = bytearray(6)
    if i2c.read(0x44, bytearray(0), 0, raw, 6, 20) != 0:
        return None
    t = -45 + 175 * (raw[0] << 8 | raw[1]) / 65535
    rh = 100 * (raw[3] << 8 | raw[4]) / 65535
    return round(t, 1), round(rh, 1)


def on_button(args):
    presses.append(args[0])


def report(client, seq, reason):
    msg = {"seq": seq, "reason": reason, "uptime": utime.ticks_ms() // 1000,
           "battery_mv": adc.read(ADC.ADC0) * 2}
    reading = read_sht3x()
    if reading is None:
        msg["error"] = "sensor"
    else:
        msg["t"], msg["rh"] = reading
    if msg["battery_mv"] < LOW_BATTERY_MV:
        msg["low_battery"] = True
    ok = client.publish(TOPIC, ujson.dumps(msg), qos=1)
    app.info("report %d (%s): %s" % (seq, reason, "sent" if ok else "not acknowledged"))


if __name__ == "__main__":
    stage, state = checkNet.CheckNetwork(PROJECT_NAME, PROJECT_VERSION).wait_network_connected(30)
    if stage != 3 or state != 1:
        app.error("no network: stage %d, state %d" % (stage, state))
        usys.exit(1)
    client = MQTTClient(modem.getDevImei(), BROKER, keepalive=120)
    client.connect()
    button = ExtInt(ExtInt.GPIO5, ExtInt.IRQ_FALLING, ExtInt.PULL_PU, on_button)
    button.enable()

    seq = 0
    due = utime.ticks_add(utime.ticks_ms(), INTERVAL_S * 1000)
    while seq < REPORTS:
        if presses:
            presses.pop(0)
            report(client, seq, "button")
            seq += 1
        elif utime.ticks_diff(due, utime.ticks_ms()) <= 0:
            report(client, seq, "timer")
            seq += 1
            due = utime.ticks_add(due, INTERVAL_S * 1000)
        else:
            utime.sleep_ms(100)
    button.disable()
    client.disconnect()
    app.info("done: %d reports" % seq)
