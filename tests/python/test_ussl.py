"""ussl (QuecPython) and tls/ssl (MicroPython) as a device script sees them,
against virtual TLS services, offline and in virtual time."""

import textwrap

import pytest
from device_run import run_device

import qpysim

SCENARIO = """
hosts:
  tls.example.com:
    443:
      echo:
      tls: true
    80: echo
    444:
      script:
        - expect: "bye"
        - close
      tls: true
"""


def run(tmp_path, capsys, source, dialect=None, scenario=SCENARIO, **kw):
    (tmp_path / "s.yaml").write_text(scenario)
    ca = qpysim.Device(scenario=str(tmp_path / "s.yaml")).tls_ca()
    (tmp_path / "ca.pem").write_text(ca)
    options = {"dialect": dialect} if dialect else {}
    result, out, err, dev = run_device(tmp_path, capsys, textwrap.dedent(source),
                                       scenario=str(tmp_path / "s.yaml"), clock=None,
                                       timeout=600, **options, **kw)
    assert result.status == 0, (result, err)
    return out.splitlines()


PRELUDE = """
import usocket, ussl
def sock(port=443, timeout=None):
    s = usocket.socket()
    s.settimeout(timeout)
    s.connect(usocket.getaddrinfo("tls.example.com", port)[0][-1])
    return s
with open("/usr/ca.pem") as f:
    CA = f.read()
"""


def test_wrap_socket_talks_tls_and_has_the_firmwares_methods_only(tmp_path, capsys):
    lines = run(tmp_path, capsys, PRELUDE + """
t = ussl.wrap_socket(sock(), server_hostname="tls.example.com")
print(t.write("hello\\nworld\\n"), t.write(b"abcdef", 3), t.write(b"abcdef", 1, 2))
print(t.readline(), t.read(6), t.read(3))
print(sorted(n for n in dir(t) if not n.startswith("_")))
print(len(t.getpeercert(True)) > 100)
try:
    t.getpeercert(False)
except NotImplementedError:
    print("NotImplementedError")
print(repr(t).startswith("<ussl object at "))
t.close()
try:
    t.read(1)
except OSError as e:
    print(e)
""")
    assert lines == [
        "12 3 2",
        "b'hello\\n' b'world\\n' b'abc'",
        "['close', 'getpeercert', 'ioctl', 'read', 'readinto', 'readline', 'setblocking', "
        "'write']",
        "True",
        "NotImplementedError",
        "True",
        "[Errno 9] EBADF",
    ]


def test_the_certificate_is_checked_only_with_a_ca(tmp_path, capsys):
    lines = run(tmp_path, capsys, PRELUDE + """
import ubinascii
for kw in ({}, {"ca": CA}, {"ca": CA, "server_hostname": "tls.example.com"},
           {"ca": CA, "server_hostname": "evil.example.com"}):
    s = sock()
    try:
        t = ussl.wrap_socket(s, **kw)
        t.write(b"ok")
        print("ok", t.read(2))
        t.close()
    except OSError as e:
        print(e.args[0], e)
        s.close()
""")
    assert lines == ["ok b'ok'", "ok b'ok'", "ok b'ok'",
                     "-9984 (-9984, 'X509 - Certificate verification failed, e.g. CRL, CA or "
                     "signature check failed')"]


def test_bad_certificates_and_keys_are_the_firmwares_value_errors(tmp_path, capsys):
    lines = run(tmp_path, capsys, PRELUDE + """
s = sock()
for kw in ({"ca": "not a certificate"}, {"key": "not a key", "cert": CA},
           {"ca": CA.replace("MII", "MIJ", 1)}, {"ca": 5}):
    try:
        ussl.wrap_socket(s, **kw)
    except (ValueError, TypeError) as e:
        print(type(e).__name__, e)
try:
    ussl.wrap_socket(s, CA)
except TypeError:
    print("keyword-only")
try:
    ussl.wrap_socket("not a socket")
except OSError as e:
    print(e)
""")
    assert lines[0] == "ValueError invalid cert"
    assert lines[1] == "ValueError invalid key"
    assert lines[2].startswith("ValueError invalid c")
    assert lines[3].startswith("TypeError ca must be str or bytes")
    assert lines[4:] == ["keyword-only", "stream operation not supported"]


def test_a_server_that_is_not_tls_fails_the_handshake(tmp_path, capsys):
    lines = run(tmp_path, capsys, PRELUDE + """
s = sock(80, timeout=5)
s.write(b"x" * 8)  # the echo sends back what is not a TLS record
try:
    ussl.wrap_socket(s)
except OSError as e:
    print(e.args[0])
""")
    assert lines == ["-29184"]


def test_the_end_of_the_stream_with_and_without_close_notify(tmp_path, capsys):
    lines = run(tmp_path, capsys, PRELUDE + """
t = ussl.wrap_socket(sock(444))
t.write(b"bye")
print(t.read(10))   # the server sends close_notify, then FIN
""")
    assert lines == ["b''"]


def test_timeouts_and_non_blocking_reads_come_from_the_socket(tmp_path, capsys):
    lines = run(tmp_path, capsys, PRELUDE + """
import utime
t = ussl.wrap_socket(sock(443, timeout=2))
start = utime.ticks_ms()
try:
    t.read(1)
except OSError as e:
    print(e, utime.ticks_diff(utime.ticks_ms(), start))
t.setblocking(False)
print(t.read(1))
t.write(b"z")
t.setblocking(True)
print(t.read(1))
""")
    assert lines == ["[Errno 110] ETIMEDOUT 2000", "None", "b'z'"]


def test_the_ca_the_device_gets_is_the_seeds(tmp_path):
    (tmp_path / "s.yaml").write_text(SCENARIO)
    a = qpysim.Device(scenario=str(tmp_path / "s.yaml"), seed=7).tls_ca()
    b = qpysim.Device(scenario=str(tmp_path / "s.yaml"), seed=7).tls_ca()
    c = qpysim.Device(scenario=str(tmp_path / "s.yaml"), seed=8).tls_ca()
    assert a == b != c
    assert a.startswith("-----BEGIN CERTIFICATE-----")


def test_a_tls_run_replays_byte_for_byte(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(SCENARIO)
    (tmp_path / "main.py").write_text(textwrap.dedent(PRELUDE + """
t = ussl.wrap_socket(sock(), server_hostname="tls.example.com", ca=CA)
t.write(b"x" * 5000)
print(len(t.read(5000)))
"""))
    (tmp_path / "ca.pem").write_text(qpysim.Device(scenario=str(tmp_path / "s.yaml")).tls_ca())
    traces = []
    for _ in range(3):
        dev = qpysim.Device(scenario=str(tmp_path / "s.yaml"), trace_in_memory=True,
                            fs=str(tmp_path))
        assert dev.run(str(tmp_path / "main.py"), timeout=60).status == 0
        traces.append(dev.modem.trace_lines())
    assert traces[0] == traces[1] == traces[2]
    assert any('"tls"' in line for line in traces[0])


# ---------------------------------------------------------------- MicroPython's tls and ssl

def test_micropython_tls_and_ssl(tmp_path, capsys):
    lines = run(tmp_path, capsys, """
import socket, ssl, tls
with open("/usr/ca.pem") as f:
    CA = f.read()
def sock():
    s = socket.socket()
    s.connect(socket.getaddrinfo("tls.example.com", 443)[0][-1])
    return s
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
print(ctx.verify_mode == tls.CERT_REQUIRED)
try:
    ctx.wrap_socket(sock())
except ValueError as e:
    print(e)
ctx.load_verify_locations(CA)
t = ctx.wrap_socket(sock(), server_hostname="tls.example.com")
t.write(b"hi")
print(t.read(2), t.cipher()[1])
try:
    ctx.wrap_socket(sock(), server_hostname="other.example.com")
except ValueError as e:
    print(repr(str(e)))
t = ssl.wrap_socket(sock(), server_hostname="tls.example.com")
t.write(b"plain ssl")
print(t.read(9))
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
print(c.verify_mode == ssl.CERT_NONE)
c.load_verify_locations(cafile="/usr/ca.pem")
c.verify_mode = ssl.CERT_REQUIRED
print(c.wrap_socket(sock(), server_hostname="tls.example.com").write(b"x"))
""", dialect="micropython")
    assert lines == [
        "True",
        "CERT_REQUIRED requires server_hostname",
        "b'hi' TLSv1.3",
        "'\\nThe certificate Common Name (CN) does not match with the expected CN\\n'",
        "b'plain ssl'",
        "True",
        "1",
    ]


def test_quecpython_has_no_tls_module_and_micropython_no_wrap_socket_keywords_of_quectel(
        tmp_path, capsys):
    lines = run(tmp_path, capsys, """
try:
    import tls
except ImportError:
    print("no tls")
import ssl, ussl
print(ssl is ussl)
""")
    assert lines == ["no tls", "True"]
