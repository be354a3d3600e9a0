"""What a device script observes on each dialect and module model, written by hand
from ../shared/reference/quecpython.md, micropython.md and the seeds -- never read
from qpysim's own tables, so a wrong row in emulator/src/profile.cpp fails here.

expected(dialect, model) composes a dialect's row with a model's row into the
observations tests/conformance/probe.py prints.
"""

# Errno numbers by errno space (reference 1.5; newlib sys/errno.h for ESP-IDF;
# qapi_socket.h for BG95, reference 1.9).
LWIP = dict(EAGAIN=11, EBADF=9, ENFILE=23, ECONNABORTED=103, ECONNRESET=104, EISCONN=106,
            ENOTCONN=107, ETIMEDOUT=110, ECONNREFUSED=111, EALREADY=114, EINPROGRESS=115,
            ENOPROTOOPT=92)
NEWLIB = dict(LWIP, ECONNABORTED=113, EISCONN=127, ENOTCONN=128, ETIMEDOUT=116, EALREADY=120,
              EINPROGRESS=119, ENOPROTOOPT=109)
# BG95: errors from the Qualcomm stack keep QAPI numbers; the firmware's own
# timeouts and would-block stay MicroPython's (110, 11).
QAPI_STACK = dict(ECONNABORTED=5, ECONNRESET=8, ECONNREFUSED=7, EISCONN=3, ENOTCONN=9, EBADF=9,
                  EALREADY=10, EINPROGRESS=22, ENFILE=1)

QUEC_MODULES = ["checkNet", "dataCall", "net", "sim", "modem", "misc", "osTimer", "log",
                "sys_bus"]
BASE_METHODS = ["makefile", "read", "readinto", "readline", "write", "fileno", "setblocking",
                "settimeout", "recvfrom", "sendto", "sendall"]

DIALECTS = {
    # NEW-FW modsocket.c export table (reference 1.1, 1.2), accept 3-tuple (1.4).
    "quecpython": dict(
        constants=dict(AF_INET=2, SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_RAW=3, IPPROTO_IP=0,
                       IPPROTO_TCP=6, IPPROTO_UDP=17, IPPROTO_TCP_SER=7, TCP_CUSTOMIZE_PORT=8,
                       SOL_SOCKET=0xFFF, SO_REUSEADDR=4, TCP_KEEPALIVE=2),
        space=LWIP, quectel=True, select=False, getsocketsta=True, getsockopt=False,
        inet_ntop=False, listen_no_backlog="None", accept=(3, "str"), canonname=True,
        gai_filters=False, gai_missing=-202, refused="ECONNRESET", connect_again="EALREADY",
        select_window=True, recv_poll=True, strict_setsockopt=False, makefile_file=False,
        fin_enotconn=True),
    # OLD-FW (2021): no IPPROTO_TCP_SER/TCP_CUSTOMIZE_PORT, IP_ADD_MEMBERSHIP 0x400,
    # (conn, (ip, port)), getaddrinfo [] on failure, backlog required, uselect on.
    "quecpython-2021": dict(
        constants=dict(AF_INET=2, SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_RAW=3, IPPROTO_IP=0,
                       IPPROTO_TCP=6, IPPROTO_UDP=17, SOL_SOCKET=0xFFF, SO_REUSEADDR=4,
                       TCP_KEEPALIVE=2, IP_ADD_MEMBERSHIP=0x400),
        space=LWIP, quectel=True, select=True, getsocketsta=True, getsockopt=False,
        inet_ntop=False, listen_no_backlog="TypeError", accept=(2, "tuple"), canonname=True,
        gai_filters=False, gai_missing=["returned", "[]"], refused="ECONNRESET",
        connect_again="EALREADY", select_window=True, recv_poll=True, strict_setsockopt=False,
        makefile_file=False, fin_enotconn=True),
    # UNIRTOS modusocket.c: + SO_ACCEPTCONN, IP_ADD_MEMBERSHIP, inet_ntop/pton,
    # getsockopt; EISCONN; unknown options go to lwIP.
    "quecpython-unirtos": dict(
        constants=dict(AF_INET=2, SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_RAW=3, IPPROTO_IP=0,
                       IPPROTO_TCP=6, IPPROTO_UDP=17, IPPROTO_TCP_SER=7, TCP_CUSTOMIZE_PORT=8,
                       SOL_SOCKET=0xFFF, SO_REUSEADDR=4, SO_ACCEPTCONN=2, TCP_KEEPALIVE=2,
                       IP_ADD_MEMBERSHIP=0x400),
        space=LWIP, quectel=True, select=False, getsocketsta=True, getsockopt=True,
        inet_ntop=True, listen_no_backlog="None", accept=(3, "str"), canonname=True,
        gai_filters=False, gai_missing=-202, refused="ECONNRESET", connect_again="EISCONN",
        select_window=True, recv_poll=True, strict_setsockopt=True, makefile_file=False,
        fin_enotconn=True, coarse_state=True),
    # micropython.md: (conn, addr), ECONNREFUSED, negative getaddrinfo codes,
    # inet_ntop, makefile a file, select.poll; unix-port constant values.
    "micropython": dict(
        constants=dict(AF_INET=2, SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_RAW=3, IPPROTO_IP=0,
                       IPPROTO_TCP=6, IPPROTO_UDP=17, IPPROTO_SEC=100, SOL_SOCKET=1,
                       SO_REUSEADDR=2, SO_BROADCAST=6, SO_KEEPALIVE=9, SO_LINGER=13,
                       TCP_NODELAY=1, IP_ADD_MEMBERSHIP=35, MSG_PEEK=2, MSG_DONTWAIT=64),
        space=LWIP, quectel=False, select=True, getsocketsta=False, getsockopt=False,
        inet_ntop=True, listen_no_backlog="None", accept=(2, "tuple"), canonname=False,
        gai_filters=True, gai_missing=-2, refused="ECONNREFUSED", connect_again="EISCONN",
        select_window=False, recv_poll=False, strict_setsockopt=True, makefile_file=True,
        fin_enotconn=False),
    # Seeds 002/004: AF_INET/AF_INET6, SOCK_STREAM/DGRAM, IPPROTO_UDP/TCP, SOL_*,
    # SO_*, IPPROTO_SEC; lwIP underneath.
    "rtthread": dict(
        constants=dict(AF_INET=2, SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_RAW=3, IPPROTO_TCP=6,
                       IPPROTO_UDP=17, IPPROTO_SEC=100, SOL_SOCKET=0xFFF, SO_REUSEADDR=4),
        space=LWIP, quectel=False, select=True, getsocketsta=False, getsockopt=False,
        inet_ntop=False, listen_no_backlog="None", accept=(2, "tuple"), canonname=False,
        gai_filters=False, gai_missing=-202, refused="ECONNRESET", connect_again="EISCONN",
        select_window=False, recv_poll=False, strict_setsockopt=True, makefile_file=False,
        fin_enotconn=False),
    # Seed 003: AF_INET 2, AF_INET6 10, SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3,
    # SO_REUSEADDR 4, IPPROTO_TCP 6, IPPROTO_UDP 17; ESP-IDF newlib errno.
    "esp32": dict(
        constants=dict(AF_INET=2, SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_RAW=3, IPPROTO_IP=0,
                       IPPROTO_ICMP=1, IPPROTO_TCP=6, IPPROTO_UDP=17, SOL_SOCKET=0xFFF,
                       SO_REUSEADDR=4, SO_BROADCAST=0x20, TCP_NODELAY=1, IP_ADD_MEMBERSHIP=3),
        space=NEWLIB, quectel=False, select=True, getsocketsta=False, getsockopt=False,
        inet_ntop=False, listen_no_backlog="None", accept=(2, "tuple"), canonname=False,
        gai_filters=True, gai_missing=-202, refused="ECONNRESET", connect_again="EISCONN",
        select_window=False, recv_poll=False, strict_setsockopt=True, makefile_file=False,
        fin_enotconn=False),
}

# Reference 1.8 (limits, fd numbering), 1.2 (BG95 AF_INET6 3, SOL_SOCKET -1),
# 1.7 (no getsocketsta on BG95), 1.9 (QAPI errno).
MODELS = {
    "EC600U": dict(limit=15, fd=0, sysname="EC600U-CNLB", platform="Unisoc"),
    "EC200U": dict(limit=15, fd=0, sysname="EC200U-CNAA", platform="Unisoc"),
    "EC600G": dict(limit=15, fd=0, sysname="EC600G-CNLD", platform="Unisoc 8850"),
    "EC200A": dict(limit=64, fd=3, sysname="EC200A-AUHA", platform="ASR"),
    "EC600N": dict(limit=15, fd=3, sysname="EC600N-CNLC", platform="ASR"),
    "EC800N": dict(limit=15, fd=3, sysname="EC800N-CNLC", platform="ASR"),
    "EC600S": dict(limit=15, fd=3, sysname="EC600S-CNLB", platform="ASR"),
    "BG95": dict(limit=20, fd=0, sysname="BG95M3-LA", platform="Qualcomm", af_inet6=3,
                 sol_socket=-1, getsocketsta=False, qapi=True),
}

VIRTUAL_ECHO = "203.0.113.10"  # the first virtual host's address (the scenario's order)


def expected(dialect: str, model: str) -> dict:
    d, m = DIALECTS[dialect], MODELS[model]
    sta = d["getsocketsta"] and m.get("getsocketsta", True)
    # The firmware's own errors in the dialect's space; the stack's in QAPI's on BG95.
    own = dict(d["space"])
    stack = dict(own, **QAPI_STACK) if m.get("qapi") else own

    constants = dict(d["constants"], AF_INET6=m.get("af_inet6", 10))
    if "sol_socket" in m:
        constants["SOL_SOCKET"] = m["sol_socket"]
    modules = ["usocket", "socket"]
    if d["select"]:
        modules += ["uselect", "select"]
    modules += ["uerrno", "errno", "utime", "uos"]
    if d["quectel"]:
        modules += QUEC_MODULES
    methods = (["getsocketsta"] if sta else []) + (["getsockopt"] if d["getsockopt"] else [])
    if d["quectel"]:
        uname = ["sysname=" + m["sysname"], "nodename=" + model, "release=1.13.0",
                 "version=v1.13 on 2025-04-02", f"machine={model} with QUECTEL", "qpyver=V0004"]
    else:
        uname = [m["sysname"], model, "1.22.0", "v1.22.0 on 2024-01-05",
                 f"{model} with {m['platform']}"]
    timeout = own["ETIMEDOUT"]

    def state(n):
        return n if sta else None

    return {
        "constants": constants,
        "modules": modules,
        "methods": methods + BASE_METHODS,
        "inet_ntop": ["returned", "'127.0.0.1'"] if d["inet_ntop"] else "AttributeError",
        "inet_pton": ["returned", "b'\\n\\x01\\x02\\x03'"] if d["inet_ntop"] else "AttributeError",
        "fd_first": m["fd"],
        "state_new": state(0),
        "fd_after_close": -1,
        "state_closed": state(-1),
        "send_after_close": stack["EBADF"],
        "listen_no_backlog": d["listen_no_backlog"],
        "state_listen": state(1),
        "accept_len": d["accept"][0],
        "accept_address": d["accept"][1],
        "accept_state": state(4),
        "gai": [[2, 1, 0, "echo.test" if d["canonname"] else "", [VIRTUAL_ECHO, 7]]],
        "gai_dgram_type": ["returned", "2" if d["gai_filters"] else "1"],
        "gai_missing": d["gai_missing"],
        # No link latency in the scenario: the RST comes back at once. The QAPI
        # stack tells a refused connect from a reset; lwIP does not.
        "refused": [stack["ECONNREFUSED" if m.get("qapi") else d["refused"]], 0],
        # QuecPython: 1 s <= timeout < 25 s waits with select -> ETIMEDOUT at the
        # timeout; 0.5 s counts as 0 s -> lwIP's blocking connect gives up after
        # its SYN retries (18.5 s) with ECONNABORTED. Other ports: exact timeouts.
        "blackhole_5s": [timeout, 5000],
        "blackhole_half_s": ([stack["ECONNABORTED"], 18500] if d["select_window"]
                             else [timeout, 500]),
        "nonblocking_connect": stack["EINPROGRESS"],
        "recv_unconnected": stack["ENOTCONN"],
        "state_established": state(4),
        "connect_again": stack[d["connect_again"]],
        "send": ["returned", "5"],
        "echo": ["returned", "b'hello'"],
        "nonblocking_recv": own["EAGAIN"],
        "nonblocking_read": "None",  # py/stream.c: None when it would block
        "unknown_option": stack["ENOPROTOOPT"] if d["strict_setsockopt"] else "None",
        "recv_timeout_2s": [timeout, 2000],
        # QuecPython counts recv timeouts in 100 ms polls: under one poll, EAGAIN.
        "recv_timeout_50ms": [own["EAGAIN"], 100] if d["recv_poll"] else [timeout, 50],
        "reset": stack["ECONNRESET"],
        "state_reset": state(0),
        # The peer's FIN: QuecPython's read that meets it raises ENOTCONN (NEW-FW
        # modsocket.c:929-936, OLD-FW l.749-758), later reads give b''; the unix
        # and esp32 ports read b'' every time.
        "fin": [["returned", "b'bye'"], stack["ENOTCONN"] if d["fin_enotconn"]
                else ["returned", "b''"], ["returned", "b''"],
                state(0 if d.get("coarse_state") else 7)],  # UNIRTOS: 0, 1, 4, -1 only
        "makefile_is_socket": not d["makefile_file"],
        "makefile_readline": ["returned", "b'line\\n'"],
        "makefile_close_closes": True,
        "table": [m["limit"], stack["ENFILE"]],
        "uname": uname,
        "dev_model": model if d["quectel"] else None,
    }
