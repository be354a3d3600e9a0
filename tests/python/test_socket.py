"""usocket through the host gateway (bind_socket.cpp), against loopback servers.

Every assertion is something a device script observes: return values, errno
and str(e), getsocketsta() numbers, and (for timeouts) device time.
"""

import socket as host_socket
import threading
import time

import pytest
from conftest import close_after, echo, reset_after_greeting, silent, upper_echo, wait_for

import qpysim


def errno_of(excinfo):
    return excinfo.value.args[0]


# ---------------------------------------------------------------- constants and shapes


def test_constants_have_quecpython_values(usocket):
    expected = dict(AF_INET=2, AF_INET6=10, SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_RAW=3,
                    IPPROTO_TCP=6, IPPROTO_UDP=17, IPPROTO_TCP_SER=7, TCP_CUSTOMIZE_PORT=8,
                    SOL_SOCKET=0xFFF, SO_REUSEADDR=4, TCP_KEEPALIVE=2, IPPROTO_IP=0)
    assert {k: getattr(usocket, k) for k in expected} == expected


def test_socket_methods_exist(usocket):
    s = usocket.socket()
    for name in ("bind", "listen", "accept", "connect", "send", "sendall", "sendto", "recv",
                 "recvfrom", "read", "readinto", "readline", "write", "makefile", "close",
                 "setsockopt", "setblocking", "settimeout", "getsocketsta", "fileno",
                 "__enter__", "__exit__"):
        assert callable(getattr(s, name)), name
    s.close()


def test_error_is_oserror_with_number_and_name(usocket, closed_port):
    s = usocket.socket()
    with pytest.raises(OSError) as e:
        s.connect(("127.0.0.1", closed_port))
    assert type(e.value).__name__ == "OSError"
    assert e.value.args == (104, "ECONNRESET")
    assert e.value.args[0] == 104
    assert str(e.value) == "[Errno 104] ECONNRESET"
    s.close()


# ---------------------------------------------------------------- the socket table


def test_fds_count_from_zero_and_reuse_the_lowest(usocket):
    a, b, c = usocket.socket(), usocket.socket(), usocket.socket()
    assert [a.fileno(), b.fileno(), c.fileno()] == [0, 1, 2]
    b.close()
    assert b.fileno() == -1
    d = usocket.socket()
    assert d.fileno() == 1
    for s in (a, c, d):
        s.close()


def test_table_full_raises_enfile_on_the_sixteenth_socket(usocket, device):
    socks = [usocket.socket() for _ in range(15)]
    with pytest.raises(OSError) as e:
        usocket.socket()
    assert e.value.args == (23, "ENFILE")
    assert str(e.value) == "[Errno 23] ENFILE"
    socks.pop().close()
    again = usocket.socket()
    assert again.fileno() == 14
    again.close()
    for s in socks:
        s.close()
    assert device.modem.open_sockets() == 0


def test_dropping_the_last_reference_frees_the_slot(usocket, device):
    usocket.socket()  # not kept: closed as MicroPython's __del__ would
    assert device.modem.open_sockets() == 0


# ---------------------------------------------------------------- argument checking


@pytest.mark.parametrize("args", [(None,), (2, None), (2, 1, None), ("2",), (2.0,)])
def test_socket_rejects_non_int_arguments(usocket, args):
    with pytest.raises(TypeError):
        usocket.socket(*args)


def test_socket_rejects_unknown_family_or_type(usocket):
    # lwIP ignores the family, which qpysim does not model: it says so.
    with pytest.raises(ValueError, match="address family must be AF_INET"):
        usocket.socket(99)
    # An unknown type is lwIP's EINVAL (sockets.c lwip_socket), as the unix
    # port's socket(2) gives it: OSError(22) on every dialect.
    with pytest.raises(OSError) as e:
        usocket.socket(2, 9)
    assert e.value.args[0] == 22


def test_micropython_socket_with_an_unknown_family_is_eafnosupport():
    # ports/unix/modsocket.c:490-513 raises socket(2)'s errno.
    import qpysim
    dev = qpysim.Device(dialect="micropython", clock="virtual")
    socket = dev.module("socket")
    with pytest.raises(OSError) as e:
        socket.socket(99)
    # EAFNOSUPPORT is not in MicroPython's errno table (py/moderrno.c:39-60):
    # it prints as the number; .errno is args[0] as on MicroPython.
    assert e.value.args == (97,) and e.value.errno == 97 and str(e.value) == "97"
    with pytest.raises(OSError) as e:
        socket.socket(socket.AF_INET, 123456)
    assert str(e.value) == "[Errno 22] EINVAL"
    dev.close()


@pytest.mark.parametrize("address", ["127.0.0.1:80", ("127.0.0.1",), (1, 80), ("127.0.0.1", 1.5),
                                     None, 80])
def test_connect_rejects_bad_addresses(usocket, address):
    s = usocket.socket()
    with pytest.raises(TypeError):
        s.connect(address)
    s.close()


@pytest.mark.parametrize("port", [-1, 65536, 10**12])
def test_out_of_range_ports(usocket, port):
    # connect() resolves (host, port) with getaddrinfo, which answers EAI_SERVICE;
    # bind() and sendto() read an int port (modsocket.c:383, 1067).
    # An int past a machine word is OverflowError first (mp_obj_get_int).
    s = usocket.socket()
    with pytest.raises(OSError if port < 2**31 else OverflowError) as e:
        s.connect(("127.0.0.1", port))
    assert port >= 2**31 or e.value.args == (-201,)
    with pytest.raises((ValueError, OverflowError)):
        s.bind(("", port))
    s.close()
    u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    with pytest.raises((ValueError, OverflowError)):
        u.sendto(b"x", ("127.0.0.1", port))
    u.close()


def test_send_rejects_non_buffers(usocket, server):
    srv = server(echo)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    for bad in (123, None, 1.5, ["a"]):
        with pytest.raises(TypeError):
            s.send(bad)
    s.close()


@pytest.mark.parametrize("bad", ["1", 1.0, None])
def test_recv_rejects_non_int_sizes(usocket, server, bad):
    srv = server(echo)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    with pytest.raises(TypeError):
        s.recv(bad)
    s.close()


@pytest.mark.parametrize("bad", ["1", [1]])
def test_settimeout_rejects_non_numbers(usocket, bad):
    s = usocket.socket()
    with pytest.raises(TypeError):
        s.settimeout(bad)
    with pytest.raises(ValueError):
        s.settimeout(-1)
    s.close()


def test_a_nul_in_a_host_is_valueerror_and_nothing_is_resolved_or_connected(usocket, server):
    srv = server(echo)
    s = usocket.socket()
    for call in (lambda: s.connect(("127.0.0.1\x00x", srv.port)),
                 lambda: s.connect((b"127.0.0.1\x00", srv.port)),
                 lambda: usocket.getaddrinfo("localhost\x00.evil", 80)):
        with pytest.raises(ValueError, match="NUL character"):
            call()
    assert s.getsocketsta() == 0  # CLOSED: it never tried
    u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    with pytest.raises(ValueError, match="NUL character"):
        u.sendto(b"x", ("127.0.0.1\x00", srv.port))
    s.close()
    u.close()


@pytest.mark.parametrize("call", [
    lambda u, s: u.socket(2**70), lambda u, s: u.socket(2, 2**40), lambda u, s: s.recv(2**63),
    lambda u, s: s.listen(2**31), lambda u, s: s.setsockopt(2**70, 1, 1),
    lambda u, s: s.readline(2**64), lambda u, s: s.read(-2**40), lambda u, s: s.bind(("", 2**40)),
])
def test_integers_out_of_c_range_are_overflowerror_naming_the_argument(usocket, call):
    s = usocket.socket()
    with pytest.raises(OverflowError, match=r"^\w[\w: ]*: overflow converting long int to machine"):
        call(usocket, s)
    s.close()


def test_readinto_fills_any_buffer_as_raw_bytes_and_loses_nothing(usocket, server):
    import array
    srv = server(echo)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    s.send(b"\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00tail")
    a = array.array("i", [0, 0, 0])
    assert s.readinto(a) == 12  # 3 items of 4 bytes, as MicroPython fills them
    assert list(a) == [1, 2, 3]
    # A buffer that cannot be filled is refused before a byte leaves the socket.
    strided = memoryview(array.array("i", [0, 0, 0, 0]))[::2]
    for bad in (strided, b"read-only", "str", None):
        with pytest.raises(TypeError):
            s.readinto(bad)
    assert s.recv(64) == b"tail"
    s.close()


# ---------------------------------------------------------------- getaddrinfo


def test_getaddrinfo_returns_a_list_of_five_tuples(usocket):
    r = usocket.getaddrinfo("127.0.0.1", 80)
    assert r == [(2, 1, 0, "127.0.0.1", ("127.0.0.1", 80))]


def test_getaddrinfo_accepts_a_port_string(usocket):
    assert usocket.getaddrinfo("127.0.0.1", "8305")[0][-1] == ("127.0.0.1", 8305)


def test_getaddrinfo_bad_port_string_is_eai_service(usocket):
    with pytest.raises(OSError) as e:
        usocket.getaddrinfo("127.0.0.1", "http")
    assert e.value.args == (-201,)


def test_getaddrinfo_uses_the_scenario_zone_first():
    import qpysim
    dev = qpysim.Device(dns={"www.tongxinmao.com": "127.0.0.1", "v6.example": "::1"})
    us = dev.module("usocket")
    assert us.getaddrinfo("www.tongxinmao.com", 80) == [
        (2, 1, 0, "www.tongxinmao.com", ("127.0.0.1", 80))]
    assert us.getaddrinfo("WWW.TongXinMao.com.", 80)[0][-1] == ("127.0.0.1", 80)
    assert us.getaddrinfo("v6.example", 443) == [(10, 1, 0, "v6.example", ("::1", 443))]
    dev.modem.halt("done")


def test_getaddrinfo_falls_back_to_the_pc_resolver(usocket):
    assert usocket.getaddrinfo("localhost", 1)[0][-1][0] in ("127.0.0.1", "::1")


def test_failed_lookup_raises_minus_202_printed_bare(usocket):
    with pytest.raises(OSError) as e:
        usocket.getaddrinfo("no-such-host.invalid", 80)
    assert e.value.args == (-202,)
    assert str(e.value) == "-202"


def test_empty_host_raises_minus_2_on_current_firmware(usocket):
    with pytest.raises(OSError) as e:
        usocket.getaddrinfo("", 80)
    assert e.value.args == (-2,)


def test_getaddrinfo_rejects_non_str_hosts(usocket):
    with pytest.raises(TypeError):
        usocket.getaddrinfo(None, 80)
    with pytest.raises(TypeError):
        usocket.getaddrinfo("127.0.0.1", None)


# ---------------------------------------------------------------- TCP client


def test_state_at_each_step_of_connect_peer_close_and_local_close(usocket, server):
    srv = server(close_after(b"hello", cue=b"go"))
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    assert s.getsocketsta() == 0  # CLOSED: created, not used
    s.connect(("127.0.0.1", srv.port))
    assert s.getsocketsta() == 4  # ESTABLISHED
    s.send(b"go")
    assert s.recv(100) == b"hello"
    assert wait_for(lambda: s.getsocketsta() == 7)  # CLOSE_WAIT: the peer sent FIN
    with pytest.raises(OSError) as e:  # the read that meets the FIN (modsocket.c:929-936)
        s.recv(100)
    assert e.value.args[0] == 107
    assert s.recv(100) == b""
    assert s.recv(100) == b""  # and again: end of stream stays
    s.close()
    assert s.getsocketsta() == -1  # resources released


def test_send_and_recv_round_trip_with_str_and_bytes(usocket, server):
    srv = server(upper_echo)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    assert s.send("hello ") == 6
    assert s.send(b"world") == 5
    got = b""
    while len(got) < 11:
        got += s.recv(64)
    assert got == b"HELLO WORLD"
    assert s.send(bytearray(b"x")) == 1
    assert s.send(memoryview(b"y")) == 1
    assert s.recv(2) in (b"X", b"XY")
    s.close()


def test_send_utf8_counts_bytes(usocket, server):
    srv = server(echo)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    assert s.send("温度") == 6
    got = b""
    while len(got) < 6:
        got += s.recv(64)
    assert got.decode() == "温度"
    s.close()


def test_connect_accepts_a_hostname_and_a_list(usocket, server):
    srv = server(echo)
    s = usocket.socket()
    s.connect(["localhost", srv.port])
    assert s.getsocketsta() == 4
    s.close()


def test_connect_refused_is_econnreset_as_lwip_reports_it(usocket, closed_port):
    s = usocket.socket()
    with pytest.raises(OSError) as e:
        s.connect(("127.0.0.1", closed_port))
    assert errno_of(e) == 104
    assert s.getsocketsta() == 0
    s.close()


def test_connect_to_an_unknown_name_raises_minus_202(usocket):
    s = usocket.socket()
    with pytest.raises(OSError) as e:
        s.connect(("no-such-host.invalid", 80))
    assert e.value.args == (-202,)
    s.close()


def test_connect_twice_is_ealready(usocket, server):
    srv = server(echo)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    with pytest.raises(OSError) as e:
        s.connect(("127.0.0.1", srv.port))
    assert e.value.args == (114, "EALREADY")
    s.close()


def test_nonblocking_connect_raises_einprogress_then_completes(usocket, server):
    srv = server(echo)
    s = usocket.socket()
    s.setblocking(False)
    with pytest.raises(OSError) as e:
        s.connect(("127.0.0.1", srv.port))
    assert e.value.args == (115, "EINPROGRESS")
    assert s.getsocketsta() in (2, 4)  # SYN_SENT until the SYN-ACK lands
    assert wait_for(lambda: s.getsocketsta() == 4)
    s.close()


def test_nonblocking_connect_stays_in_syn_sent_towards_a_dead_host(usocket, blackhole):
    s = usocket.socket()
    s.setblocking(False)
    with pytest.raises(OSError) as e:
        s.connect(("127.0.0.1", blackhole))
    assert errno_of(e) == 115
    time.sleep(0.3)
    assert s.getsocketsta() == 2
    with pytest.raises(OSError) as e:
        s.recv(10)  # Unisoc builds: EINPROGRESS while the connect is pending
    assert errno_of(e) == 115
    s.close()
    assert s.getsocketsta() == -1


def test_connect_with_a_short_timeout_raises_etimedout(usocket, device, blackhole):
    s = usocket.socket()
    s.settimeout(1.5)  # 1 <= timeout < 25 s: the firmware waits with select()
    t0 = device.modem.now()
    with pytest.raises(OSError) as e:
        s.connect(("127.0.0.1", blackhole))
    assert e.value.args == (110, "ETIMEDOUT")
    assert device.modem.now() - t0 >= 1.5
    assert s.getsocketsta() == 2  # the SYN keeps going after select gives up
    s.close()


def test_recv_timeout_raises_etimedout_after_the_timeout(usocket, device, server):
    srv = server(silent)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    s.settimeout(0.3)
    t0 = device.modem.now()
    with pytest.raises(OSError) as e:
        s.recv(10)
    assert e.value.args == (110, "ETIMEDOUT")
    assert device.modem.now() - t0 >= 0.3
    s.close()


def test_recv_timeout_under_one_poll_is_eagain(usocket, device, server):
    # QuecPython counts timeouts in 100 ms polls; with none left it says EAGAIN.
    srv = server(silent)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    s.settimeout(0.05)
    t0 = device.modem.now()
    with pytest.raises(OSError) as e:
        s.recv(10)
    assert e.value.args == (11, "EAGAIN")
    assert device.modem.now() - t0 >= 0.1
    s.close()


def test_nonblocking_recv_with_nothing_is_eagain(usocket, server):
    srv = server(silent)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    s.setblocking(False)
    with pytest.raises(OSError) as e:
        s.recv(10)
    assert e.value.args == (11, "EAGAIN")
    s.close()


def test_recv_and_send_on_a_never_connected_socket_are_enotconn(usocket):
    s = usocket.socket()
    with pytest.raises(OSError) as e:
        s.recv(10)
    assert e.value.args == (107, "ENOTCONN")
    with pytest.raises(OSError) as e:
        s.send(b"x")
    assert e.value.args == (107, "ENOTCONN")
    s.close()


def test_every_call_after_close_is_ebadf_and_close_is_idempotent(usocket, server):
    srv = server(echo)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    s.close()
    s.close()
    for call in (lambda: s.send(b"x"), lambda: s.recv(1), lambda: s.connect(("127.0.0.1", 1)),
                 lambda: s.bind(("", 0)), lambda: s.listen(1), lambda: s.accept(),
                 lambda: s.sendall(b"x"), lambda: s.read(1), lambda: s.write(b"x"),
                 lambda: s.setsockopt(0xFFF, 4, 1)):
        with pytest.raises(OSError) as e:
            call()
        assert e.value.args == (9, "EBADF")
    assert s.getsocketsta() == -1
    assert s.fileno() == -1


def test_peer_reset_raises_econnreset_and_stays_reset(usocket, server):
    srv = server(reset_after_greeting)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    assert s.recv(3) == b"bye"
    assert wait_for(lambda: s.getsocketsta() == 0)  # the RST freed the pcb
    for _ in range(2):
        with pytest.raises(OSError) as e:
            s.recv(10)
        assert e.value.args == (104, "ECONNRESET")
    with pytest.raises(OSError) as e:
        s.send(b"x")
    assert errno_of(e) == 104
    s.close()


def test_closing_with_unread_data_resets_the_peer(usocket, server):
    got = {}

    def handler(conn, srv):
        conn.sendall(b"unread data")
        try:
            got["recv"] = conn.recv(10)
        except ConnectionResetError:
            got["recv"] = "reset"

    srv = server(handler)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    assert wait_for(lambda: s._s.poll_events() & 1)  # the data is in
    s.close()  # lwIP answers unread data with RST
    assert srv.done.wait(5)
    assert got["recv"] == "reset"


def test_sendall_and_write_send_everything(usocket, server):
    srv = server(echo)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    blob = bytes(range(256)) * 1000
    assert s.sendall(blob) is None
    got = bytearray()
    while len(got) < len(blob):
        got += s.recv(65536)
    assert bytes(got) == blob
    assert s.write("abc") == 3
    assert s.read(3) == b"abc"
    s.close()


def test_read_without_size_meets_the_fin_and_raises_as_the_firmware(usocket, server):
    # py/stream.c stream_readall raises the FIN's ENOTCONN, and what it had read
    # is lost; a read of a size that the data covers returns before the FIN.
    srv = server(close_after(b"line one\nline two\n"))
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    assert s.read(9) == b"line one\n"
    with pytest.raises(OSError) as e:
        s.read()
    assert e.value.args[0] == 107
    assert s.read() == b""
    s.close()


def test_read_has_no_short_reads(usocket, server):
    def slow(conn, srv):
        for piece in (b"ab", b"cd", b"ef"):
            conn.sendall(piece)
            time.sleep(0.05)
        conn.recv(10)

    srv = server(slow)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    assert s.read(6) == b"abcdef"
    s.close()


def test_readline_and_readinto(usocket, server):
    srv = server(close_after(b"first\nsecond\nrest"))
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    assert s.readline() == b"first\n"
    buf = bytearray(7)
    assert s.readinto(buf) == 7
    assert bytes(buf) == b"second\n"
    buf = bytearray(10)
    assert s.readinto(buf, 2) == 2
    assert bytes(buf[:2]) == b"re"
    with pytest.raises(OSError) as e:  # "st", then the FIN: ENOTCONN (py/stream.c:397)
        s.readline()
    assert e.value.args[0] == 107
    assert s.readline() == b""
    with pytest.raises(TypeError):
        s.readinto(b"immutable")
    s.close()


def test_nonblocking_stream_read_returns_none(usocket, server):
    srv = server(silent)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    s.setblocking(False)
    assert s.read(10) is None
    assert s.readline() is None
    assert s.readinto(bytearray(4)) is None
    s.close()


def test_makefile_returns_the_socket_itself(usocket):
    s = usocket.socket()
    assert s.makefile("rb") is s
    assert s.makefile() is s
    s.close()


def test_context_manager_closes(usocket, server):
    srv = server(echo)
    with usocket.socket() as s:
        s.connect(("127.0.0.1", srv.port))
        assert s.getsocketsta() == 4
    assert s.getsocketsta() == -1


def test_recvfrom_on_tcp_gives_the_connected_peer(usocket, server):
    srv = server(echo)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    s.send(b"ping")
    data, addr = s.recvfrom(10)
    assert data == b"ping"
    assert addr == ("127.0.0.1", srv.port)
    s.close()


def test_settimeout_and_setblocking_round_trip(usocket):
    s = usocket.socket()
    assert s._s.gettimeout() is None
    s.settimeout(2.5)
    assert s._s.gettimeout() == 2.5
    s.setblocking(False)
    assert s._s.gettimeout() == 0.0
    s.setblocking(True)
    assert s._s.gettimeout() is None
    s.settimeout(None)
    assert s._s.gettimeout() is None
    s.close()


# ---------------------------------------------------------------- setsockopt


def test_setsockopt_known_options_return_none(usocket):
    s = usocket.socket()
    assert s.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1) is None
    assert s.setsockopt(usocket.SOL_SOCKET, usocket.TCP_KEEPALIVE, 1) is None
    assert s.setsockopt(12345, usocket.TCP_KEEPALIVE, 120) is None  # level is ignored
    assert s.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, b"\x01\x00\x00\x00") is None
    s.close()


@pytest.mark.parametrize("minutes", [0, 121, -5])
def test_tcp_keepalive_is_minutes_1_to_120(usocket, minutes):
    s = usocket.socket()
    with pytest.raises(ValueError):
        s.setsockopt(usocket.SOL_SOCKET, usocket.TCP_KEEPALIVE, minutes)
    s.close()


def test_unknown_option_warns_and_returns_none(usocket, capsys):
    s = usocket.socket()
    assert s.setsockopt(usocket.SOL_SOCKET, 0x1001, 1) is None
    assert "Warning: lwip.setsockopt() option not implemented" in capsys.readouterr().out
    s.close()


def test_setsockopt_rejects_non_int_option_names(usocket):
    s = usocket.socket()
    with pytest.raises(TypeError):
        s.setsockopt(usocket.SOL_SOCKET, "SO_REUSEADDR", 1)
    with pytest.raises(TypeError):
        s.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, "1")
    s.close()


# ---------------------------------------------------------------- TCP server (IPPROTO_TCP_SER)


def _device_server(usocket, device, port=0):
    srv = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM, usocket.IPPROTO_TCP_SER)
    srv.bind(("", port))
    srv.listen(5)
    assert srv.getsocketsta() == 1  # LISTEN
    host_port = device.modem.exposed_port(srv._s.local_address()[1])
    assert host_port > 0
    return srv, host_port


def test_device_server_is_reachable_from_the_pc(usocket, device):
    srv, host_port = _device_server(usocket, device)
    pc = host_socket.create_connection(("127.0.0.1", host_port), timeout=5)
    conn, ip, port = srv.accept()
    assert ip == "127.0.0.1"
    assert port == pc.getsockname()[1]
    assert conn.getsocketsta() == 4
    pc.sendall(b"from pc")
    assert conn.recv(100) == b"from pc"
    conn.send(b"from device")
    assert pc.recv(100) == b"from device"
    pc.close()
    with pytest.raises(OSError) as e:
        conn.recv(100)
    assert e.value.args[0] == 107
    assert conn.recv(100) == b""
    assert conn.getsocketsta() == 7
    conn.close()
    srv.close()


def test_exposed_port_is_the_device_port_when_free(usocket, device, closed_port):
    srv, host_port = _device_server(usocket, device, closed_port)
    assert host_port == closed_port
    srv.close()


def test_exposed_port_falls_back_when_the_pc_port_is_taken(usocket, device, server):
    taken = server(echo)
    srv = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM, usocket.IPPROTO_TCP_SER)
    srv.bind(("", taken.port))
    srv.listen(1)
    host_port = device.modem.exposed_port(taken.port)
    assert host_port not in (0, taken.port)
    srv.close()


def _listening_addresses(port):
    """Local IPv4 addresses listening on `port`, read from /proc/net/tcp (Linux)."""
    found = []
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            local, state = line.split()[1], line.split()[3]
            hex_ip, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(".".join(str(b) for b in reversed(bytes.fromhex(hex_ip))))
    return found


def test_device_server_listens_on_loopback_only(usocket, device):
    srv, host_port = _device_server(usocket, device)
    assert _listening_addresses(host_port) == ["127.0.0.1"]
    srv.close()
    assert _listening_addresses(host_port) == []


def test_accept_nonblocking_is_eagain_and_timeout_is_etimedout(usocket, device):
    srv, _ = _device_server(usocket, device)
    srv.setblocking(False)
    with pytest.raises(OSError) as e:
        srv.accept()
    assert e.value.args == (11, "EAGAIN")
    srv.settimeout(0.3)
    with pytest.raises(OSError) as e:
        srv.accept()
    assert e.value.args == (110, "ETIMEDOUT")
    srv.close()


def test_accept_on_a_full_table_is_enfile_and_resets_the_client(usocket, device):
    srv, host_port = _device_server(usocket, device)
    fillers = [usocket.socket() for _ in range(14)]
    pc = host_socket.create_connection(("127.0.0.1", host_port), timeout=5)
    with pytest.raises(OSError) as e:
        srv.accept()
    assert e.value.args == (23, "ENFILE")
    pc.settimeout(5)
    with pytest.raises((ConnectionResetError, BrokenPipeError)):
        while pc.recv(10):
            pass
        raise ConnectionResetError  # EOF instead of RST would also end the client
    pc.close()
    for f in fillers:
        f.close()
    srv.close()


def test_closing_a_listener_resets_unaccepted_clients(usocket, device):
    srv, host_port = _device_server(usocket, device)
    pc = host_socket.create_connection(("127.0.0.1", host_port), timeout=5)
    assert wait_for(lambda: srv._s.poll_events() & 1)  # queued for accept
    srv.close()
    pc.settimeout(5)
    with pytest.raises(ConnectionResetError):
        pc.recv(10)
    pc.close()


def test_listen_twice_on_a_port_is_eaddrinuse(usocket, device):
    a, _ = _device_server(usocket, device)
    port = a._s.local_address()[1]
    b = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM, usocket.IPPROTO_TCP_SER)
    b.bind(("", port))  # the 2025 firmware ignores lwip_bind's result...
    with pytest.raises(OSError) as e:
        b.listen(1)  # ...so the conflict shows at listen
    assert e.value.args == (98, "EADDRINUSE")
    a.close()
    b.close()


def test_device_client_reaches_device_server_through_the_pc(usocket, device):
    srv, host_port = _device_server(usocket, device)
    c = usocket.socket()
    c.connect(("127.0.0.1", host_port))
    conn, ip, port = srv.accept()
    c.send(b"loop")
    assert conn.recv(10) == b"loop"
    for s in (c, conn, srv):
        s.close()


# ---------------------------------------------------------------- UDP


def test_udp_sendto_and_recvfrom(usocket, udp_echo):
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    assert s.sendto(b"abc", ("127.0.0.1", udp_echo)) == 3
    s.settimeout(5)
    data, addr = s.recvfrom(100)
    assert data == b"cba"
    assert addr == ("127.0.0.1", udp_echo)
    assert s.getsocketsta() == 0
    s.close()


def test_udp_through_a_forward_answers_from_the_address_the_device_sent_to(udp_echo):
    # The reply comes from 127.0.0.1 on the PC; the device sent to the forwarded
    # name's address and must see the answer from there (it used to see the PC's).
    dev = qpysim.Device(forward={"time.example.com:123": f"127.0.0.1:{udp_echo}"})
    try:
        u = dev.module("usocket")
        addr = u.getaddrinfo("time.example.com", 123)[0][-1]
        s = u.socket(u.AF_INET, u.SOCK_DGRAM)
        s.sendto(b"abc", addr)
        s.settimeout(5)
        assert s.recvfrom(100) == (b"cba", addr)
        s.close()
    finally:
        dev.modem.halt("test over")


def test_device_udp_is_filtered_by_endpoint_as_a_carrier_nat_does():
    # The device sends to a PC peer; the mapping takes that peer's replies and
    # nothing from any other endpoint, and the host socket is bound to the
    # loopback address only (a datagram to 127.0.0.2 never reaches it).
    import json
    peer = host_socket.socket(host_socket.AF_INET, host_socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(5)
    stranger = host_socket.socket(host_socket.AF_INET, host_socket.SOCK_DGRAM)
    stranger.bind(("127.0.0.1", 0))
    dev = qpysim.Device(trace_in_memory=True)
    try:
        u = dev.module("usocket")
        s = u.socket(u.AF_INET, u.SOCK_DGRAM)
        s.sendto(b"hi", peer.getsockname())
        data, mapped = peer.recvfrom(100)
        assert data == b"hi" and mapped[0] == "127.0.0.1"
        stranger.sendto(b"stranger", mapped)          # same address, another port
        stranger.sendto(b"elsewhere", ("127.0.0.2", mapped[1]))
        wait_for(lambda: any('"udp_filtered"' in line for line in dev.modem.trace_lines()))
        peer.sendto(b"reply", mapped)
        s.settimeout(5)
        assert s.recvfrom(100) == (b"reply", peer.getsockname())
        s.settimeout(0.3)
        with pytest.raises(OSError):
            s.recvfrom(100)  # nothing else was delivered
        filtered = [json.loads(line) for line in dev.modem.trace_lines()
                    if '"udp_filtered"' in line]
        assert [f["from"] for f in filtered] == [f"127.0.0.1:{stranger.getsockname()[1]}"]
        s.close()
    finally:
        dev.modem.halt("test over")
        peer.close()
        stranger.close()


def test_a_device_udp_server_is_reachable_from_the_pc_on_loopback_only():
    dev = qpysim.Device(trace_in_memory=True)
    try:
        u = dev.module("usocket")
        s = u.socket(u.AF_INET, u.SOCK_DGRAM)
        s.bind(("", 0))  # a client's port: not exposed
        s.close()
        srv = u.socket(u.AF_INET, u.SOCK_DGRAM)
        srv.bind(("", 47123))
        port = dev.modem.exposed_port(47123, udp=True)
        assert port != 0
        exposed = [line for line in dev.modem.trace_lines() if '"expose"' in line]
        assert len(exposed) == 1 and '"proto":"UDP"' in exposed[0]
        assert f'"host":"127.0.0.1","host_port":{port}' in exposed[0]
        assert dev.modem.exposed_port(47123) == 0  # no TCP server there
        pcs = []
        for _ in range(2):  # anyone on the PC may send to a server
            pc = host_socket.socket(host_socket.AF_INET, host_socket.SOCK_DGRAM)
            pc.settimeout(5)
            pc.sendto(b"ping", ("127.0.0.1", port))
            pcs.append(pc)
        srv.settimeout(5)
        for pc in pcs:
            data, addr = srv.recvfrom(100)
            assert data == b"ping" and addr[0] == "127.0.0.1"
            srv.sendto(b"pong", addr)
        for pc in pcs:
            assert pc.recvfrom(100) == (b"pong", ("127.0.0.1", port))
            pc.close()
        srv.close()
        assert dev.modem.exposed_port(47123, udp=True) == 0
    finally:
        dev.modem.halt("test over")


def test_udp_connect_then_send_and_recv(usocket, udp_echo):
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    s.connect(("127.0.0.1", udp_echo))
    assert s.send("hello") == 5
    s.settimeout(5)
    assert s.recv(100) == b"olleh"
    s.close()


def test_udp_recvfrom_truncates_to_bufsize(usocket, udp_echo):
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    s.sendto(b"0123456789", ("127.0.0.1", udp_echo))
    s.settimeout(5)
    data, _ = s.recvfrom(4)
    assert data == b"9876"
    s.close()


def test_udp_send_unconnected_is_enotconn_and_sendto_needs_numeric_ip(usocket):
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    with pytest.raises(OSError) as e:
        s.send(b"x")
    assert errno_of(e) == 107
    with pytest.raises(ValueError):
        s.sendto(b"x", ("localhost", 9))
    s.close()


def test_udp_recv_timeout_and_nonblocking(usocket):
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    s.bind(("", 0))
    s.setblocking(False)
    with pytest.raises(OSError) as e:
        s.recv(10)
    assert errno_of(e) == 11
    s.settimeout(0.2)
    with pytest.raises(OSError) as e:
        s.recvfrom(10)
    assert errno_of(e) == 110
    s.close()


# ---------------------------------------------------------------- threads and the GIL


def test_blocking_calls_release_the_gil(usocket, server):
    srv = server(silent)
    socks = []
    for _ in range(2):
        s = usocket.socket()
        s.connect(("127.0.0.1", srv.port))
        s.settimeout(0.5)
        socks.append(s)
    errors = []

    def block(s):
        try:
            s.recv(10)
        except OSError as e:
            errors.append(e.args[0])

    threads = [threading.Thread(target=block, args=(s,)) for s in socks]
    counted = 0
    t0 = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads) and time.monotonic() - t0 < 10:
        counted += 1  # runs only if the blocked threads gave the GIL back
    for t in threads:
        t.join(5)
    assert errors == [110, 110]
    assert counted > 1000
    for s in socks:
        s.close()


def test_threads_use_different_sockets_at_once(usocket, server):
    srv = server(upper_echo)
    results = {}

    def worker(i):
        s = usocket.socket()
        s.connect(("127.0.0.1", srv.port))
        msg = f"thread {i} ".encode() * 50
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            got += s.recv(4096)
        results[i] = got == msg.upper()
        s.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results == {i: True for i in range(6)}


def test_close_from_another_thread_wakes_a_blocked_recv(usocket, server):
    srv = server(silent)
    s = usocket.socket()
    s.connect(("127.0.0.1", srv.port))
    caught = []

    def block():
        try:
            s.recv(10)
        except OSError as e:
            caught.append(e.args[0])

    t = threading.Thread(target=block)
    t.start()
    time.sleep(0.2)
    s.close()
    t.join(5)
    assert caught == [9]
