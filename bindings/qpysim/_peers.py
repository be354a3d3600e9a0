"""What tests put on the virtual network beside the device: Python peers
(Device.serve, Device.client) and the virtual MQTT brokers (Device.broker)."""

from __future__ import annotations

from typing import Any, Callable, Optional


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

    def settimeout(self, seconds: Optional[float]) -> None:
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

    def get(self, timeout: Optional[float] = None) -> list:
        """The messages that arrived since the last get(), waiting in device time
        until at least one has (or `timeout` seconds pass: then []). Each is a
        dict: time, client, topic, payload (bytes), qos, retain, will."""
        return self._core.take(self._sub, timeout)

    def close(self) -> None:
        self._core.unsubscribe(self._sub)

    def __enter__(self) -> "BrokerSubscription":
        return self

    def __exit__(self, *exc: Any) -> None:
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
                after: Optional[float] = None) -> None:
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
