"""umqtt: QuecPython's MQTT client (`from umqtt import MQTTClient`).

Written on the device's own usocket, ussl, _thread, osTimer and utime, so every
fault, TCP state, limit and trace applies, and timing is device time. Behaviour
from the firmware's frozen ports/quectel/py/umqtt.py (QuecPython/micropython
@93ac4925), line numbers of that file:

- MQTTClient(client_id, server, port=0, user=None, password=None, keepalive=0,
  ssl=False, ssl_params={}, reconn=True, version=4, pingmaxnum=0, manage=False,
  ipvtype=0) (l.58-59); port 0 is 1883, or 8883 with ssl (l.60-61); a keepalive
  of 1..4 raises ValueError('inport parameter error : keepalive >= 5S') (l.105).
  Importing the module sets the log level to INFO (l.30).
- connect(clean_session=True) (l.133-254, 666-695): the server is looked up
  (an error: ValueError("DNS Parsing '<server>'"), five empty answers 500 ms
  apart: ValueError('DNS Parsing NULL')), the socket timeout is 20 s, TLS goes
  through ussl.wrap_socket(sock, **ssl_params, server_hostname=server); the
  CONNECT names "MQTT" level 4 (or "MQIsdp" level 3 with version=3) and omits
  the client id when it is empty; the CONNACK is read with read(4), then the
  socket is made blocking. Any failure becomes ValueError("MQTT Connect
  error='<str(e)>' FAIL"); the texts the firmware has for str(e) equal to
  "104", "107"/"4" and "110" (RST, FIN, timeout) apply where str(e) is the bare
  number: MicroPython prints OSError(104) as "[Errno 104] ECONNRESET" (uerrno is
  compiled in, py/objexcept.c), so a refused connection reads "MQTT Connect
  error='[Errno 104] ECONNRESET' FAIL", as on the module. A refusal code from
  the broker reads "MQTT Connect error='5' FAIL". connect() returns 0.
- With keepalive > 0, connect starts the keepalive thread (16 KB stack,
  l.680-693): every 5 s it checks whether keepalive - 3 seconds passed since the
  last ping or acknowledged QoS 1 publish, and sends PINGREQ. A PINGRESP is only
  read by wait_msg(). A ping still unanswered at the next check: with reconn, it
  is sent again pingmaxnum times, then the thread gives up (socket timeout 3 s)
  and ends; without reconn, error_register_cb's callback gets "Send ping
  timeout." (l.697-770).
- publish(topic, msg, retain=False, qos=0) (l.302-344, 618-632): QoS 0 returns
  True (and, with keepalive >= 30, brings the next ping forward when less than
  15 s are left); QoS 1 reads the PUBACK (itself, unless a wait_msg() is running
  in another thread) and waits up to 5 s for it in 500 ms steps: True, or a
  warning and False. QoS 2 and any error: a warning "Publish Fail OSError[...]."
  and False. Lengths count characters (l.108-110, 306): a str topic or payload
  with non-ASCII characters sends more bytes than the packet says and the
  broker misreads the stream (qpysim notes it on stderr; bytes are safe).
- subscribe(topic, qos=0) (l.346-379): asserts a callback is set; the SUBSCRIBE
  packet's length is one byte (topics over 250 bytes wrap); without ssl the
  socket timeout becomes 5 s while the SUBACK is read. Topics are remembered and
  subscribed again after a reconnect.
- wait_msg() (l.403-475, 634-664): reads one packet. recv(1) (read(1) with
  ssl); a closed connection returns None; PINGRESP clears the ping; PUBACK and
  SUBACK settle their ids; a PUBLISH goes to the callback as (topic, msg) bytes,
  a QoS 1 one is acknowledged from a new thread. An error with reconn=True
  logs "wait msg OSError[...] . Trying to reconnect", waits 1 s and reconnects;
  with reconn=False it is raised.
- check_msg() (l.480-482) makes the socket non-blocking and calls wait_msg():
  with nothing waiting, recv raises OSError(11), which with reconn=True starts a
  reconnect, as on the module.
- Reconnecting (l.547-616): error_register_cb's callback gets "reconnect_start",
  the socket is closed and connect() tried again every 5+i seconds (i counts the
  attempts) with a warning naming the error, the subscriptions are made again
  (after 3 s by an osTimer with manage=True), then "reconnect_success".
- disconnect() (l.256-291, 530-536): stops the keepalive thread, sends
  DISCONNECT, waits 500 ms and closes. close() only closes.
- get_mqttsta() (l.497-515): -1, 0 connected, 1 connecting, 2 closed by the
  server, from the socket's getsocketsta() (an AttributeError with ssl: the
  firmware's ussl socket has none).
"""

from qpysim._runtime import current_device as _current_device
from qpysim.device import _mqtt
from qpysim.device._common import advise as _advise
from qpysim.device._common import advise_char_length as _advise_char_length

_dev = _current_device()
_uos = _dev.module("uos")
_utime = _dev.module("utime")
_log = _dev.module("log")
_thread = _dev.module("_thread")
_socket = _dev.module("usocket")
_struct = _dev.module("ustruct")
_osTimer = _dev.module("osTimer")
_net = _dev.module("net")
_dataCall = _dev.module("dataCall")

_platform = _uos.uname()[1].split("=", 1)[1]

_log.basicConfig(level=_log.INFO)
_mqtt_log = _log.getLogger("MQTT")

_PING_CHECK = 5        # seconds between the keepalive thread's checks
_ACK_WAIT_MS = 5000    # how long publish() and subscribe() wait for an ack
_ACK_POLL_MS = 500


class MQTTException(Exception):
    pass


def _packet_ids():
    pid = 0
    while True:
        pid = pid + 1 if pid < 65535 else 1
        yield pid


def _now():
    return _utime.ticks_ms() // 1000


def _stamp():
    t = _utime.localtime()
    return "%d-%d-%d %d:%d:%d" % t[:6]


def _varint(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class BaseMqtt(object):
    CONNECTEXCE = -1
    CONNECTSUCCESS = 0
    ARECONNECT = 1
    SEVCLOSE = 2

    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0,
                 ssl=False, ssl_params={}, reconn=True, version=4, pingmaxnum=0, manage=False,
                 ipvtype=0):
        if port == 0:
            port = 8883 if ssl else 1883
        self.client_id = client_id
        self.sock = None
        self.server = server
        self.port = port
        self.ssl = ssl
        self.ssl_params = ssl_params
        self.cb = None
        self.user = user
        self.pswd = password
        self.keepalive = keepalive
        self.lw_topic = None
        self.lw_msg = None
        self.lw_qos = 0
        self.lw_retain = False
        self.last_time = None
        self.timerFlag = True
        self.pingFlag = False
        self.connSta = False
        self.reconn = reconn
        self.topic_list = []
        self.addr = None
        self.qos = 0
        self.mqttversion = version
        self.clean_session = True
        self.pingmaxnum = pingmaxnum
        self.pingnum = 0
        self.mqttlock = None
        self.mqttsendlock = None
        self.mqttmsglock = None
        self.wait_flag = 0
        self.ipvtype = ipvtype
        self.manage = manage
        self.looptask_id = None
        self.PING = False
        self._pids = _packet_ids()
        self._awaiting = set()  # PUBACK and SUBACK ids not yet seen
        self._resubscribe_sock = None
        if keepalive != 0 and keepalive < 5:
            raise ValueError("inport parameter error : keepalive >= 5S")

    # ---- the wire
    def _send_str(self, s):
        _mqtt.send_str(_dev, self.sock, s, "umqtt")

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

    def _resolve(self):
        tries = 0
        while True:
            tries += 1
            if tries > 5:
                raise ValueError("DNS Parsing NULL")
            try:
                answers = _socket.getaddrinfo(self.server, self.port)
            except Exception:  # noqa: BLE001 - every lookup failure reads the same
                raise ValueError("DNS Parsing '{}'".format(self.server)) from None
            if answers:
                break
            _utime.sleep_ms(500)
        if self.ipvtype == 1:
            for a in answers:
                if a[0] == 10:
                    self.addr = a[-1]
                    break
            if self.addr is None:
                raise ValueError("DNS Parsing IPV6 Fail")
        else:
            self.addr = answers[0][-1]

    def _open(self):
        if self.ipvtype == 1:
            self.sock = _socket.socket(_socket.AF_INET6, _socket.SOCK_STREAM,
                                       _socket.TCP_CUSTOMIZE_PORT)
            info = _dataCall.getInfo(1, 1)
            if info == -1:
                raise ValueError("MQTT Connect dataCall get Info FAIL")
            if info[2][0] != 1:
                raise ValueError("MQTT Connect dataCall get IPV6 Info FAIL")
            try:
                self.sock.bind((info[2][2], 0))
            except Exception:  # noqa: BLE001
                raise ValueError("sock bind IPV6 IP FAIL") from None
        else:
            self.sock = _socket.socket()
        self.sock.settimeout(20)
        self.sock.connect(self.addr)
        if self.ssl:
            ussl = _dev.module("ussl")
            self.sock = ussl.wrap_socket(self.sock, **self.ssl_params, server_hostname=self.server)

    def _connect_packet(self, clean_session):
        protocol, level = (b"MQIsdp", 3) if self.mqttversion == 3 else (b"MQTT", 4)
        flags = clean_session << 1
        size = 2 + len(protocol) + 1 + 1 + 2
        payload = []
        if self.client_id:
            payload.append(self.client_id)
        if self.lw_topic:
            flags |= 0x04 | ((self.lw_qos & 0x03) << 3) | ((self.lw_retain & 0x01) << 5)
            payload += [self.lw_topic, self.lw_msg]
        if self.user:
            flags |= 0x80
            payload.append(self.user)
        if self.pswd:
            flags |= 0x40
            payload.append(self.pswd)
        size += sum(2 + len(p) for p in payload)
        packet = bytearray(b"\x10") + _varint(size)
        packet += _struct.pack("!H%dsBBH" % len(protocol), len(protocol), protocol, level, flags,
                               self.keepalive)
        for p in payload:
            if isinstance(p, str) and not p.isascii():
                _advise(_dev, "umqtt: CONNECT field %r has non-ASCII characters: the firmware "
                              "sends only its first %d UTF-8 bytes (its length in characters); "
                              "pass bytes (.encode()) instead" % (p, len(p)))
            # struct's "%ds" with the length in characters: a str's UTF-8 is cut
            # to that many bytes, as MicroPython's struct.pack does (l.231-238).
            data = (p.encode() if isinstance(p, str) else bytes(p))[:len(p)]
            packet += _struct.pack("!H", len(p)) + data
        return packet

    def connect(self, clean_session=True):
        for attr in ("mqttlock", "mqttsendlock", "mqttmsglock"):
            if getattr(self, attr) is None:
                setattr(self, attr, _thread.allocate_lock())
        self._resolve()
        self._open()
        self.sock.write(self._connect_packet(clean_session))
        resp = self.sock.read(4)
        self.sock.setblocking(True)
        assert resp[0] == 0x20 and resp[1] == 0x02
        if resp[3] != 0:
            raise MQTTException(resp[3])
        self.last_time = _now()
        self.connSta = True
        self.clean_session = clean_session
        self.PING = False
        self.pingnum = self.pingmaxnum
        self._resubscribe_sock = self.sock
        return resp[2] & 1

    def disconnect(self):
        try:
            self.timerFlag = False
            self.pingFlag = False
            self.connSta = False
            self.PING = False
            self.pingnum = self.pingmaxnum
            self.sock.write(b"\xe0\0")
        except Exception:  # noqa: BLE001
            _mqtt_log.warning("Error send mqtt_dis FAIL.")
        try:
            for attr in ("mqttsendlock", "mqttlock", "mqttmsglock"):
                lock = getattr(self, attr)
                if lock is not None and lock.locked():
                    lock.release()
            for attr in ("mqttlock", "mqttsendlock", "mqttmsglock"):
                lock = getattr(self, attr)
                if lock is not None:
                    _thread.delete_lock(lock)
                    setattr(self, attr, None)
        except Exception:  # noqa: BLE001
            _mqtt_log.warning("Error delete_lock FAIL.")
        _utime.sleep_ms(500)
        try:
            self.sock.close()
        except Exception:  # noqa: BLE001
            _mqtt_log.warning("Error socket close FAIL.")

    def close(self):
        self.sock.close()

    def ping(self):
        self.last_time = _now()
        self.sock.write(b"\xc0\0")
        self.PING = True

    def publish(self, topic, msg, retain=False, qos=0):
        pid = next(self._pids)
        size = 2 + len(topic) + len(msg) + (2 if qos > 0 else 0)
        assert size < 2097152
        self.sock.write(bytes([0x30 | qos << 1 | retain]) + _varint(size))
        self._send_str(topic)
        if qos > 0:
            self._awaiting.add(pid)
            self.sock.write(_struct.pack("!H", pid))
        _advise_char_length(_dev, "umqtt.publish", msg)
        self.sock.write(msg)
        if qos == 0:
            if self.keepalive >= 30:
                now = _now()
                if now - self.last_time > self.keepalive - 15:
                    self.last_time = now - self.keepalive  # ping at the next check
            return True
        if qos == 1:
            if self.wait_flag == 0:
                self.wait_msg()
            if not self._await_pid(pid):
                _mqtt_log.warning("publish Pid[%s] QOS1 message was not received correctly" % pid)
                return False
            self.last_time = _now()
            return True
        _mqtt_log.warning("publish QOS2 Not Support")
        assert 0

    def _subscribe(self, topic, qos, sock):
        if sock:
            self.sock = sock
        pid = next(self._pids)
        self._awaiting.add(pid)
        # One byte of remaining length, as the firmware packs it (l.352).
        self.sock.write(bytes([0x82, (2 + 2 + len(topic) + 1) & 0xFF]) + _struct.pack("!H", pid))
        self._send_str(topic)
        self.sock.write(qos.to_bytes(1, "little"))
        if self.ssl == False:  # noqa: E712 - as the firmware compares (l.356)
            self.sock.settimeout(5)
        if self.wait_flag == 0:
            if self.mqttmsglock.locked():
                return True
            return self.wait_msg() == 0x90
        return self._await_pid(pid)

    def subscribe(self, topic, qos=0, sock=None):
        assert self.cb is not None, "Subscribe callback is not set"
        if topic not in self.topic_list:
            self.topic_list.append(topic)
        self.qos = qos
        self._subscribe(topic, qos, sock)

    def publish_ack(self, pid):
        packet = b"\x40\x02" + _struct.pack("!H", pid)
        while True:
            try:
                if self.mqttsendlock.locked():
                    _utime.sleep_ms(10)
                    continue
                self.mqttsendlock.acquire()
                self.sock.write(packet)
                self.mqttsendlock.release()
                return
            except Exception as e:  # noqa: BLE001
                _mqtt_log.warning("Publish Pid[%s] ACK OSError[%s]." % (pid, str(e)))
                if self.mqttsendlock.locked():
                    self.mqttsendlock.release()
                return

    def wait_msg(self):
        res = self.sock.read(1) if self.ssl else self.sock.recv(1)
        self.sock.setblocking(True)
        if res is None or res == b"":
            return None
        if res == b"\xd0":  # PINGRESP
            self.PING = False
            assert self.sock.read(1)[0] == 0
            return res
        if res == b"\x40":  # PUBACK
            if self.sock.read(1) != b"\x02":
                _mqtt_log.warning("Publish message does not return ACK correctly")
                return None
            raw = self.sock.read(2)
            self._awaiting.discard(raw[0] << 8 | raw[1])
            return None
        op = res[0]
        if op & 0xF0 == 0x90:  # SUBACK
            resp = self.sock.read(4)
            self._awaiting.discard(resp[1] << 8 | resp[2])
            if resp[3] == 0x80:
                _mqtt_log.warning("subscribe topic ACK Fail")
                return 0x80
            return 0x90
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
        if op & 6 == 2:
            previous = _thread.stack_size()
            _thread.start_new_thread(self.publish_ack, (pid,))
            _thread.stack_size(previous)
        if op & 6 == 4:
            assert 0
        try:
            self.cb(topic, msg)
        except Exception as e:  # noqa: BLE001 - the firmware logs and carries on
            _mqtt_log.warning("set_callback OSError[%s]." % str(e))
        return None

    def check_msg(self):
        self.sock.setblocking(False)
        return self.wait_msg()

    def _await_pid(self, pid):
        start = _utime.ticks_ms()
        while pid in self._awaiting:
            if _utime.ticks_diff(_utime.ticks_ms(), start) > _ACK_WAIT_MS:
                return False
            _utime.sleep_ms(_ACK_POLL_MS)
        return True

    def get_mqttsta(self):
        state = self.sock.getsocketsta()
        if state in (0, 2, 3):
            return self.ARECONNECT
        if state == 4 and self.connSta:
            return self.CONNECTSUCCESS
        if state in (7, 8):
            return self.SEVCLOSE
        return self.CONNECTEXCE


class MQTTClient(BaseMqtt):
    DELAY = 2
    DEBUG = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_callback = None
        self.subtimer = _osTimer()

    def delay(self, i):
        _utime.sleep(self.DELAY)

    def error_register_cb(self, func):
        self.error_callback = func

    def _notify(self, what):
        if self.reconn and self.error_callback is not None:
            self.error_callback(what)

    def disconnect(self):
        try:
            self.subtimer.stop()
            self.subtimer.delete_timer()
        except Exception:  # noqa: BLE001
            pass
        super().disconnect()

    def sub_timer_task(self, arg):
        for topic in self.topic_list:
            BaseMqtt.subscribe(self, topic, qos=self.qos, sock=self._resubscribe_sock)

    def _with_lock(self, lock_name, fn):
        """Wait for a lock in 10 ms steps, as the firmware does, then run fn."""
        while getattr(self, lock_name).locked():
            _utime.sleep_ms(10)
        lock = getattr(self, lock_name)
        lock.acquire()
        try:
            return fn()
        finally:
            if lock.locked():
                lock.release()

    def publish(self, topic, msg, retain=False, qos=0):
        try:
            return self._with_lock("mqttsendlock",
                                   lambda: BaseMqtt.publish(self, topic, msg, retain, qos))
        except Exception as e:  # noqa: BLE001 - the firmware reports False
            _mqtt_log.warning("Publish Fail OSError[%s]." % str(e))
            return False

    def wait_msg(self):
        while True:
            try:
                if not self.timerFlag:
                    return None
                self.wait_flag = 1
                if self.mqttmsglock.locked():
                    _utime.sleep_ms(10)
                    continue
                self.mqttmsglock.acquire()
                result = BaseMqtt.wait_msg(self)
                self.mqttmsglock.release()
                self.wait_flag = 0
                return result
            except Exception as e:  # noqa: BLE001
                if self.mqttmsglock is not None and self.mqttmsglock.locked():
                    self.mqttmsglock.release()
                if not self.timerFlag:
                    return None
                if not self.reconn:
                    raise
                self.wait_flag = 0
                _mqtt_log.warning("[%s] wait msg OSError[%s] . Trying to reconnect"
                                  % (_stamp(), str(e)))
                _utime.sleep(1)
                self.base_reconnect()

    def connect(self, clean_session=True):
        try:
            BaseMqtt.connect(self, clean_session)
        except Exception as e:  # noqa: BLE001 - every failure becomes ValueError
            text = str(e)
            if text == "104":
                raise ValueError("MQTT Connect Error='{}' Server Actively RST Disconnected.Need "
                                 "Check addr&port".format(e)) from None
            if text in ("107", "4"):
                raise ValueError("MQTT Connect Error='{}' Server Actively FIN Disconnected.Need "
                                 "Check Connection parameters".format(e)) from None
            if text == "110":
                raise ValueError("MQTT Connect Error='{}' Timeout.Need Check "
                                 "Network".format(e)) from None
            raise ValueError("MQTT Connect error='{}' FAIL".format(e)) from None
        if self.looptask_id is None and self.keepalive > 0 and not self.pingFlag:
            previous = _thread.stack_size()
            _thread.stack_size(16 * 1024)
            self.looptask_id = _thread.start_new_thread(self._keepalive_loop, ())
            _thread.stack_size(previous)
            self.pingFlag = True
        return 0

    def _release_send(self):
        if self.mqttsendlock is not None and self.mqttsendlock.locked():
            self.mqttsendlock.release()

    def _keepalive_loop(self):
        due = self.keepalive - 3
        while True:
            try:
                if not self.timerFlag:
                    self._release_send()
                    self.looptask_id = None
                    return
                now = _now()
                if now - self.last_time <= due:
                    _utime.sleep(_PING_CHECK)
                    continue
                if self.mqttlock.locked():  # a reconnect is under way
                    _utime.sleep(_PING_CHECK)
                    continue
                if self.PING:
                    _mqtt_log.warning("[%s] Send ping timeout 2. Trying to reconnect" % now)
                    if not self.reconn:
                        self._release_send()
                        self.looptask_id = None
                        raise Exception("Send ping timeout.")
                    if self.pingnum <= 0:
                        _mqtt_log.warning("[%s] Send ping timeout 1. Trying to reconnect" % now)
                        self.sock.settimeout(3)
                        self.pingFlag = False
                        self._release_send()
                        self.looptask_id = None
                        return
                    _mqtt_log.warning("[%s] Trying to resend ping(%d)" % (now, self.pingnum))
                    self.pingnum -= 1
                self._with_lock("mqttsendlock", lambda: BaseMqtt.ping(self))
                _utime.sleep(_PING_CHECK)
            except Exception as e:  # noqa: BLE001
                self._release_send()
                if not self.timerFlag:
                    self.looptask_id = None
                    return
                if not self.reconn:
                    if self.error_callback is not None:
                        self.error_callback(str(e))
                    self.pingFlag = False
                    self.looptask_id = None
                    return
                # looptask_id still names this thread: base_reconnect() stops it
                # when no wait_msg() is running, as the firmware does (l.552-557).
                if self.PING:
                    _mqtt_log.warning("[%s] Send ping timeout 3. Trying to reconnect" % _stamp())
                else:
                    _mqtt_log.warning("[%s] Send ping, Network exception. Trying to reconnect"
                                      % _stamp())
                _utime.sleep(2)
                self.base_reconnect()
                return

    def base_reconnect(self):
        if self.mqttlock.locked():
            return  # another thread is reconnecting
        self.mqttlock.acquire()
        if self.looptask_id is not None and self.PING is not True:
            self._release_send()
            if self.wait_flag == 0:
                _thread.stop_thread(self.looptask_id)
            self.looptask_id = None
        self._notify("reconnect_start")
        attempt = 0
        while self.timerFlag:
            try:
                self.sock.close()
                stamp = _stamp()
                _mqtt_log.info("[%s] The network condition has been restored and an attempt "
                               "will be made to reconnect" % stamp)
                self.pingFlag = False
                self.connSta = False
                self.connect(self.clean_session)
                _mqtt_log.info("[%s] Reconnection successful!" % stamp)
                if self.manage:
                    self.subtimer.start(3000, 0, self.sub_timer_task)
                else:
                    for topic in self.topic_list:
                        BaseMqtt.subscribe(self, topic, self.qos)
                if self.mqttlock.locked():
                    self.mqttlock.release()
                try:
                    self._notify("reconnect_success")
                except Exception as e:  # noqa: BLE001
                    _mqtt_log.warning("error_callback OSError[%s]." % str(e))
                return
            except Exception as e:  # noqa: BLE001
                if not self.timerFlag:
                    return
                attempt += 1
                _mqtt_log.warning("[%s] The connection attempt failed [%s] and will be tried "
                                  "again after %d seconds." % (_stamp(), str(e), 5 + attempt))
                _utime.sleep(5 + attempt)
                state = _net.getState()
                if state != -1 and state[1][0] in (1, 5):
                    call = _dataCall.getInfo(1, 0)
                    if call == -1:
                        _mqtt_log.info("LTE datacall Fail.")
                    elif call[2][0] != 1:
                        _mqtt_log.info("LTE datacall IPV4 Fail.")
                else:
                    _mqtt_log.info("LTE Net unregistered.")

    def logTime(self):
        return _stamp()
