"""umqtt.robust: micropython-lib's reconnecting MQTT client (micropython/umqtt.robust).

MQTTClient(umqtt.simple.MQTTClient) with DELAY = 2 (seconds between attempts),
DEBUG = False, delay(i), log(in_reconnect, e), reconnect() (connect(False)
until it works), and publish, wait_msg and check_msg(attempts=2) that
reconnect after an OSError and try again.
"""

from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_time = _dev.module("time")
simple = _dev.module("umqtt.simple")


class MQTTClient(simple.MQTTClient):
    DELAY = 2
    DEBUG = False

    def delay(self, i):
        _time.sleep(self.DELAY)

    def log(self, in_reconnect, e):
        if self.DEBUG:
            print(("mqtt reconnect: %r" if in_reconnect else "mqtt: %r") % e)

    def reconnect(self):
        attempt = 0
        while True:
            try:
                return self.connect(False)
            except OSError as e:
                self.log(True, e)
                attempt += 1
                self.delay(attempt)

    def publish(self, topic, msg, retain=False, qos=0):
        while True:
            try:
                return super().publish(topic, msg, retain, qos)
            except OSError as e:
                self.log(False, e)
            self.reconnect()

    def wait_msg(self):
        while True:
            try:
                return super().wait_msg()
            except OSError as e:
                self.log(False, e)
            self.reconnect()

    def check_msg(self, attempts=2):
        while attempts:
            self.sock.setblocking(False)
            try:
                return super().wait_msg()
            except OSError as e:
                self.log(False, e)
            self.reconnect()
            attempts -= 1
