"""Dialect-specific socket features a device script observes: recv flags,
SO_LINGER, getsockopt, strict setsockopt, Device.client and fixed PDP addresses."""

import socket as host_socket
import sys
import textwrap

import pytest
from device_run import run_device

import qpysim

ECHO = """
hosts:
  echo.test:
    7: echo
"""


def run(tmp_path, capsys, source, dialect, scenario=ECHO, setup=None, **kw):
    (tmp_path / "s.yaml").write_text(scenario)
    result, out, err, dev = run_device(tmp_path, capsys, source, clock=None, dialect=dialect,
                                       scenario=str(tmp_path / "s.yaml"), setup=setup, **kw)
    assert result.status == 0, err
    return out.splitlines()


def test_msg_peek_leaves_the_data_and_msg_dontwait_does_not_wait(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        import socket, time
        s = socket.socket()
        s.settimeout(5)
        s.connect(socket.getaddrinfo('echo.test', 7)[0][-1])
        try:
            s.recv(10, socket.MSG_DONTWAIT)
        except OSError as e:
            print('dontwait', e.args[0])
        s.send(b'abcdef')
        time.sleep(1)
        print(s.recv(3, socket.MSG_PEEK), s.recv(3, socket.MSG_PEEK))
        print(s.recv(10))
        try:
            s.recv(10, 0x4000)
        except OSError as e:
            print('bad flag', e.args[0])
        s.close()
    """, "micropython")
    assert out == ["dontwait 11", "b'abc' b'abc'", "b'abcdef'", "bad flag 22"]


def test_recv_takes_no_flags_on_quecpython(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        import usocket
        s = usocket.socket()
        try:
            s.recv(10, 2)
        except TypeError:
            print('TypeError')
        print(hasattr(usocket, 'MSG_PEEK'))
    """, "quecpython")
    assert out == ["TypeError", "False"]


def test_so_linger_zero_makes_close_reset_the_connection(tmp_path, capsys):
    seen = []

    def peer(conn):
        conn.settimeout(30)
        try:
            seen.append(conn.recv(10))
        except OSError as e:
            seen.append(e.args[0])

    source = """
        import socket, struct, time
        s = socket.socket()
        s.settimeout(5)
        s.connect(socket.getaddrinfo('peer.test', 9000)[0][-1])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.close()
        time.sleep(1)
    """
    (tmp_path / "main.py").write_text(textwrap.dedent(source))
    dev = qpysim.Device(fs=str(tmp_path), clock="virtual", dialect="micropython")
    dev.serve("peer.test", 9000, peer)
    result = dev.run(str(tmp_path / "main.py"), timeout=60)
    assert result.status == 0
    assert seen == [104]  # ECONNRESET at the peer: an RST, not a FIN


def test_unirtos_getsockopt_reports_listening_and_the_port(tmp_path, capsys):
    out = run(tmp_path, capsys, """
        import usocket
        s = usocket.socket()
        s.bind(('', 7001))
        print(s.getsockopt(usocket.SOL_SOCKET, usocket.SO_ACCEPTCONN))
        s.listen(1)
        print(s.getsockopt(usocket.SOL_SOCKET, usocket.SO_ACCEPTCONN))
        try:
            s.getsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR)
        except OSError as e:
            print('other', e.args[0])
        print(s.getsocketsta())
        c = usocket.socket()
        c.settimeout(5)
        c.connect(usocket.getaddrinfo('echo.test', 7)[0][-1])
        c.close()
        print(c.getsocketsta())
        s.close()
    """, "quecpython-unirtos")
    # UNIRTOS reports 0/1/4/-1 only.
    assert out == ["(0, 7001)", "(1, 7001)", "other 92", "1", "-1"]


def test_strict_setsockopt_checks_the_level_and_quecpython_ignores_it(tmp_path, capsys):
    source = """
        import usocket
        s = usocket.socket()
        try:
            print(s.setsockopt(usocket.IPPROTO_TCP, usocket.SO_REUSEADDR, 1))
        except OSError as e:
            print('raised', e.args[0])
    """
    assert run(tmp_path, capsys, source, "quecpython") == ["None"]
    assert run(tmp_path, capsys, source, "micropython") == ["raised 92"]


def test_a_device_server_gets_a_python_client_on_a_fixed_pdp_address(tmp_path, capsys):
    got = []

    def client(conn):
        got.append(conn.recv_exactly(5))
        conn.sendall(b"bye")
        conn.settimeout(5)
        conn.recv(1)

    (tmp_path / "s.yaml").write_text("pdp:\n  - {id: 1, address: 10.20.30.40}\n")
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import usocket, dataCall
        print(dataCall.getInfo(1, 0)[2][2])
        s = usocket.socket()
        s.bind(('', 6001))
        s.listen(1)
        s.settimeout(10)
        conn, ip, port = s.accept()
        print(ip)
        conn.send(b'hello')
        conn.settimeout(5)
        print(conn.recv(3))
        conn.close()
        s.close()
    """))
    dev = qpysim.Device(fs=str(tmp_path), scenario=str(tmp_path / "s.yaml"), clock="virtual")
    dev.client(6001, client, host="pc.test", after=2.0)
    capsys.readouterr()
    result = dev.run(str(tmp_path / "main.py"), timeout=60)
    out = capsys.readouterr().out.splitlines()
    assert result.status == 0
    assert out[0] == "10.20.30.40"
    assert out[1].count(".") == 3  # the client's virtual address
    assert out[2] == "b'bye'"
    assert got == [b"hello"]


def test_device_client_rejects_a_bad_port(tmp_path):
    dev = qpysim.Device(clock="virtual")
    with pytest.raises(ValueError, match="port"):
        dev.client(0, lambda c: None)
    with pytest.raises(TypeError, match="callable"):
        dev.client(80, None)
    dev.modem.halt("test over")


def test_a_device_socket_module_leaves_cpythons_own_alone(tmp_path, capsys):
    """`import socket` in a micropython-dialect script is the device's; the PC's
    stdlib (and anything importing it in the same run) keeps CPython's."""
    out = run(tmp_path, capsys, """
        import socket, select, errno
        print(hasattr(socket, 'getsocketsta'), hasattr(socket, 'create_connection'))
        print(select.POLLIN, errno.ECONNREFUSED)
    """, "micropython")
    assert out == ["False False", "1 111"]
    assert sys.modules["socket"] is host_socket
    assert hasattr(sys.modules["socket"], "create_connection")
    import http.client  # noqa: F401  (still imports: it needs CPython's socket)


UDP_ECHO = """
hosts:
  echo.test:
    7/udp: echo
"""


def test_recvfrom_takes_msg_peek_and_msg_dontwait_on_micropython(tmp_path, capsys):
    # ports/unix/modsocket.c:299-324: recvfrom(bufsize, flags) passes the flags on.
    out = run(tmp_path, capsys, """
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        begin = time.ticks_ms()
        try:
            s.recvfrom(8, socket.MSG_DONTWAIT)
        except OSError as e:
            print('dontwait', e.errno, time.ticks_diff(time.ticks_ms(), begin) < 5)
        addr = socket.getaddrinfo('echo.test', 7)[0][-1]
        s.sendto(b'abcdefgh', addr)
        peeked, where = s.recvfrom(4, socket.MSG_PEEK)
        taken, where2 = s.recvfrom(8)
        print(peeked, taken, where == where2)
        try:
            s.recvfrom(8, 0x4000)
        except OSError as e:
            print('bad flag', e.errno)
        s.close()
    """, "micropython", scenario=UDP_ECHO)
    assert out == ["dontwait 11 True", "b'abcd' b'abcdefgh' True", "bad flag 22"]


@pytest.mark.parametrize("dialect, has", [("micropython", True), ("esp32", True),
                                          ("rtthread", False), ("quecpython", False)])
def test_time_ns_exists_where_the_port_compiles_it_in(tmp_path, capsys, dialect, has):
    out = run(tmp_path, capsys, """
        import time
        if hasattr(time, 'time_ns'):
            a = time.time_ns()
            time.sleep(2)
            b = time.time_ns()
            print(type(a).__name__, a % 1000, b - a, abs(b // 10**9 - time.time()) <= 1)
        else:
            print('no time_ns')
    """, dialect)
    assert out == (["int 0 2000000000 True"] if has else ["no time_ns"])


def test_ipoll_hands_out_one_tuple_refilled_and_oneshot_disarms(tmp_path, capsys):
    # extmod/modselect.c:582-625 (QuecPython's the same): ipoll returns the poll
    # object, whose iteration refills one tuple; flags=1 sets a fired mask to 0.
    out = run(tmp_path, capsys, """
        import socket, select
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        p = select.poll()
        p.register(a)
        p.register(b)
        it = p.ipoll(0)
        print(it is p, isinstance(list(p.ipoll(0))[0], tuple))
        got = list(p.ipoll(0))
        print(got[0] is got[1], got == [(b, 4), (b, 4)])
        print([(o is a, ev) for o, ev in p.ipoll(0, 1)])
        print(list(p.ipoll(0)))
        p.modify(a, select.POLLOUT)
        print([(o is a, ev) for o, ev in p.poll(0)])
    """, "micropython")
    assert out == ["True True", "True True", "[(True, 4), (False, 4)]", "[]",
                   "[(True, 4)]"]


def test_poll_asks_a_python_stream_with_its_mask_in_registration_order(tmp_path, capsys):
    # modselect.c:309-316 and py/modio.c iobase_ioctl: the registered mask is
    # passed as it is; a negative answer is OSError(-answer).
    out = run(tmp_path, capsys, """
        import io, socket, select

        class Stream(io.IOBase):
            answer = 0
            def ioctl(self, cmd, arg):
                print('ioctl', cmd, arg)
                return self.answer & arg if self.answer >= 0 else self.answer

        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        x = Stream()
        p = select.poll()
        p.register(s)
        p.register(x)
        p.modify(x, select.POLLIN)
        x.answer = 5
        print([(type(o), ev) for o, ev in p.poll(0)])
        x.answer = -1000
        try:
            p.poll(0)
        except OSError as e:
            print('OSError', e.errno)
        print(x)
    """, "micropython")
    assert out[:4] == ["ioctl 3 1", "[(<class 'socket'>, 4), (<class 'Stream'>, 1)]",
                       "ioctl 3 1", "OSError 1000"]
    assert out[4].startswith("<Stream object at 0x")


@pytest.mark.parametrize("dialect", ["quecpython", "micropython"])
def test_classes_print_as_micropython_prints_them(tmp_path, capsys, dialect):
    # py/objtype.c:1020-1024: <class 'Name'>, with no module or dotted path.
    out = run(tmp_path, capsys, """
        import usocket

        class Outer:
            class Inner:
                pass

        class Failure(Exception):
            pass

        print(type(usocket.socket()), Outer, Outer.Inner, Failure)
    """, dialect)
    assert out == ["<class 'socket'> <class 'Outer'> <class 'Inner'> <class 'Failure'>"]
