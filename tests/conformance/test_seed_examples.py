"""Each seed's own examples, run under its dialect.

REPL transcripts are replayed statement by statement as the device's REPL would
(compile mode 'single', so bare expressions print their repr), and the whole
output must equal the transcript. The transcripts are copied from the seeds
(../shared/seeds), with the seed named on each.
"""

import textwrap

from run_probe import run_script


def transcript_script(transcript: str, prelude: str = "", epilogue: str = "") -> str:
    """A device script that replays the '>>> ' lines of a transcript and echoes them."""
    statements = [ln[4:] for ln in textwrap.dedent(transcript).splitlines()
                  if ln.startswith(">>> ") and ln[4:].strip()]
    return (textwrap.dedent(prelude) + "\nfor __src in %r:\n" % (statements,) +
            "    print('>>> ' + __src.rstrip())\n"
            "    exec(compile(__src, '<stdin>', 'single'))\n" + textwrap.dedent(epilogue))


def expected_output(transcript: str) -> list:
    return [ln.rstrip() for ln in textwrap.dedent(transcript).splitlines()
            if ln.strip() and ln.strip() != ">>>"]


# ---------------------------------------------------------------- seeds 002, 004

# Seed 002 (RT-Thread docs, "TCP Server example"); seed 004 has the same text.
RT_SERVER = """
>>> import usocket
>>> s = usocket.socket(usocket.AF_INET,usocket.SOCK_STREAM)  # Create STREAM TCP socket
>>> s.bind(('192.168.12.32', 6001))
>>> s.listen(5)
>>> s.setblocking(True)
>>> sock,addr=s.accept()
>>> sock.recv(10)
b'rt-thread\\r'
>>> s.close()
"""

# The board's address in the example, as a private APN would give it.
RT_BOARD = """
pdp:
  - {id: 1, address: 192.168.12.32}
"""


def test_seed_002_004_tcp_server_example(tmp_path):
    seen = []

    def pc_client(conn):
        seen.append(conn)
        conn.sendall(b"rt-thread\r\n")
        conn.settimeout(5)
        conn.recv(1)

    def setup(dev):
        dev.client(6001, pc_client, after=1.0)

    out = run_script(tmp_path, transcript_script(RT_SERVER), RT_BOARD, setup, dialect="rtthread")
    assert out == expected_output(RT_SERVER)
    assert len(seen) == 1


# Seeds 002/004 "TCP Client example": the PC at 192.168.10.110 listens on 6000.
RT_CLIENT = """
>>> import usocket
>>> s = usocket.socket(usocket.AF_INET,usocket.SOCK_STREAM)
>>> s.connect(("192.168.10.110",6000))
>>> s.send("micropython")
11
>>> s.close()
"""


def test_seed_002_004_tcp_client_example(tmp_path):
    got = []

    def pc_server(conn):
        conn.settimeout(30)
        got.append(conn.recv_exactly(11))

    def setup(dev):
        dev.serve("192.168.10.110", 6000, pc_server)

    # The board stays up a second after the transcript, for the PC to read.
    script = transcript_script(RT_CLIENT, epilogue="import utime\nutime.sleep(1)\n")
    out = run_script(tmp_path, script, "{}\n", setup, dialect="rtthread")
    assert out == expected_output(RT_CLIENT)
    assert got == [b"micropython"]


WEB = """
hosts:
  www.micropython.org:
    80:
      http:
        - {method: GET, path: /, body: "MicroPython"}
"""


def test_seed_002_004_web_site_example(tmp_path):
    # Seeds 002/004 "connect to a web site example" (they leave out the import).
    source = textwrap.dedent("""
        import socket
        s = socket.socket()
        s.connect(socket.getaddrinfo('www.micropython.org', 80)[0][-1])
        s.send(b'GET / HTTP/1.0\\r\\nHost: www.micropython.org\\r\\n\\r\\n')
        print(s.readline())
        s.close()
    """)
    for dialect in ("rtthread", "micropython"):
        out = run_script(tmp_path, source, WEB, dialect=dialect)
        assert out == ["b'HTTP/1.1 200 OK\\r\\n'"], dialect


# ---------------------------------------------------------------- seed 001

# Seed 001 (MicroPython socket docs): inet_ntop / inet_pton.
MP_INET = """
>>> import socket
>>> socket.inet_ntop(socket.AF_INET, b"\\x7f\\0\\0\\1")
'127.0.0.1'
>>> socket.inet_pton(socket.AF_INET, "1.2.3.4")
b'\\x01\\x02\\x03\\x04'
"""


def test_seed_001_inet_ntop_pton(tmp_path):
    out = run_script(tmp_path, transcript_script(MP_INET), "{}\n", dialect="micropython")
    assert out == expected_output(MP_INET)


def test_seed_001_getaddrinfo_connect_examples(tmp_path):
    source = textwrap.dedent("""
        import socket
        from socket import SOCK_STREAM
        # Seed 001: "the following example shows how to connect to a given url"
        s = socket.socket()
        s.connect(socket.getaddrinfo('www.micropython.org', 80)[0][-1])
        s.close()
        # "Recommended use of filtering params"
        s = socket.socket()
        s.connect(socket.getaddrinfo('www.micropython.org', 80, 0, SOCK_STREAM)[0][-1])
        s.close()
        # "even for numeric addresses, getaddrinfo() must be used"
        print(socket.getaddrinfo('127.0.0.1', 80)[0][-1])
        # getaddrinfo errors: a negative code in args[0], no gaierror
        try:
            socket.getaddrinfo('no-such-host.test', 80)
        except OSError as e:
            print('gai', e.args[0] < 0, hasattr(socket, 'gaierror'))
    """)
    out = run_script(tmp_path, source, WEB, dialect="micropython")
    assert out == ["('127.0.0.1', 80)", "gai True False"]


def test_seed_001_poll_instead_of_settimeout(tmp_path):
    # Seed 001, settimeout(): "Instead use: poller = select.poll() ..."
    source = textwrap.dedent("""
        import select, socket, time
        s = socket.socket()
        s.connect(socket.getaddrinfo('www.micropython.org', 80)[0][-1])
        poller = select.poll()
        poller.register(s, select.POLLIN)
        t0 = time.ticks_ms()
        res = poller.poll(1000)  # time in milliseconds
        if not res:
            print('timed out after', time.ticks_diff(time.ticks_ms(), t0), 'ms')
        s.write(b'GET / HTTP/1.0\\r\\n\\r\\n')
        res = poller.poll(1000)
        print(res[0][0] is s, res[0][1] & select.POLLIN)
        s.close()
    """)
    out = run_script(tmp_path, source, WEB, dialect="micropython")
    assert out == ["timed out after 1000 ms", "True 1"]


# ---------------------------------------------------------------- seed 003

# Seed 003's constants, as its REPL would show them.
ESP_CONSTANTS = """
>>> import usocket as socket
>>> socket.AF_INET, socket.AF_INET6
(2, 10)
>>> socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW, socket.SO_REUSEADDR
(1, 2, 3, 4)
>>> socket.IPPROTO_TCP, socket.IPPROTO_UDP
(6, 17)
"""


def test_seed_003_constants(tmp_path):
    out = run_script(tmp_path, transcript_script(ESP_CONSTANTS), "{}\n", dialect="esp32")
    assert out == expected_output(ESP_CONSTANTS)


def test_seed_003_api_walkthrough(tmp_path):
    # Every call seed 003 documents, in its order, with its argument shapes.
    source = textwrap.dedent("""
        import usocket
        ai = usocket.getaddrinfo('echo.test', 7)
        print(len(ai[0]), ai[0][0] == usocket.AF_INET)
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM, usocket.IPPROTO_TCP)
        s.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)
        s.settimeout(5)
        s.connect(ai[0][-1])
        print(s.send(b'abc'), s.recv(3))
        s.sendall(b'line one\\nline two\\n')
        print(s.readline(), s.read(9))
        s.write(b'12345')
        buf = bytearray(5)
        print(s.readinto(buf), bytes(buf))
        s.setblocking(False)
        print(s.read(10))
        s.close()
        u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM, usocket.IPPROTO_UDP)
        u.settimeout(5)
        print(u.sendto(b'ping', usocket.getaddrinfo('echo.test', 7)[0][-1]))
        data, addr = u.recvfrom(64)
        print(data, addr[1])
        u.close()
        srv = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
        srv.bind(['0.0.0.0', 6002])      # "a list or a tuple"
        srv.listen()                     # "if not given, a reasonable default"
        srv.settimeout(10)
        conn, address = srv.accept()     # "(conn, address)"
        print(type(address).__name__, conn.recv(5))
        conn.close()
        srv.close()
        try:
            s.send(b'x')
        except OSError as e:
            print('closed', e.args[0])
    """)
    scenario = """
    hosts:
      echo.test:
        7: echo
        7/udp: echo
    """

    def pc_client(conn):
        conn.sendall(b"hello")
        conn.settimeout(5)
        conn.recv(1)

    out = run_script(tmp_path, source, scenario,
                     lambda dev: dev.client(6002, pc_client, after=1.0), dialect="esp32")
    assert out == ["5 True", "3 b'abc'", "b'line one\\n' b'line two\\n'", "5 b'12345'",
                   "None", "4", "b'ping' 7", "tuple b'hello'", "closed 9"]
