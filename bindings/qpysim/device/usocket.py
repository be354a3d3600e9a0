"""usocket (socket): BSD sockets on the emulated module.

Semantics (timeouts, errno, TCP states, limits) live in the C++ core; this module
checks arguments the way the firmware does and gives results the dialect's shape.
What differs between firmware generations and ports (constants, return shapes,
optional methods) comes from the dialect's row in the core's table
(emulator/src/profile.cpp), never from a comparison of names here.
"""

from qpysim._runtime import DeviceHalt as _DeviceHalt  # noqa: F401  (re-exported for tests)
from qpysim._runtime import current_device as _current_device

from ._common import OSError as _OSError
from ._common import need_int as _need_int

_dev = _current_device()
_modem = _dev.modem
_dialect = _dev.dialect
_profile = _dev.profile

# The dialect's constants, then AF_INET6 (and SOL_SOCKET, where it differs) as
# the module's stack headers number them.
_CONSTANTS = dict(_dialect.constants)
_CONSTANTS["AF_INET6"] = _profile.af_inet6
if _profile.sol_socket and "SOL_SOCKET" in _CONSTANTS:
    _CONSTANTS["SOL_SOCKET"] = _profile.sol_socket
globals().update(_CONSTANTS)
AF_INET = _CONSTANTS["AF_INET"]
AF_INET6 = _CONSTANTS["AF_INET6"]
SOCK_STREAM = _CONSTANTS["SOCK_STREAM"]
SOCK_DGRAM = _CONSTANTS["SOCK_DGRAM"]

_HAS_STA = _dialect.has_getsocketsta and _profile.has_getsocketsta
_NONE_ON_WOULD_BLOCK = _dialect.stream_none_when_would_block
_EAGAIN = (11,)
_MSG_PEEK = _CONSTANTS.get("MSG_PEEK", 0)
_MSG_DONTWAIT = _CONSTANTS.get("MSG_DONTWAIT", 0)


_int = _need_int


def _flags(flags):
    """recv/recvfrom flags: MSG_PEEK and MSG_DONTWAIT; any other is EINVAL."""
    _int(flags, "flags")
    if flags & ~(_MSG_PEEK | _MSG_DONTWAIT):
        raise _OSError(22)  # EINVAL: a flag the stack does not know
    return flags


def _host(host, what):
    """A host name or address: a str (or bytes) with no NUL in it. The firmware
    would pass the C string on, cut at the NUL ('127.0.0.1\\0x' is 127.0.0.1);
    qpysim refuses it rather than connect somewhere the script did not name."""
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode()
    if not isinstance(host, str):
        raise TypeError(f"{what} must be a str, not {type(host).__name__}")
    if "\0" in host:
        raise ValueError(f"{what} contains a NUL character: {host!r}")
    return host


def _address(address, what="address"):
    """(host, port) from a tuple or list, as netutils parses it."""
    if not isinstance(address, (tuple, list)) or len(address) < 2:
        raise TypeError(f"{what} must be a (host, port) tuple, not {type(address).__name__}")
    host = _host(address[0], f"{what}: host")
    port = _int(address[1], f"{what}: port")
    if not 0 <= port <= 65535:
        raise ValueError(f"{what}: port must be 0..65535, got {port}")
    return host, port


def _service_port(port):
    """A port as the firmware's getaddrinfo takes it (modsocket.c:251-257): an
    int is printed, a str passed on, and lwIP reads it with atoi (netdb.c,
    lwip_getaddrinfo): leading blanks and a sign, the digits up to the first
    other character; not a number, or outside 0..65535: EAI_SERVICE."""
    if isinstance(port, bytes):
        port = port.decode()
    if not isinstance(port, str):
        port = str(_int(port, "port"))
    text = port.lstrip(" \t\n\v\f\r")
    digits = text[1:] if text[:1] in "+-" else text
    n = len(digits) - len(digits.lstrip("0123456789"))
    value = int(text[: len(text) - len(digits) + n]) if n else 0
    if (value == 0 and not port.startswith("0")) or not 0 <= value <= 0xFFFF:
        raise _OSError(-201)  # lwIP EAI_SERVICE, raised negative (modsocket.c:268-270)
    return value


def _connect_address(address):
    """(host, port) for connect(): the firmware resolves the tuple with
    getaddrinfo (modsocket.c:282-286, 599), so a host name and a port string
    are fine; bind() and sendto() take int ports (l.383, 1067)."""
    if not isinstance(address, (tuple, list)) or len(address) < 2:
        raise TypeError(f"address must be a (host, port) tuple, not {type(address).__name__}")
    return _host(address[0], "address: host"), _service_port(address[1])


def _write_slice(buf, args):
    """write(buf[, max_len]) or write(buf, off, max_len), as MicroPython's stream
    write (py/stream.c:264-280): sizes wrap to unsigned, so a negative max_len
    is no limit and a negative offset is past the end."""
    if len(args) > 2:
        raise TypeError(f"function expected at most 4 arguments, got {len(args) + 2}")
    if isinstance(buf, str):
        buf = buf.encode()
    if not args:
        return buf
    data = memoryview(buf).cast("B")
    unsigned = [(_int(a, "size") % (1 << 64)) for a in args]
    off, max_len = (0, unsigned[0]) if len(args) == 1 else unsigned
    off = min(off, len(data))
    return data[off: off + max_len]


def _would_block(e):
    return isinstance(e, OSError) and e.args and e.args[0] in _EAGAIN


def _socket_options():
    """(level, optname) -> what setsockopt does; level None: any level (QuecPython)."""
    c = _CONSTANTS
    strict = _dialect.setsockopt_strict
    sol = c.get("SOL_SOCKET") if strict else None
    tcp = c.get("IPPROTO_TCP") if strict else None
    ip = c.get("IPPROTO_IP") if strict else None
    table = {}
    if "SO_REUSEADDR" in c:
        table[(sol, c["SO_REUSEADDR"])] = lambda s, v: s.set_reuseaddr(bool(v))
    if "TCP_KEEPALIVE" in c:
        # QuecPython: minutes of idle, 25 s between probes, 3 probes.
        table[(sol, c["TCP_KEEPALIVE"])] = lambda s, v: s.set_keepalive(v)
    if "SO_KEEPALIVE" in c:
        # BSD SO_KEEPALIVE: the host defaults, two hours of idle.
        table[(sol, c["SO_KEEPALIVE"])] = lambda s, v: s.set_keepalive(120) if v else None
    if "SO_LINGER" in c:
        table[(sol, c["SO_LINGER"])] = _set_linger
    # Accepted and without effect in the emulator: broadcast and multicast
    # membership (no multicast routing), Nagle (segments leave at once).
    if "SO_BROADCAST" in c:
        table[(sol, c["SO_BROADCAST"])] = lambda s, v: None
    if "IP_ADD_MEMBERSHIP" in c:
        table[(ip, c["IP_ADD_MEMBERSHIP"])] = lambda s, v: None
    if "TCP_NODELAY" in c:
        table[(tcp, c["TCP_NODELAY"])] = lambda s, v: None
    return table


def _set_linger(core, value):
    # struct linger {int l_onoff; int l_linger;}: on with 0 s means close() resets.
    if isinstance(value, int):
        onoff, seconds = value, 1
    else:
        raw = bytes(value) + bytes(8)
        onoff = int.from_bytes(raw[0:4], "little")
        seconds = int.from_bytes(raw[4:8], "little")
    core.set_linger_abort(bool(onoff) and seconds == 0)


_OPTIONS = _socket_options()


class socket:
    """socket(af=AF_INET, type=SOCK_STREAM, proto=0)"""

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
        host, port = _connect_address(address)
        self._s.connect(host, port)

    # ---- sending
    def send(self, data):
        return self._s.send(data)

    def sendall(self, data):
        self._s.send_all(data, True)

    def sendto(self, data, address):
        host, port = _address(address)
        return self._s.sendto(data, host, port)

    def write(self, buf, *size):
        try:
            return self._s.send_all(_write_slice(buf, size), False)
        except OSError as e:
            if _NONE_ON_WOULD_BLOCK and _would_block(e):
                return None
            raise

    # ---- receiving
    if _dialect.recv_flags:
        # recv(bufsize, flags) and recvfrom(bufsize, flags) (ports/unix/modsocket.c:
        # 283-324: the flags go to the OS's recv/recvfrom).
        def recv(self, bufsize, flags=0):
            _int(bufsize, "bufsize")
            if not _flags(flags):
                return self._s.recv(bufsize)
            return self._s.recv_flags(bufsize, bool(flags & _MSG_PEEK),
                                      bool(flags & _MSG_DONTWAIT))

        def recvfrom(self, bufsize, flags=0):
            _int(bufsize, "bufsize")
            return self._s.recvfrom(bufsize, bool(_flags(flags) & _MSG_PEEK),
                                    bool(flags & _MSG_DONTWAIT))
    else:
        def recv(self, bufsize):
            return self._s.recv(_int(bufsize, "bufsize"))

        def recvfrom(self, bufsize):
            return self._s.recvfrom(_int(bufsize, "bufsize"))

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
        # Filled as raw bytes, as MicroPython fills any buffer (an array('i') of
        # 3 items takes 12 bytes); a buffer that cannot be is refused before a
        # byte leaves the socket.
        try:
            view = memoryview(buf)
            view = view.cast("B") if view.format != "B" or view.ndim != 1 else view
        except TypeError:
            raise TypeError("readinto() needs a writable, contiguous buffer") from None
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

    def readline(self, size=-1):
        try:
            return self._s.readline(_int(size, "size"))
        except OSError as e:
            if _NONE_ON_WOULD_BLOCK and _would_block(e):
                return None
            raise

    # ---- options and state
    def setsockopt(self, level, optname, value):
        _int(level, "level")
        _int(optname, "optname")
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = value
            value = int.from_bytes(bytes(value)[:4], "little")
        else:
            raw = value = _int(value, "value")
        action = _OPTIONS.get((level, optname)) or _OPTIONS.get((None, optname))
        if action is None:
            if _dialect.setsockopt_strict:
                raise _OSError(*_dev.errno_of("no_protocol_option"))
            # QuecPython prints this and carries on (the firmware switches on optname only).
            print("Warning: lwip.setsockopt() option not implemented")
            return None
        action(self._s, raw if action is _set_linger else value)
        return None

    if _dialect.has_getsockopt:
        def getsockopt(self, level, optname):
            """UNIRTOS: only SO_ACCEPTCONN -> (is_listening, bound port)."""
            _int(level, "level")
            if _int(optname, "optname") != _CONSTANTS.get("SO_ACCEPTCONN"):
                raise _OSError(*_dev.errno_of("no_protocol_option"))
            local = self._s.local_address()
            return (1 if self._s.state() == 1 else 0, local[1] if local else 0)

    def settimeout(self, value):
        self._s.settimeout(value)

    def setblocking(self, flag):
        self._s.settimeout(None if flag else 0)

    if _HAS_STA:
        if _dialect.coarse_socket_state:
            def getsocketsta(self):
                """UNIRTOS reports only 0 (not connected), 1, 4 and -1."""
                state = self._s.state()
                return state if state in (-1, 1, 4) else 0
        else:
            def getsocketsta(self):
                return self._s.state()

    def fileno(self):
        return self._s.fileno()

    if _dialect.makefile_is_file:
        def makefile(self, mode="rb", buffering=0):
            if not isinstance(mode, str):
                raise TypeError(f"mode must be a str, not {type(mode).__name__}")
            return _SocketFile(self, mode)
    else:
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
        raise _OSError(22)


class _SocketFile:
    """What makefile() returns on MicroPython: a binary stream over the socket
    (no buffering); closing it closes the socket."""

    __slots__ = ("_sock", "mode")

    def __init__(self, sock, mode):
        self._sock = sock
        self.mode = mode

    def read(self, size=None):
        return self._sock.read(size)

    def readinto(self, buf, nbytes=None):
        return self._sock.readinto(buf, nbytes)

    def readline(self, size=-1):
        return self._sock.readline(size)

    def write(self, buf, *size):
        return self._sock.write(buf, *size)

    def flush(self):
        return None

    def fileno(self):
        return self._sock.fileno()

    def ioctl(self, request, arg):
        return self._sock.ioctl(request, arg)

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    """[(family, type, proto, canonname, (ip, port))] for host:port."""
    host = _host(host, "host")
    port = _service_port(port)
    for value, what in ((af, "af"), (type, "type"), (proto, "proto"), (flags, "flags")):
        _int(value, what)
    try:
        answers = _modem.getaddrinfo(host, port)
    except OSError:
        if _dialect.getaddrinfo_empty_on_failure:
            return []
        raise
    canonname = host if _dialect.canonname_is_host else ""
    out = []
    for v6, ip, p in answers:
        family = AF_INET6 if v6 else AF_INET
        if af and af != family:
            continue
        if _dialect.getaddrinfo_filters:
            out.append((family, type or SOCK_STREAM, proto, canonname, (ip, p)))
        else:
            # The firmware's hints are AF_UNSPEC/SOCK_STREAM whatever was asked.
            out.append((family, SOCK_STREAM, 0, canonname, (ip, p)))
    return out


if _dialect.has_inet_ntop:
    def inet_ntop(af, bin_addr):
        """inet_ntop(AF_INET, b'\\x7f\\0\\0\\1') -> '127.0.0.1'"""
        _int(af, "af")
        raw = bytes(bin_addr)
        if af == AF_INET and len(raw) == 4:
            return ".".join(str(b) for b in raw)
        if af == AF_INET6 and len(raw) == 16:
            import ipaddress as _ip
            return str(_ip.IPv6Address(raw))
        raise _OSError(22)

    def inet_pton(af, txt_addr):
        """inet_pton(AF_INET, '1.2.3.4') -> b'\\x01\\x02\\x03\\x04'"""
        _int(af, "af")
        if not isinstance(txt_addr, str):
            raise TypeError(f"address must be a str, not {type(txt_addr).__name__}")
        import ipaddress as _ip
        try:
            if af == AF_INET:
                return _ip.IPv4Address(txt_addr).packed
            if af == AF_INET6:
                return _ip.IPv6Address(txt_addr).packed
        except ValueError:
            pass
        raise _OSError(22)
