"""The module's UARTs as the PC sees them: lines a test types into and reads,
and a bridge of a UART to a TCP port on 127.0.0.1.

Bytes sent to the module arrive at the line's baud rate in device time (10 bits
a byte: start, 8 data, stop), and nothing is lost while the app reads: the
module's receive buffer grows as needed, unless a `uart_overrun` fault gives
it a FIFO (the core decides what fits, counts and traces the rest). What the app writes reaches the PC at
once. A line thread (a device daemon thread, as the firmware's UART driver
task) moves arriving bytes into the buffer and calls the app's set_callback
function with (0, port, size) for each piece.

A scenario's `uart: {N: {script: [...]}}` wires a scripted device to UART N:
from when the app opens the UART, its steps run in device time: `send: TEXT`
types TEXT into the module, `expect: TEXT` waits until the app has written
TEXT (what came before it is skipped), `delay: D` waits.
"""

from __future__ import annotations

import threading

from . import _core
from ._service import DeviceService

DEFAULT_BAUD = 115200


class UartLine(DeviceService):
    """One UART of one module: the module's side and the PC's. Its service
    thread (the firmware's UART receive task) moves what arrives into the
    receive buffer at the baud rate."""

    def __init__(self, device, port: int):
        super().__init__(device, f"UART{port}")
        self.port = port
        self.baud = DEFAULT_BAUD
        self._lock = threading.Lock()
        self._rx = bytearray()  # arrived, not yet read by the app
        self._incoming: list[bytes] = []  # sent by the PC, still on the wire
        self._tx = bytearray()  # written by the app, not yet taken by the PC
        self._tx_taken = 0
        self._wire_free_ns = 0  # when the wire towards the module is idle again
        self.callback = None
        self.on_write = None  # a bridge's hook: called with each write's bytes
        self.script = None  # the scenario's scripted device: [(kind, text, seconds)]
        self._script_heard = bytearray()  # what the app wrote, for its expect steps
        self._script_wake = _core.Semaphore(device.modem, 0, 1)
        self._script_started = False

    # ---------------------------------------------------------------- the PC's side

    def send(self, data) -> None:
        """Bytes typed into the module's UART; they arrive at the line's baud rate."""
        data = bytes(data)
        if not data:
            return
        with self._lock:
            self._incoming.append(data)
        self.poke()

    def take(self) -> bytes:
        """What the app has written since the last take()."""
        with self._lock:
            out = bytes(self._tx)
            self._tx.clear()
            self._tx_taken += len(out)
            return out

    @property
    def lost(self) -> int:
        """Bytes sent to the module that a full receive FIFO lost (uart_overrun)."""
        return self._dev.modem.uart_lost(self.port)

    @property
    def written(self) -> int:
        """Bytes the app has written in all."""
        with self._lock:
            return self._tx_taken + len(self._tx)

    # ---------------------------------------------------------------- the module's side

    def write(self, data: bytes) -> int:
        with self._lock:
            self._tx += data
            hook = self.on_write
            if self.script is not None:
                self._script_heard += data
        if self.script is not None:
            self._script_wake.release()
        if hook is not None:
            hook(data)
        return len(data)

    def opened(self) -> None:
        """The app opened the UART: a scripted device starts its steps."""
        with self._lock:
            start = self.script is not None and not self._script_started
            self._script_started = True
        if start:
            self._dev.start_thread(self._play, name=f"UART{self.port} device", daemon=True)

    def _play(self) -> None:
        for kind, text, seconds in self.script:
            if kind == "send":
                self.send(text)
            elif kind == "delay":
                self._dev.modem.sleep(seconds)
            else:  # expect: what the app wrote up to and with the text
                while True:
                    with self._lock:
                        at = self._script_heard.find(text)
                        if at >= 0:
                            del self._script_heard[:at + len(text)]
                            break
                    self._script_wake.acquire(None)

    def read(self, n: int) -> bytes:
        with self._lock:
            n = len(self._rx) if n < 0 else min(n, len(self._rx))
            out = bytes(self._rx[:n])
            del self._rx[:n]
            return out

    def readline(self) -> bytes:
        with self._lock:
            end = self._rx.find(b"\n")
            n = len(self._rx) if end < 0 else end + 1
            out = bytes(self._rx[:n])
            del self._rx[:n]
            return out

    def any(self) -> int:
        with self._lock:
            return len(self._rx)

    def step(self):
        """One piece arrives after its bytes' time on the wire."""
        modem = self._dev.modem
        with self._lock:
            piece = self._incoming.pop(0) if self._incoming else None
        if piece is None:
            return None
        now = modem.now_ns()
        start = max(now, self._wire_free_ns)
        self._wire_free_ns = start + len(piece) * 10 * 1_000_000_000 // self.baud
        if self._wire_free_ns > now:
            modem.sleep((self._wire_free_ns - now) / 1e9)
        with self._lock:
            kept = modem.uart_accept(self.port, len(self._rx), len(piece))
            self._rx += piece[:kept]
            callback = self.callback if kept else None
        if callback is not None:
            try:
                callback((0, self.port, kept))
            except Exception as e:  # noqa: BLE001 - the firmware prints it and goes on
                from ._runtime import print_exception

                print_exception(e)
        return 0


def parse_uart_option(text: str) -> tuple:
    """`--uart N=SPEC` -> (N, SPEC)."""
    port, sep, spec = text.partition("=")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 6:
        raise ValueError(f"uart: {text!r} is not N=SPEC with N a UART from 0 to 6 "
                         f"(as in --uart 2=tcp:7001)")
    return int(port), spec


def open_bridge(spec: str) -> "Bridge":
    """A bridge from `--uart N=SPEC`: tcp:PORT, stdio or pty."""
    if spec == "stdio":
        return StdioBridge()
    if spec == "pty":
        return PtyBridge()
    if not isinstance(spec, str) or not spec.startswith("tcp:"):
        raise ValueError(f"uart: {spec!r} is not a bridge qpysim has (it has tcp:PORT, "
                         f"stdio and pty)")
    try:
        tcp_port = int(spec[4:])
    except ValueError:
        tcp_port = -1
    if not 0 <= tcp_port <= 65535:
        raise ValueError(f"uart: tcp:PORT needs a port from 0 to 65535, not {spec[4:]!r}")
    return TcpBridge(tcp_port)


class Bridge:
    """A UART's PC side outside the process. It outlives a reboot: each boot
    attaches the new module's line. Subclasses move bytes: _from_pc() on what
    arrives, _to_pc() what the app writes."""

    address = ""

    def __init__(self):
        self.line = None
        self.lock = threading.Lock()
        self._early = []  # what the PC sent before a module was attached: kept, in order

    def attach(self, device, port: int) -> None:
        if device.modem.clock == "virtual":
            raise ValueError(f"uart: a {self.kind} bridge needs real time (--clock real): what "
                             f"the PC types arrives on the PC's clock")
        line = device.uart(port)
        line.on_write = self._to_pc
        with self.lock:
            self.line = line
            early, self._early = self._early, []
        for data in early:
            line.send(data)

    def _from_pc(self, data: bytes) -> None:
        with self.lock:
            line = self.line
            if line is None:
                self._early.append(data)
                return
        line.send(data)

    def _to_pc(self, data: bytes) -> None:
        raise NotImplementedError

    def _start(self, target) -> None:
        threading.Thread(target=target, name=f"uart-{self.kind}-bridge", daemon=True).start()


class TcpBridge(Bridge):
    """One TCP client at a time on 127.0.0.1."""

    kind = "tcp:"

    def __init__(self, port: int):
        import socket

        super().__init__()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.server.bind(("127.0.0.1", port))
        except OSError as e:
            self.server.close()
            raise ValueError(f"uart: cannot listen on 127.0.0.1:{port}: {e.strerror}") from None
        self.server.listen(1)
        self.address = "127.0.0.1:%d" % self.server.getsockname()[1]
        self.client = None
        self._start(self._serve)

    def _to_pc(self, data: bytes) -> None:
        with self.lock:
            client = self.client
        if client is not None:
            try:
                client.sendall(data)
            except OSError:
                pass  # the PC's side went away: bytes go nowhere, as on an unplugged line

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.client = client
            try:
                while True:
                    data = client.recv(4096)
                    if not data:
                        break
                    self._from_pc(data)
            except OSError:
                pass
            finally:
                with self.lock:
                    self.client = None
                client.close()


class StdioBridge(Bridge):
    """qpysim's own stdin into the UART, the UART's output onto its stdout (mixed
    with what the script prints)."""

    kind = "stdio"
    address = "this terminal (stdin in, stdout out)"

    def __init__(self):
        super().__init__()
        self._start(self._pump)

    def _to_pc(self, data: bytes) -> None:
        import os

        try:
            os.write(1, data)
        except OSError:
            pass

    def _pump(self) -> None:
        import os

        while True:
            try:
                data = os.read(0, 4096)
            except OSError:
                return
            if not data:
                return  # end of input: the line stays quiet
            self._from_pc(data)


class PtyBridge(Bridge):
    """A pseudo-terminal: a terminal program or pyserial opens its path.

    POSIX only (os.openpty): this is qpysim's one place that needs it."""

    kind = "pty"

    def __init__(self):
        import os

        super().__init__()
        if not hasattr(os, "openpty"):
            raise ValueError("uart: pty bridges need a POSIX system (Linux, macOS); on "
                             "Windows use tcp:PORT")
        import tty

        self.master, slave = os.openpty()
        tty.setraw(slave)  # bytes as they are: no echo, no line editing
        self.address = os.ttyname(slave)
        self._slave = slave  # kept open, so the master never reads EOF between users
        self._start(self._pump)

    def _to_pc(self, data: bytes) -> None:
        import os

        try:
            os.write(self.master, data)
        except OSError:
            pass

    def _pump(self) -> None:
        import os

        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if data:
                self._from_pc(data)
