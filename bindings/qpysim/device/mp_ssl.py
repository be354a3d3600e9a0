"""ssl: micropython-lib's ssl (python-stdlib/ssl/ssl.py) on MicroPython's tls.

SSLContext(protocol) whose verify_mode starts at CERT_NONE (unlike tls's),
load_cert_chain(certfile, keyfile) and load_verify_locations(cafile=None,
cadata=None) taking file names or data, wrap_socket(sock, server_side=False,
do_handshake_on_connect=True, server_hostname=None); the module's
wrap_socket(sock, server_side=False, key=None, cert=None, cert_reqs=CERT_NONE,
cadata=None, server_hostname=None, do_handshake=True); and tls's constants.
"""

from qpysim._runtime import current_device as _current_device

_dev = _current_device()
_tls = _dev.module("tls")
_open = _dev.fs.open

PROTOCOL_TLS_CLIENT = _tls.PROTOCOL_TLS_CLIENT
PROTOCOL_TLS_SERVER = _tls.PROTOCOL_TLS_SERVER
CERT_NONE = _tls.CERT_NONE
CERT_OPTIONAL = _tls.CERT_OPTIONAL
CERT_REQUIRED = _tls.CERT_REQUIRED
MBEDTLS_VERSION = _tls.MBEDTLS_VERSION


def _data(value):
    if isinstance(value, str):
        with _open(value, "rb") as f:
            return f.read()
    return value


class SSLContext:
    def __init__(self, *args):
        self._context = _tls.SSLContext(*args)
        self._context.verify_mode = CERT_NONE

    @property
    def verify_mode(self):
        return self._context.verify_mode

    @verify_mode.setter
    def verify_mode(self, value):
        self._context.verify_mode = value

    def load_cert_chain(self, certfile, keyfile):
        self._context.load_cert_chain(_data(certfile), _data(keyfile))

    def load_verify_locations(self, cafile=None, cadata=None):
        if cafile:
            cadata = _data(cafile)
        self._context.load_verify_locations(cadata)

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    server_hostname=None):
        return self._context.wrap_socket(sock, server_side=server_side,
                                         do_handshake_on_connect=do_handshake_on_connect,
                                         server_hostname=server_hostname)


def wrap_socket(sock, server_side=False, key=None, cert=None, cert_reqs=CERT_NONE, cadata=None,
                server_hostname=None, do_handshake=True):
    context = SSLContext(PROTOCOL_TLS_SERVER if server_side else PROTOCOL_TLS_CLIENT)
    if cert or key:
        context.load_cert_chain(cert, key)
    if cadata:
        context.load_verify_locations(cadata=cadata)
    context.verify_mode = cert_reqs
    return context.wrap_socket(sock, server_side=server_side, do_handshake_on_connect=do_handshake,
                               server_hostname=server_hostname)
