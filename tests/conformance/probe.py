# The conformance probe: one device script, run unchanged under every dialect and
# module model. It prints one JSON object of what a script can observe; the test
# compares it with the hand-written facts in facts.py.
#
# It needs the scenario in test_conformance.py (echo.test, rst.test, quiet.test,
# dark.test) and a client that connects to port 6001 half a second in.
import usocket
import utime

try:
    import ujson as json
except ImportError:
    import json

CANDIDATES = (
    "AF_INET", "AF_INET6", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "IPPROTO_IP", "IPPROTO_ICMP",
    "IPPROTO_TCP", "IPPROTO_UDP", "IPPROTO_TCP_SER", "TCP_CUSTOMIZE_PORT", "IPPROTO_SEC",
    "SOL_SOCKET", "SO_REUSEADDR", "SO_BROADCAST", "SO_KEEPALIVE", "SO_LINGER", "SO_ACCEPTCONN",
    "TCP_KEEPALIVE", "TCP_NODELAY", "IP_ADD_MEMBERSHIP", "MSG_PEEK", "MSG_DONTWAIT",
)
MODULES = ("usocket", "socket", "uselect", "select", "uerrno", "errno", "utime", "uos",
           "checkNet", "dataCall", "net", "sim", "modem", "misc", "osTimer", "log", "sys_bus")
METHODS = ("getsocketsta", "getsockopt", "makefile", "read", "readinto", "readline", "write",
           "fileno", "setblocking", "settimeout", "recvfrom", "sendto", "sendall")

obs = {}


def outcome(fn):
    """What a call does: 'ok', the errno it raises, or the name of another exception."""
    try:
        r = fn()
    except OSError as e:
        return e.args[0]
    except Exception as e:  # noqa: BLE001  (the probe reports, it does not judge)
        return type(e).__name__
    return "None" if r is None else ["returned", repr(r)]


def timed(fn):
    """(outcome, device milliseconds it took, to 10 ms)."""
    t0 = utime.ticks_ms()
    o = outcome(fn)
    return [o, (utime.ticks_diff(utime.ticks_ms(), t0) + 5) // 10 * 10]


def state(s):
    return s.getsocketsta() if hasattr(s, "getsocketsta") else None


def connected(host, port, timeout=None):
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(usocket.getaddrinfo(host, port)[0][-1])
    return s


# -- what the module exports
obs["constants"] = {n: getattr(usocket, n) for n in CANDIDATES if hasattr(usocket, n)}
have = []
for name in MODULES:
    try:
        __import__(name)
        have.append(name)
    except ImportError:
        pass
obs["modules"] = have
probe = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
obs["methods"] = [m for m in METHODS if hasattr(probe, m)]
obs["inet_ntop"] = outcome(lambda: usocket.inet_ntop(usocket.AF_INET, b"\x7f\x00\x00\x01"))
obs["inet_pton"] = outcome(lambda: usocket.inet_pton(usocket.AF_INET, "10.1.2.3"))
obs["fd_first"] = probe.fileno()
obs["state_new"] = state(probe)
probe.close()
obs["fd_after_close"] = probe.fileno()
obs["state_closed"] = state(probe)
obs["send_after_close"] = outcome(lambda: probe.send(b"x"))

# -- a server: listen, accept the client that connects at 0.5 s
srv = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
obs["listen_no_backlog"] = outcome(lambda: srv.listen())
srv.close()
srv = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
srv.bind(("", 6001))
srv.listen(1)
obs["state_listen"] = state(srv)
srv.settimeout(5)
got = srv.accept()
obs["accept_len"] = len(got)
obs["accept_address"] = "tuple" if isinstance(got[1], tuple) else type(got[1]).__name__
obs["accept_state"] = state(got[0])
got[0].close()
srv.close()

# -- DNS
answers = usocket.getaddrinfo("echo.test", 7)
obs["gai"] = [[a[0], a[1], a[2], a[3], list(a[4])] for a in answers]
obs["gai_dgram_type"] = outcome(lambda: usocket.getaddrinfo("echo.test", 7, 0, usocket.SOCK_DGRAM)[0][1])
obs["gai_missing"] = outcome(lambda: usocket.getaddrinfo("missing.test", 80))

# -- connection errors
obs["refused"] = timed(lambda: connected("echo.test", 1, timeout=5))
obs["blackhole_5s"] = timed(lambda: connected("dark.test", 80, timeout=5))
obs["blackhole_half_s"] = timed(lambda: connected("dark.test", 80, timeout=0.5))
s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
s.setblocking(False)
obs["nonblocking_connect"] = outcome(lambda: s.connect(usocket.getaddrinfo("echo.test", 7)[0][-1]))
s.close()
s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
obs["recv_unconnected"] = outcome(lambda: s.recv(10))
s.close()

# -- an established connection
s = connected("echo.test", 7, timeout=5)
obs["state_established"] = state(s)
obs["connect_again"] = outcome(lambda: s.connect(usocket.getaddrinfo("echo.test", 7)[0][-1]))
obs["send"] = outcome(lambda: s.send(b"hello"))
utime.sleep_ms(500)
obs["echo"] = outcome(lambda: s.recv(100))
s.setblocking(False)
obs["nonblocking_recv"] = outcome(lambda: s.recv(100))
obs["nonblocking_read"] = outcome(lambda: s.read(100))
obs["unknown_option"] = outcome(lambda: s.setsockopt(usocket.SOL_SOCKET, 0x7777, 1))
s.close()

q = connected("quiet.test", 80, timeout=5)
q.settimeout(2)
obs["recv_timeout_2s"] = timed(lambda: q.recv(10))
q.settimeout(0.05)
obs["recv_timeout_50ms"] = timed(lambda: q.recv(10))
q.close()

r = connected("rst.test", 80, timeout=5)
r.settimeout(5)
obs["reset"] = outcome(lambda: r.recv(10))
obs["state_reset"] = state(r)
r.close()

f = connected("fin.test", 80, timeout=5)
f.settimeout(5)
utime.sleep_ms(500)
obs["fin"] = [outcome(lambda: f.recv(10)), outcome(lambda: f.recv(10)),
              outcome(lambda: f.recv(10)), state(f)]
f.close()

# -- makefile
m = connected("echo.test", 7, timeout=5)
f = m.makefile("rwb")
obs["makefile_is_socket"] = f is m
f.write(b"line\n")
obs["makefile_readline"] = outcome(lambda: f.readline())
f.close()
obs["makefile_close_closes"] = m.fileno() == -1 or state(m) == -1
m.close()

# -- the socket table
held = []
err = None
while len(held) < 100:
    try:
        held.append(usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM))
    except OSError as e:
        err = e.args[0]
        break
obs["table"] = [len(held), err]
for x in held:
    x.close()

# -- identity
try:
    import uos
    obs["uname"] = list(uos.uname())
except ImportError:
    obs["uname"] = None
try:
    import modem
    obs["dev_model"] = modem.getDevModel()
except ImportError:
    obs["dev_model"] = None

print("OBS " + json.dumps(obs))
