"""What tests put on the virtual network beside the device: Python peers
(Device.serve, Device.client) and the virtual MQTT brokers (Device.broker)."""

from __future__ import annotations

from collections.abc import Callable


from . import _core


class PeerConnection:
    """One connection to a Python peer (see Device.serve): a socket's blocking API,
    waiting in device time."""

    def __init__(self, core, peer):
        self._s = core
        self.peer = peer  # (ip, port) of the device's socket

    def recv(self, n: int = 65536) -> bytes:
        """Up to n bytes; b'' once the device closed its side."""
        return self._s.recv(n)

    def recv_exactly(self, n: int) -> bytes:
        """Exactly n bytes (fewer only at end of stream)."""
        return self._s.read(n)

    def readline(self) -> bytes:
        return self._s.readline()

    def send(self, data) -> int:
        return self._s.send(data)

    def sendall(self, data) -> None:
        self._s.send_all(data, True)

    def settimeout(self, seconds: float | None) -> None:
        self._s.settimeout(seconds)

    def state(self) -> int:
        """lwIP state number of the peer's end."""
        return self._s.state()

    def close(self) -> None:
        self._s.close()


def run_peer(handler: Callable, conn: PeerConnection) -> None:
    try:
        handler(conn)
    finally:
        conn.close()


class BrokerSubscription:
    """A test's own subscription on a virtual broker: what matches its filter
    from the moment it was made."""

    def __init__(self, core, sub: int, topic: str):
        self._core = core
        self._sub = sub
        self.topic = topic

    def get(self, timeout: float | None = None) -> list:
        """The messages that arrived since the last get(), waiting in device time
        until at least one has (or `timeout` seconds pass: then []). Each is a
        dict: time, client, topic, payload (bytes), qos, retain, will."""
        return self._core.take(self._sub, timeout)

    def close(self) -> None:
        self._core.unsubscribe(self._sub)

    def __enter__(self) -> "BrokerSubscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VirtualBroker:
    """The MQTT broker a scenario declares on a virtual host (`1883: mqtt`).

    ::

        broker = dev.broker("mqtt.example.com")
        broker.publish("cmd/dev1", b"reboot", qos=1, after=30)   # 30 s of device time from now
        broker.messages("up/#")     # what clients published, oldest first
        broker.clients()            # connected clients and persistent sessions
        broker.retained()           # {topic: payload}
        broker.disconnect("dev1")   # as if the connection dropped: its will goes out
    """

    def __init__(self, core):
        self._core = core

    def publish(self, topic: str, payload, qos: int = 0, retain: bool = False,
                after: float | None = None) -> None:
        """Publish as the broker itself, now or `after` seconds of device time."""
        if not isinstance(topic, str):
            raise TypeError(f"topic must be a str, not {type(topic).__name__}")
        self._core.publish(topic, payload, qos, retain, after)

    def messages(self, topic: str = "#") -> list:
        """What the broker routed (client publishes, wills, publish() calls), as
        dicts: time, client, topic, payload (bytes), qos, retain, will."""
        return [m for m in self._core.messages() if _matches(topic, m["topic"])]

    def clients(self) -> list:
        """Sessions, connected or persistent: client_id, connected, clean_session,
        protocol ("3.1.1" or "3.1"), keepalive, username, peer, subscriptions
        {filter: qos}, queued, inflight."""
        return self._core.clients()

    def retained(self) -> dict:
        return self._core.retained()

    def disconnect(self, client_id: str, reset: bool = False) -> bool:
        """Drop a client's connection (FIN, or RST); its will is published.
        False if it was not connected."""
        return self._core.disconnect(client_id, reset)

    def subscribe(self, topic: str) -> BrokerSubscription:
        return BrokerSubscription(self._core, self._core.subscribe(topic), topic)


def _matches(pattern: str, topic: str) -> bool:
    """MQTT topic filter matching (+ one level, # the rest), $-topics excepted."""
    if topic.startswith("$") and pattern[:1] in ("+", "#"):
        return False
    want, have = pattern.split("/"), topic.split("/")
    for i, level in enumerate(want):
        if level == "#":
            return True
        if i >= len(have) or (level != "+" and level != have[i]):
            return False
    return len(want) == len(have)


class PeersMixin:
    """Device's side of the virtual network for tests: brokers, the TLS CA,
    Python servers and clients (needs self.modem and self.start_thread)."""

    def broker(self, host: str, port: int = 1883) -> VirtualBroker:
        """The MQTT broker of a virtual host (a scenario's `PORT: mqtt`)."""
        return VirtualBroker(self.modem.broker(host, port))

    def tls_ca(self) -> str:
        """The run's CA certificate (PEM): it signs the certificates of the
        scenario's `tls:` services, so a script verifies with ussl's ca=."""
        return self.modem.tls_ca()

    def serve(self, host: str, port: int, handler: Callable[["PeerConnection"], object]) -> str:
        """Serve TCP host:port on the virtual network with a Python handler.

        Each connection the device opens runs handler(conn) in its own thread, in
        device time: conn.recv()/send()/close() block as a socket would, so a peer
        that sleeps or waits makes virtual time pass. `host` is a name (it gets an
        address and resolves for the device) or an IP literal. Returns the address.
        """
        if not callable(handler):
            raise TypeError("handler must be callable")
        listener = _core.open_host_listener(self.modem, host, port)

        def accept_loop():
            while True:
                core, ip, peer_port = listener.accept()
                conn = PeerConnection(core, (ip, peer_port))
                self.start_thread(run_peer, (handler, conn), name=f"peer {host}:{port}",
                                  daemon=True)

        self.start_thread(accept_loop, name=f"listen {host}:{port}", daemon=True)
        return _core.host_address(self.modem, host)

    def client(self, port: int, handler: Callable[["PeerConnection"], object], *,
               host: str = "client.qpysim.test", after: float = 0.0) -> None:
        """A Python client of a device TCP server, on the virtual network.

        After `after` seconds of device time, a peer on virtual host `host`
        connects to the device's data-call address at `port` and runs
        handler(conn) in its own thread (conn as for serve()). A refused or
        failed connect raises in that thread, where it is printed.
        """
        if not callable(handler):
            raise TypeError("handler must be callable")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError(f"port must be an int 1..65535, got {port!r}")
        if isinstance(after, bool) or not isinstance(after, (int, float)) or after < 0:
            raise ValueError(f"after must be a number of seconds >= 0, got {after!r}")

        def run():
            if after:
                self.modem.sleep(after)
            ip = self.modem.device_ip()
            if ip is None:
                raise OSError(113, "the device has no data call to connect to")
            core = _core.open_host_socket(self.modem, host)
            core.connect(ip, port)
            run_peer(handler, PeerConnection(core, (ip, port)))

        self.start_thread(run, name=f"client {host}", daemon=True)
