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
