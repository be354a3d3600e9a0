"""tls: MicroPython's TLS module (`import tls`; micropython, rtthread, esp32).

The TLS is CPython's over memory buffers (qpysim.device._tls), through the
device socket. Facts from MicroPython's extmod/modtls_mbedtls.c:
- PROTOCOL_TLS_CLIENT 0, PROTOCOL_TLS_SERVER 1, CERT_NONE 0, CERT_OPTIONAL 1,
  CERT_REQUIRED 2, MBEDTLS_VERSION.
- SSLContext(protocol): verify_mode is CERT_REQUIRED for a client, CERT_NONE
  for a server; verify_callback; load_cert_chain(cert, key) and
  load_verify_locations(cadata) take the data (ValueError 'invalid key' /
  'invalid cert'); get_ciphers(); set_ciphers(names); wrap_socket(sock, *,
  server_side=False, do_handshake_on_connect=True, server_hostname=None).
- A client that verifies needs server_hostname: ValueError('CERT_REQUIRED
  requires server_hostname'). A certificate that fails verification raises
  ValueError with mbedtls_x509_crt_verify_info's text; other TLS errors
  OSError(code, text) with mbedtls's negative code.
- SSLSocket: read, readinto, readline, write, setblocking, close,
  getpeercert(binary_form), cipher() -> (suite, version); select.poll sees
  what is buffered.
"""

import ssl as _ssl

from qpysim._runtime import current_device as _current_device

from . import _tls
from ._common import OSError as _OSError

_dev = _current_device()
_usocket = _dev.module("usocket")
_thread = _dev.module("_thread")

MBEDTLS_VERSION = "Mbed TLS 3.5.1"
PROTOCOL_TLS_CLIENT = 0
PROTOCOL_TLS_SERVER = 1
CERT_NONE = 0
CERT_OPTIONAL = 1
CERT_REQUIRED = 2
_MODES = {CERT_NONE: _ssl.CERT_NONE, CERT_OPTIONAL: _ssl.CERT_OPTIONAL,
          CERT_REQUIRED: _ssl.CERT_REQUIRED}


def _fail(e):
    if e.verify is not None:
        return ValueError("\n" + _tls.VERIFY_INFO[e.verify] + "\n")
    return _OSError(e.code, _tls.TEXTS.get(e.code, ""))


class SSLSocket:
    def __init__(self, sock, engine):
        self._sock = sock
        self._tls = engine
        self._stream = _tls.Stream(engine, _fail)

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

    def cipher(self):
        return self._tls.version_and_cipher()

    def ioctl(self, request, arg):
        if self._tls.closed:
            return 32  # POLLNVAL
        ready = self._sock.ioctl(request, arg)
        if request == 3 and arg & 1 and self._tls.pending():
            ready |= 1  # decrypted bytes are waiting
        return ready


class SSLContext:
    def __init__(self, protocol):
        if protocol not in (PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER):
            raise ValueError("protocol must be PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER")
        self._server = protocol == PROTOCOL_TLS_SERVER
        self._ctx = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER if self._server
                                    else _ssl.PROTOCOL_TLS_CLIENT)
        self._ctx.check_hostname = False
        self.verify_mode = CERT_NONE if self._server else CERT_REQUIRED
        self.verify_callback = None

    @property
    def verify_mode(self):
        return self._mode

    @verify_mode.setter
    def verify_mode(self, mode):
        if mode not in _MODES:
            raise ValueError("verify_mode must be CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED")
        self._mode = mode

    def load_cert_chain(self, cert, key):
        cert = _tls.pem_text(cert, "cert")
        key = _tls.pem_text(key, "key")
        problem = _tls.pair_problem(cert, key)
        if problem in ("key", "cert"):
            raise ValueError("invalid " + problem)
        if problem is None:
            _tls.load_chain(self._ctx, cert, key)

    def load_verify_locations(self, cadata):
        if not _tls.load_verify(self._ctx, _tls.pem_text(cadata, "cadata")):
            raise ValueError("invalid cert")

    def get_ciphers(self):
        return [c["name"] for c in self._ctx.get_ciphers()]

    def set_ciphers(self, ciphersuite):
        names = list(ciphersuite)
        if not names:
            raise _OSError(-0x7100, "SSL - Bad input parameters to function")
        try:
            self._ctx.set_ciphers(":".join(names))
        except _ssl.SSLError:
            raise _OSError(-0x7100, "SSL - Bad input parameters to function") from None

    def wrap_socket(self, sock, *, server_side=False, do_handshake_on_connect=True,
                    server_hostname=None):
        if not isinstance(sock, _usocket.socket):
            raise _OSError("stream operation not supported")
        if server_hostname is None and self._mode == CERT_REQUIRED and not server_side:
            raise ValueError("CERT_REQUIRED requires server_hostname")
        self._ctx.verify_mode = _MODES[self._mode] if not self._server else _ssl.CERT_NONE
        self._ctx.check_hostname = bool(server_hostname) and self._mode != CERT_NONE \
            and not server_side
        sni = server_hostname if not server_side else None
        engine = _tls.Engine(sock, self._ctx, bool(server_side), sni, _thread.allocate_lock)
        if do_handshake_on_connect:
            while True:
                try:
                    engine.handshake()
                    break
                except _tls.WouldBlock:
                    continue
                except _tls.TlsFailure as e:
                    raise _fail(e) from None
        return SSLSocket(sock, engine)
