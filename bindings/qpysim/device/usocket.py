"""usocket: BSD sockets on the emulated module (QuecPython's usocket).

Semantics (timeouts, errno, TCP states, limits) live in the C++ core; this module
checks arguments the way the firmware does and gives results the dialect's shape.
"""

from qpysim._runtime import DeviceHalt as _DeviceHalt  # noqa: F401  (re-exported for tests)
from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_modem = _dev.modem
_dialect = _dev.dialect
_profile = _dev.profile

AF_INET = 2
AF_INET6 = _profile.af_inet6
SOCK_STREAM = 1
SOCK_DGRAM = 2
SOCK_RAW = 3
IPPROTO_IP = 0
IPPROTO_TCP = 6
IPPROTO_UDP = 17
SOL_SOCKET = 0xFFF
SO_REUSEADDR = 4
TCP_KEEPALIVE = 2
if _dialect.has_tcp_ser:
    IPPROTO_TCP_SER = 7
    TCP_CUSTOMIZE_PORT = 8
if _dialect.has_ipproto_sec:
    IPPROTO_SEC = 0x102  # MicroPython's value on the ports that define it

_HAS_STA = _profile.has_getsocketsta
_NONE_ON_WOULD_BLOCK = _dialect.stream_none_when_would_block
_EAGAIN = (11,)


def _int(value, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value


def _address(address, what="address"):
    """(host, port) from a tuple or list, as netutils parses it."""
    if not isinstance(address, (tuple, list)) or len(address) < 2:
        raise TypeError(f"{what} must be a (host, port) tuple, not {type(address).__name__}")
    host, port = address[0], address[1]
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        raise TypeError(f"{what}: host must be a str, not {type(host).__name__}")
    port = _int(port, f"{what}: port")
    if not 0 <= port <= 65535:
        raise ValueError(f"{what}: port must be 0..65535, got {port}")
    return host, port


def _would_block(e):
    return isinstance(e, OSError) and e.args and e.args[0] in _EAGAIN


class socket:
    """usocket.socket(af=AF_INET, type=SOCK_STREAM, proto=0)"""

    __slots__ = ("_s", "__weakref__")

    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0):
        self._s = _modem.socket(_int(af, "af"), _int(type, "type"), _int(proto, "proto"))

    @classmethod
    def _wrap(cls, core):
        s = cls.__new__(cls)
        s._s = core
        return s

    def __repr__(self):
        return "<socket state=%d fd=%d>" % (self._s.state(), self._s.fileno())

    # ---- connection setup
    def bind(self, address):
        host, port = _address(address)
        self._s.bind(host, port)

    if _dialect.listen_requires_backlog:
        def listen(self, backlog):
            self._s.listen(max(0, _int(backlog, "backlog")))
    else:
        def listen(self, backlog=0):
            self._s.listen(max(0, _int(backlog, "backlog")))

    if _dialect.accept_returns_address_tuple:
        def accept(self):
            core, ip, port = self._s.accept()
            return socket._wrap(core), (ip, port)
    else:
        def accept(self):
            core, ip, port = self._s.accept()
            return socket._wrap(core), ip, port

    def connect(self, address):
        host, port = _address(address)
        self._s.connect(host, port)

    # ---- sending
    def send(self, data):
        return self._s.send(data)

    def sendall(self, data):
        self._s.send_all(data, True)

    def sendto(self, data, address):
        host, port = _address(address)
        return self._s.sendto(data, host, port)

    def write(self, buf):
        try:
            return self._s.send_all(buf, False)
        except OSError as e:
            if _NONE_ON_WOULD_BLOCK and _would_block(e):
                return None
            raise

    # ---- receiving
    def recv(self, bufsize):
        return self._s.recv(bufsize)

    def recvfrom(self, bufsize):
        return self._s.recvfrom(bufsize)

    def read(self, size=None):
        if size is not None:
            _int(size, "size")
            if size < 0:
                size = None
        try:
            return self._s.read(size)
        except OSError as e:
            if _NONE_ON_WOULD_BLOCK and _would_block(e):
                return None
            raise

    def readinto(self, buf, nbytes=None):
        try:
            view = memoryview(buf)
        except TypeError:
            raise TypeError("readinto() needs a writable buffer") from None
        if view.readonly:
            raise TypeError("readinto() needs a writable buffer")
        n = len(view) if nbytes is None else min(_int(nbytes, "nbytes"), len(view))
        if n <= 0:
            return 0
        try:
            data = self._s.read(n)
        except OSError as e:
            if _NONE_ON_WOULD_BLOCK and _would_block(e):
                return None
            raise
        view[: len(data)] = data
        return len(data)

    def readline(self):
        try:
            return self._s.readline()
        except OSError as e:
            if _NONE_ON_WOULD_BLOCK and _would_block(e):
                return None
            raise

    # ---- options and state
    def setsockopt(self, level, optname, value):
        _int(level, "level")  # checked, then ignored: the firmware switches on optname only
        _int(optname, "optname")
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = int.from_bytes(bytes(value), "little")
        else:
            value = _int(value, "value")
        if optname == SO_REUSEADDR:
            self._s.set_reuseaddr(bool(value))
        elif optname == TCP_KEEPALIVE:
            self._s.set_keepalive(value)
        else:
            print("Warning: lwip.setsockopt() option not implemented")
        return None

    def settimeout(self, value):
        self._s.settimeout(value)

    def setblocking(self, flag):
        self._s.settimeout(None if flag else 0)

    if _HAS_STA:
        def getsocketsta(self):
            return self._s.state()

    def fileno(self):
        return self._s.fileno()

    def makefile(self, mode="rb", buffering=0):
        return self

    def close(self):
        self._s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # select.poll support (MicroPython's stream ioctl MP_STREAM_POLL = 3)
    def ioctl(self, request, arg):
        if request == 3:
            return self._s.poll_events() & (arg | 8 | 16 | 32)
        raise OSError(22, "EINVAL")


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    """[(family, type, proto, canonname, (ip, port))] for host:port."""
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        raise TypeError(f"host must be a str, not {host.__class__.__name__}")
    if isinstance(port, str):
        if not port.isdigit() or int(port) > 65535:
            raise OSError(-201)  # lwIP EAI_SERVICE
        port = int(port)
    else:
        _int(port, "port")
    for value, what in ((af, "af"), (type, "type"), (proto, "proto"), (flags, "flags")):
        _int(value, what)
    try:
        answers = _modem.getaddrinfo(host, port)
    except OSError:
        if _dialect.getaddrinfo_empty_on_failure:
            return []
        raise
    out = []
    for v6, ip, p in answers:
        family = AF_INET6 if v6 else AF_INET
        if af and af != family:
            continue
        out.append((family, SOCK_STREAM, 0, host, (ip, p)))
    return out
