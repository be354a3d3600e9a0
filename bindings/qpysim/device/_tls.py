"""The TLS engine under ussl (QuecPython) and tls/ssl (MicroPython): CPython's
ssl over memory buffers, on top of a device socket. Not itself a device module.

The ciphertext crosses the emulated link through the device socket's own
recv/write, so timeouts, faults, the trace and the module's buffers apply to the
handshake and every record. Like mbedtls on the module, the engine reads whole
TLS records from the socket (a 5-byte header, then the record), so what is left
in the socket after a read is what the module would have left.

Errors, as mbedtls reports them through the firmware (modussl_mbedtls.c):
socket errors come out as the socket's own OSError (110 on a timeout, 104 on a
reset); a socket that would block makes read() return None; TLS failures are
mbedtls error codes, which each flavour (ussl, tls) turns into its exception.
"""

import os as _os
import ssl as _ssl
import tempfile as _tempfile

from qpysim import _core

from ._common import OSError as _OSError

# mbedtls error codes (mbedtls/ssl.h, mbedtls/x509.h) and their mbedtls_strerror texts.
ERR_VERIFY = -0x2700   # MBEDTLS_ERR_X509_CERT_VERIFY_FAILED
ERR_ALERT = -0x7780    # MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE
ERR_EOF = -0x7280      # MBEDTLS_ERR_SSL_CONN_EOF
ERR_RECORD = -0x7200   # MBEDTLS_ERR_SSL_INVALID_RECORD
ERR_INTERNAL = -0x6C00  # MBEDTLS_ERR_SSL_INTERNAL_ERROR
TEXTS = {
    ERR_VERIFY: "X509 - Certificate verification failed, e.g. CRL, CA or signature check failed",
    ERR_ALERT: "SSL - A fatal alert message was received from our peer",
    ERR_EOF: "SSL - The connection indicated an EOF",
    ERR_RECORD: "SSL - An invalid SSL record was received",
    ERR_INTERNAL: "SSL - Internal error (eg, unexpected failure in lower-level module)",
}
# mbedtls_x509_crt_verify_info() lines for the verification flags qpysim can tell apart.
VERIFY_INFO = {
    "expired": "The certificate validity has expired",
    "future": "The certificate validity starts in the future",
    "cn": "The certificate Common Name (CN) does not match with the expected CN",
    "trust": "The certificate is not correctly signed by the trusted CA",
}
# A TLS record: 5-byte header, then at most 2^14 bytes plus expansion (RFC 8446 5.2).
_HEADER = 5
_MAX_RECORD = 16384 + 2048
_EAGAIN = 11


class TlsFailure(Exception):
    """A TLS failure: code is an mbedtls error, verify the failed check ('cn'...)."""

    def __init__(self, code, verify=None):
        super().__init__(code)
        self.code = code
        self.verify = verify


class WouldBlock(Exception):
    """The device socket is non-blocking and has nothing (more) for now."""


def pem_text(value, what):
    """ca=/cert=/key= as the firmware takes them: str or bytes (PEM, or DER bytes)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def _pem_or_der(data):
    """PEM text for CPython's cadata (which takes bytes as DER)."""
    if isinstance(data, str):
        return data
    if b"-----BEGIN" in data:
        return data.decode("ascii", "replace")
    return _ssl.DER_cert_to_PEM_cert(data)


def load_verify(ctx, ca):
    """Load CA certificates; False if they cannot be parsed."""
    try:
        ctx.load_verify_locations(cadata=_pem_or_der(ca))
    except (_ssl.SSLError, ValueError):
        return False
    return True


def ca_problem(ca):
    """Why mbedtls would refuse these CA certificates when checked against
    themselves (modussl_mbedtls.c: 'invalid ca'), or None. A validity that
    starts in the future is accepted, as the firmware's my_verify() does."""
    text = ca if isinstance(ca, str) else _pem_or_der(ca)
    return _core.tls_check_ca(text.encode() if isinstance(text, str) else text)


def pair_problem(cert, key):
    """'key' or 'cert' (whichever does not parse, the key first), 'mismatch', or None."""
    def raw(x):
        return x.encode() if isinstance(x, str) else bytes(x)
    return _core.tls_check_pair(raw(cert), raw(key))


def load_chain(ctx, cert, key):
    """Our own certificate and key from memory (CPython reads them from files)."""
    fd, path = _tempfile.mkstemp(prefix="qpysim-tls-", suffix=".pem")
    try:
        with _os.fdopen(fd, "wb") as f:
            for part in (key, cert):
                f.write(part.encode() if isinstance(part, str) else part)
                f.write(b"\n")
        ctx.load_cert_chain(path)
    finally:
        _os.unlink(path)


def _failure(e):
    """mbedtls's view of a CPython ssl exception."""
    if isinstance(e, _ssl.SSLCertVerificationError):
        code = getattr(e, "verify_code", 0)
        kind = {10: "expired", 9: "future", 62: "cn"}.get(code, "trust")
        return TlsFailure(ERR_VERIFY, kind)
    if isinstance(e, _ssl.SSLEOFError):
        return TlsFailure(ERR_EOF)
    reason = getattr(e, "reason", None) or ""
    if "ALERT" in reason:
        return TlsFailure(ERR_ALERT)
    if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
                  "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "BAD_RECORD_TYPE",
                  "DECRYPTION_FAILED_OR_BAD_RECORD_MAC", "BAD_RECORD_MAC"):
        return TlsFailure(ERR_RECORD)
    return TlsFailure(ERR_INTERNAL)


class Engine:
    """One TLS connection over a device socket (client or server side)."""

    def __init__(self, sock, ctx, server_side, server_hostname, lock_factory):
        self.sock = sock
        self._in = _ssl.MemoryBIO()
        self._out = _ssl.MemoryBIO()
        self._obj = ctx.wrap_bio(self._in, self._out, server_side=server_side,
                                 server_hostname=server_hostname)
        self._partial = b""
        self._eof = False        # the socket reached its end
        self.closed = False
        # Device locks (they wait in device time): one writer flushes at a time
        # so records leave in order, one reader assembles records at a time.
        self._wlock = lock_factory()
        self._rlock = lock_factory()

    # ---- the wire
    def flush(self):
        with self._wlock:
            data = self._out.read()
            while data:
                n = self.sock.write(data)
                if n is None:        # non-blocking and full: mbedtls retries (WANT_WRITE)
                    continue
                data = data[n:]

    def _recv(self, n):
        try:
            return self.sock.recv(n)
        except OSError as e:
            if e.args and e.args[0] == _EAGAIN:
                raise WouldBlock() from None
            raise

    def _pull_record(self):
        """Move one whole record from the socket into OpenSSL, as mbedtls reads."""
        with self._rlock:
            if self._eof:
                self._in.write_eof()
                return
            while True:
                need = _HEADER
                if len(self._partial) >= _HEADER:
                    length = int.from_bytes(self._partial[3:5], "big")
                    if self._partial[0] not in (20, 21, 22, 23) or self._partial[1] != 3 \
                            or length > _MAX_RECORD:
                        # Not TLS: mbedtls gives up on the header alone.
                        self._in.write(self._partial)
                        self._partial = b""
                        return
                    need = _HEADER + length
                if len(self._partial) >= need:
                    self._in.write(self._partial[:need])
                    self._partial = self._partial[need:]
                    return
                chunk = self._recv(need - len(self._partial))
                if not chunk:
                    self._eof = True
                    if self._partial:
                        self._in.write(self._partial)
                        self._partial = b""
                    self._in.write_eof()
                    return
                self._partial += chunk

    def _run(self, op):
        """Call an SSLObject operation, feeding it records until it completes."""
        while True:
            try:
                result = op()
            except _ssl.SSLWantReadError:
                self.flush()
                self._pull_record()
                continue
            except _ssl.SSLZeroReturnError:
                self.flush()
                return b""
            except _ssl.SSLError as e:
                self.flush()  # an alert, if OpenSSL made one
                raise _failure(e) from None
            self.flush()
            return result

    # ---- what the flavours call
    def handshake(self):
        self._run(self._obj.do_handshake)

    def read_some(self, n):
        """Up to n plaintext bytes (b'' at the end of the stream). Raises
        WouldBlock, OSError from the socket, or TlsFailure."""
        return self._run(lambda: self._obj.read(n))

    def write_all(self, data):
        view = memoryview(data)
        while view:
            n = self._run(lambda: self._obj.write(view))
            view = view[n:]

    def pending(self):
        return self._obj.pending()

    def peer_der(self):
        try:
            return self._obj.getpeercert(True)
        except ValueError:
            return None

    def version_and_cipher(self):
        c = self._obj.cipher()
        return (c[0], c[1]) if c else None


def buffer_bytes(buf, what="write()"):
    """A bytes-like object or str (as UTF-8), as MicroPython's streams take them."""
    if isinstance(buf, str):
        return buf.encode()
    try:
        return memoryview(buf).cast("B").tobytes()
    except TypeError:
        raise TypeError(f"{what}: object with buffer protocol required, "
                        f"not {type(buf).__name__}") from None


class Stream:
    """MicroPython's stream methods over an Engine: read, readinto, readline,
    write, with the firmware's error mapping supplied by `fail`."""

    def __init__(self, engine, fail):
        self._tls = engine
        self._fail = fail

    def _some(self, n):
        """b'...', b'' at end of stream, or None when a non-blocking socket has nothing."""
        if self._tls.closed:
            raise _OSError(9)
        try:
            return self._tls.read_some(n)
        except WouldBlock:
            return None
        except TlsFailure as e:
            raise self._fail(e) from None

    def read(self, size=-1):
        if size is None or size < 0:
            out = b""
            while True:
                chunk = self._some(4096)
                if chunk is None:
                    return out or None
                if not chunk:
                    return out
                out += chunk
        out = b""
        while len(out) < size:
            chunk = self._some(size - len(out))
            if chunk is None:
                return out if out else None
            if not chunk:
                break
            out += chunk
        return out

    def readinto(self, buf, nbytes=None):
        view = memoryview(buf).cast("B")
        n = len(view) if nbytes is None else min(nbytes, len(view))
        data = self.read(n)
        if data is None:
            return None
        view[: len(data)] = data
        return len(data)

    def readline(self, size=-1):
        line = b""
        while size is None or size < 0 or len(line) < size:
            ch = self._some(1)
            if ch is None:
                return line if line else None
            if not ch:
                break
            line += ch
            if ch == b"\n":
                break
        return line

    def write(self, buf, *limits):
        data = buffer_bytes(buf)
        if len(limits) == 1:
            data = data[: limits[0]]
        elif len(limits) == 2:
            data = data[limits[0]: limits[0] + limits[1]]
        elif limits:
            raise TypeError("write() takes at most 3 arguments")
        if self._tls.closed:
            raise _OSError(9)
        try:
            self._tls.write_all(data)
        except WouldBlock:
            return None
        except TlsFailure as e:
            raise self._fail(e) from None
        return len(data)
