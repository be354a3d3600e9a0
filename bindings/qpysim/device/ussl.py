"""ussl: TLS on a device socket, as QuecPython's firmware has it.

The TLS is CPython's (ssl over memory buffers, qpysim.device._tls); the bytes go
through the device socket, so latency, loss, faults and the trace apply.

Facts, from QuecPython/micropython@93ac4925 ports/quectel/modussl_mbedtls.c:
- wrap_socket(sock, *, ca=None, key=None, cert=None, server_side=False,
  server_hostname=None, do_handshake=True): all keyword-only (l.599-606); sock
  must be a stream, else OSError('stream operation not supported') (l.200).
- The server's certificate is not checked by default (MBEDTLS_SSL_VERIFY_NONE,
  l.270). With ca= it must verify (VERIFY_REQUIRED, l.329), against
  server_hostname when given (l.283); a validity that starts in the future is
  forgiven (my_verify, l.181).
- ca= that does not parse: ValueError('invalid cert'); CA certificates that do
  not verify against themselves: ValueError('invalid ca'); key=: ValueError(
  'invalid key'); cert= (read only with key=): ValueError('invalid cert')
  (l.305-357, 397-406).
- A failing handshake raises through mbedtls_raise_error (l.89): a socket error
  as its own OSError (110, 104...), a TLS error as OSError(code, text) with
  mbedtls's negative code: -9984 verification failed, -30592 fatal alert from
  the peer, -29312 end of stream, -29184 not a TLS record. [inferred: whether
  the build has MBEDTLS_ERROR_C (the text) is not in the source; upstream
  MicroPython's ports have it.] The socket stays open; close it.
- The wrapped socket has read, readinto, readline, write, setblocking, close and
  getpeercert(binary_form) (l.547-561), nothing else: no recv, send,
  settimeout or getsocketsta. getpeercert(True) is the peer's DER certificate,
  getpeercert(False) raises NotImplementedError (l.411-422).
- read() after the peer's close_notify gives b''; an end without close_notify
  raises OSError(29312) (socket_read, l.435-450: errcode = -ret).
- close() frees the TLS state and closes the socket without a close_notify
  (socket_ioctl, l.499).
"""

import ssl as _ssl

from qpysim._runtime import current_device as _current_device

from . import _tls
from ._common import OSError as _OSError

_dev = _current_device()
_usocket = _dev.module("usocket")
_thread = _dev.module("_thread")


def _handshake_error(e):
    if e.verify is None and e.code in _tls.TEXTS:
        return _OSError(e.code, _tls.TEXTS[e.code])
    return _OSError(e.code, _tls.TEXTS.get(e.code, ""))


def _stream_error(e):
    # socket_read/socket_write hand -ret to the stream layer: a positive number.
    return _OSError(-e.code)


class _SSLSocket:
    __slots__ = ("_sock", "_tls", "_stream")

    def __init__(self, sock, engine):
        self._sock = sock
        self._tls = engine
        self._stream = _tls.Stream(engine, _stream_error)

    def __repr__(self):
        return "<ussl object at %x>" % (id(self) & 0xFFFFFFFF)

    def read(self, size=-1):
        return self._stream.read(size)

    def readinto(self, buf, nbytes=None):
        return self._stream.readinto(buf, nbytes)

    def readline(self, size=-1):
        return self._stream.readline(size)

    def write(self, buf, *limits):
        return self._stream.write(buf, *limits)

    def setblocking(self, flag):
        return self._sock.setblocking(flag)

    def close(self):
        if not self._tls.closed:
            self._tls.closed = True
            self._sock.close()

    def getpeercert(self, binary_form):
        if not binary_form:
            raise NotImplementedError()
        return self._tls.peer_der()

    # select.poll: the request goes down to the socket (the firmware does not
    # look at what mbedtls has buffered).
    def ioctl(self, request, arg):
        return self._sock.ioctl(request, arg)


def _context(server_side, ca, key, cert, server_hostname):
    ctx = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER if server_side else _ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = _ssl.CERT_NONE
    if ca is not None:
        ca = _tls.pem_text(ca, "ca")
        if not _tls.load_verify(ctx, ca):
            raise ValueError("invalid cert")
        if _tls.ca_problem(ca):
            raise ValueError("invalid ca")
        ctx.verify_mode = _ssl.CERT_REQUIRED
        ctx.check_hostname = bool(server_hostname) and not server_side
    if key is not None:
        # The firmware parses the key, then the certificate (l.337-350).
        key = _tls.pem_text(key, "key")
        cert = _tls.pem_text(cert, "cert") if cert is not None else ""
        problem = _tls.pair_problem(cert, key)
        if problem in ("key", "cert"):
            raise ValueError("invalid " + problem)
        if problem is None:
            _tls.load_chain(ctx, cert, key)
        # A key that does not match its certificate is taken as it is by mbedtls;
        # the handshake fails at the peer. CPython refuses to load the pair, so
        # the socket goes without a certificate and fails the same way.
    return ctx


def wrap_socket(sock, *, ca=None, key=None, cert=None, server_side=False, server_hostname=None,
                do_handshake=True):
    """Wrap a connected device socket in TLS; the handshake happens now unless
    do_handshake=False (then on the first read or write)."""
    if not isinstance(sock, _usocket.socket):
        raise _OSError("stream operation not supported")
    if server_hostname is not None and not isinstance(server_hostname, str):
        raise TypeError(f"server_hostname must be a str, not {type(server_hostname).__name__}")
    ctx = _context(bool(server_side), ca, key, cert, server_hostname)
    sni = server_hostname if server_hostname and not server_side else None
    engine = _tls.Engine(sock, ctx, bool(server_side), sni, _thread.allocate_lock)
    if do_handshake:
        try:
            engine.handshake()
        except _tls.WouldBlock:
            # A non-blocking socket: mbedtls_ssl_handshake is called until it is done.
            while True:
                try:
                    engine.handshake()
                    break
                except _tls.WouldBlock:
                    continue
                except _tls.TlsFailure as e:
                    raise _handshake_error(e) from None
        except _tls.TlsFailure as e:
            raise _handshake_error(e) from None
    return _SSLSocket(sock, engine)
