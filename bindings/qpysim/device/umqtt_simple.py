"""umqtt.simple: micropython-lib's MQTT client (micropython/umqtt.simple, v1.8.0).

On the device's socket, struct and ssl modules; the same packets in the same
writes: MQTTClient(client_id, server, port=0, user=None, password=None,
keepalive=0, ssl=None, ssl_params={}) (port 0: 1883, or 8883 with ssl);
connect(clean_session=True, timeout=None) -> session present (ssl=True wraps
with ssl.wrap_socket(sock, **ssl_params), an SSLContext with its
wrap_socket(sock, server_hostname=server)); a refusal raises MQTTException(code);
disconnect(), ping(), publish(topic, msg, retain=False, qos=0) (QoS 1 waits for
its PUBACK in wait_msg()), subscribe(topic, qos=0) (MQTTException(0x80) when
refused), unsubscribe(topic), wait_msg() (OSError(-1) when the server closed),
check_msg() (None when nothing is waiting), set_callback(f), set_last_will().
"""

from qpysim._runtime import current_device as _current_device

from . import _mqtt
from ._common import OSError as _OSError
from ._common import advise_char_length as _advise_char_length

_dev = _current_device()
_socket = _dev.module("socket")
_struct = _dev.module("struct")


class MQTTException(Exception):
    pass


def _encode_len(pkt, sz):
    i = 1
    while sz > 0x7F:
        pkt[i] = (sz & 0x7F) | 0x80
        sz >>= 7
        i += 1
    pkt[i] = sz
    return i


class MQTTClient:
    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0,
                 ssl=None, ssl_params={}):
        if port == 0:
            port = 8883 if ssl else 1883
        self.client_id = client_id
        self.sock = None
        self.server = server
        self.port = port
        self.ssl = ssl
        self.ssl_params = ssl_params
        self.pid = 0
        self.cb = None
        self.user = user
        self.pswd = password
        self.keepalive = keepalive
        self.lw_topic = None
        self.lw_msg = None
        self.lw_qos = 0
        self.lw_retain = False

    def _send_str(self, s):
        _mqtt.send_str(_dev, self.sock, s, "umqtt.simple")

    def _recv_len(self):
        return _mqtt.recv_len(self.sock)

    def set_callback(self, f):
        self.cb = f

    def set_last_will(self, topic, msg, retain=False, qos=0):
        assert 0 <= qos <= 2
        assert topic
        self.lw_topic = topic
        self.lw_msg = msg
        self.lw_qos = qos
        self.lw_retain = retain

    def connect(self, clean_session=True, timeout=None):
        if self.sock:
            self.sock.close()
        self.sock = _socket.socket()
        self.sock.settimeout(timeout)
        self.sock.connect(_socket.getaddrinfo(self.server, self.port)[0][-1])
        if self.ssl is True:
            self.sock = _dev.module("ssl").wrap_socket(self.sock, **self.ssl_params)
        elif self.ssl:
            self.sock = self.ssl.wrap_socket(self.sock, server_hostname=self.server)
        flags = clean_session << 1
        size = 10 + 2 + len(self.client_id)
        if self.user:
            size += 2 + len(self.user) + 2 + len(self.pswd)
            flags |= 0xC0
        if self.lw_topic:
            size += 2 + len(self.lw_topic) + 2 + len(self.lw_msg)
            flags |= 0x4 | (self.lw_qos & 0x1) << 3 | (self.lw_qos & 0x2) << 3
            flags |= self.lw_retain << 5
        assert self.keepalive < 65536
        head = bytearray(6)
        head[0] = 0x10
        i = _encode_len(head, size)
        # The fixed header and the protocol name's length, high byte (zero).
        self.sock.write(bytes(head[: i + 2]))
        self.sock.write(bytes([4]) + b"MQTT" + bytes([4, flags, self.keepalive >> 8,
                                                      self.keepalive & 0xFF]))
        self._send_str(self.client_id)
        if self.lw_topic:
            self._send_str(self.lw_topic)
            self._send_str(self.lw_msg)
        if self.user:
            self._send_str(self.user)
            self._send_str(self.pswd)
        resp = self.sock.read(4)
        assert resp[0] == 0x20 and resp[1] == 0x02
        if resp[3] != 0:
            raise MQTTException(resp[3])
        return resp[2] & 1

    def disconnect(self):
        self.sock.write(b"\xe0\0")
        self.sock.close()

    def ping(self):
        self.sock.write(b"\xc0\0")

    def publish(self, topic, msg, retain=False, qos=0):
        head = bytearray(4)
        head[0] = 0x30 | qos << 1 | retain
        size = 2 + len(topic) + len(msg) + (2 if qos > 0 else 0)
        assert size < 2097152
        i = _encode_len(head, size)
        self.sock.write(bytes(head[: i + 1]))
        self._send_str(topic)
        if qos > 0:
            self.pid += 1
            pid = self.pid
            self.sock.write(_struct.pack("!H", pid))
        _advise_char_length(_dev, "umqtt.simple.publish", msg)
        self.sock.write(msg)
        if qos == 1:
            while True:
                if self.wait_msg() == 0x40:
                    assert self.sock.read(1) == b"\x02"
                    raw = self.sock.read(2)
                    if raw[0] << 8 | raw[1] == pid:
                        return
        elif qos == 2:
            assert 0

    def _send_subunsub(self, topic, typ, ack_op, ack_n, qos=0):
        head = bytearray(4)
        head[0] = typ
        self.pid += 1
        pid = self.pid
        i = _encode_len(head, 4 + len(topic) + (ack_n > 3))
        self.sock.write(bytes(head[: i + 1]))
        self.sock.write(_struct.pack("!H", pid))
        self._send_str(topic)
        if ack_n > 3:
            self.sock.write(bytes((qos,)))
        while True:
            if self.wait_msg() == ack_op:
                resp = self.sock.read(ack_n)
                assert (resp[1] << 8 | resp[2]) == pid
                if ack_n > 3 and resp[3] == 0x80:
                    raise MQTTException(resp[3])
                return

    def subscribe(self, topic, qos=0):
        assert self.cb is not None, "Subscribe callback is not set"
        self._send_subunsub(topic, 0x82, 0x90, 4, qos)

    def unsubscribe(self, topic):
        self._send_subunsub(topic, 0xA2, 0xB0, 3)

    def wait_msg(self):
        res = self.sock.read(1)
        self.sock.setblocking(True)
        if res is None:
            return None
        if res == b"":
            raise _OSError(-1)
        if res == b"\xd0":  # PINGRESP
            assert self.sock.read(1)[0] == 0
            return None
        op = res[0]
        if op & 0xF0 != 0x30:
            return op
        size = self._recv_len()
        raw = self.sock.read(2)
        topic_len = raw[0] << 8 | raw[1]
        topic = self.sock.read(topic_len)
        size -= topic_len + 2
        if op & 6:
            raw = self.sock.read(2)
            pid = raw[0] << 8 | raw[1]
            size -= 2
        msg = self.sock.read(size)
        self.cb(topic, msg)
        if op & 6 == 2:
            self.sock.write(b"\x40\x02" + _struct.pack("!H", pid))
        elif op & 6 == 4:
            assert 0
        return op

    def check_msg(self):
        self.sock.setblocking(False)
        return self.wait_msg()
