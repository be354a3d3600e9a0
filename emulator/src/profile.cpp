#include "qpysim/profile.hpp"

#include <algorithm>
#include <cctype>

namespace qpysim {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

using Constants = std::vector<std::pair<std::string, int>>;

// QuecPython 2023+ (NEW-FW ports/quectel/modsocket.c, lines 1336-1354).
const Constants kQuecConstants = {
    {"AF_INET", 2},     {"SOCK_STREAM", 1},    {"SOCK_DGRAM", 2},      {"SOCK_RAW", 3},
    {"IPPROTO_TCP", 6}, {"IPPROTO_UDP", 17},   {"IPPROTO_TCP_SER", 7}, {"TCP_CUSTOMIZE_PORT", 8},
    {"IPPROTO_IP", 0},  {"SOL_SOCKET", 0xFFF}, {"TCP_KEEPALIVE", 2},   {"SO_REUSEADDR", 4},
};

std::vector<Dialect> make_dialects() {
    std::vector<Dialect> v;

    Dialect q;
    q.name = "quecpython";
    q.summary = "QuecPython firmware 2023-2025 (Helios): accept() -> (conn, ip, port)";
    q.evidence = "QuecPython NEW-FW ports/quectel/modsocket.c; QuecPython docs usocket.md";
    q.constants = kQuecConstants;
    // MICROPY_PY_SELECT (0) in the NEW-FW mpconfigport; uselect is not in the docs.
    q.has_select = false;
    v.push_back(q);

    Dialect q21 = q;
    q21.name = "quecpython-2021";
    q21.summary =
        "QuecPython 2021 firmware: accept() -> (conn, (ip, port)), getaddrinfo [] on failure";
    q21.evidence = "QuecPython OLD-FW modsocket.c (2021): export table, netutils accept";
    q21.constants = {
        {"AF_INET", 2},       {"SOCK_STREAM", 1},           {"SOCK_DGRAM", 2},
        {"SOCK_RAW", 3},      {"IPPROTO_TCP", 6},           {"IPPROTO_UDP", 17},
        {"IPPROTO_IP", 0},    {"SOL_SOCKET", 0xFFF},        {"SO_REUSEADDR", 4},
        {"TCP_KEEPALIVE", 2}, {"IP_ADD_MEMBERSHIP", 0x400},
    };
    q21.accept_shape = AcceptShape::conn_address;
    q21.getaddrinfo_empty_on_failure = true;
    q21.getaddrinfo_unspecified_fails = false;
    q21.listen_requires_backlog = true;
    q21.recv_connecting_in_progress = false;
    q21.has_select = true;  // MICROPY_PY_USELECT (1)
    v.push_back(q21);

    Dialect un = q;
    un.name = "quecpython-unirtos";
    un.summary = "QuecPython on UNIRTOS (EG800Z...): inet_ntop, getsockopt, EISCONN, strict bind";
    un.evidence = "QuecPython UNIRTOS modusocket.c";
    un.constants = kQuecConstants;
    un.constants.push_back({"SO_ACCEPTCONN", 2});
    un.constants.push_back({"IP_ADD_MEMBERSHIP", 0x400});
    un.select_window_inclusive = true;  // timeout <= 25 s waits with select
    un.connect_when_connected = errc::is_connected;
    un.bind_reports_errors = true;
    un.has_inet_ntop = true;
    un.has_getsockopt = true;
    un.setsockopt_strict = true;  // unknown options go to lwIP
    un.coarse_socket_state = true;
    v.push_back(un);

    Dialect mp;
    mp.name = "micropython";
    mp.summary =
        "upstream MicroPython: socket/select/errno names, ECONNREFUSED, None on would-block";
    mp.evidence = "MicroPython docs (socket module, seed 001), unix port modsocket.c, tests/";
    mp.constants = {
        {"AF_INET", 2},       {"SOCK_STREAM", 1},  {"SOCK_DGRAM", 2},         {"SOCK_RAW", 3},
        {"IPPROTO_IP", 0},    {"IPPROTO_TCP", 6},  {"IPPROTO_UDP", 17},       {"IPPROTO_SEC", 100},
        {"SOL_SOCKET", 1},    {"SO_REUSEADDR", 2}, {"SO_BROADCAST", 6},       {"SO_KEEPALIVE", 9},
        {"SO_LINGER", 13},    {"TCP_NODELAY", 1},  {"IP_ADD_MEMBERSHIP", 35}, {"MSG_PEEK", 2},
        {"MSG_DONTWAIT", 64},
    };
    mp.getaddrinfo_unspecified_fails = false;
    mp.accept_shape = AcceptShape::conn_address;
    mp.connect_select_window = false;
    mp.recv_poll = Duration{0};
    mp.connect_when_connected = errc::is_connected;
    mp.recv_connecting_in_progress = false;
    mp.bind_reports_errors = true;
    mp.makefile_is_file = true;
    mp.getaddrinfo_filters = true;
    mp.dns_fail_code = -2;  // EAI_NONAME; lwIP ports raise -2 too
    mp.canonname_is_host = false;
    mp.has_inet_ntop = true;
    mp.recv_flags = true;
    mp.setsockopt_strict = true;
    mp.refused_is_econnrefused = true;
    mp.quectel_modules = false;
    mp.has_getsocketsta = false;
    mp.fin_read_enotconn = false;  // ports/unix/modsocket.c: read() gives 0
    mp.reset_read_once = true;     // the OS socket: ECONNRESET once, then 0
    mp.socket_family_oserror = true;
    mp.has_time_ns = true;
    mp.ticks_add_checks_range = true;
    v.push_back(mp);

    Dialect rt;
    rt.name = "rtthread";
    rt.summary = "RT-Thread MicroPython (lwIP): accept() -> (conn, addr), IPPROTO_SEC";
    rt.evidence = "RT-Thread MicroPython usocket docs (seeds 002, 004)";
    rt.constants = {
        {"AF_INET", 2},       {"SOCK_STREAM", 1},    {"SOCK_DGRAM", 2},
        {"SOCK_RAW", 3},      {"IPPROTO_TCP", 6},    {"IPPROTO_UDP", 17},
        {"IPPROTO_SEC", 100}, {"SOL_SOCKET", 0xFFF}, {"SO_REUSEADDR", 4},
    };
    rt.accept_shape = AcceptShape::conn_address;
    rt.getaddrinfo_unspecified_fails = false;
    rt.connect_select_window = false;
    rt.recv_poll = Duration{0};
    rt.connect_when_connected = errc::is_connected;
    rt.recv_connecting_in_progress = false;
    rt.bind_reports_errors = true;
    rt.canonname_is_host = false;
    rt.setsockopt_strict = true;
    rt.quectel_modules = false;
    rt.has_getsocketsta = false;
    rt.fin_read_enotconn = false;  // esp32's modsocket.c (its lineage): PEER_CLOSED, 0
    v.push_back(rt);

    Dialect esp = rt;
    esp.name = "esp32";
    esp.summary = "MicroPython's ESP32 port (seed 003's numbers): newlib errno, OSError(-202)";
    esp.evidence =
        "seed 003 (numeric constants); MicroPython ports/esp32/modsocket.c on ESP-IDF lwIP "
        "and newlib (ETIMEDOUT 116, EINPROGRESS 119)";
    esp.constants = {
        {"AF_INET", 2},           {"SOCK_STREAM", 1},  {"SOCK_DGRAM", 2},      {"SOCK_RAW", 3},
        {"IPPROTO_IP", 0},        {"IPPROTO_ICMP", 1}, {"IPPROTO_TCP", 6},     {"IPPROTO_UDP", 17},
        {"SOL_SOCKET", 0xFFF},    {"SO_REUSEADDR", 4}, {"SO_BROADCAST", 0x20}, {"TCP_NODELAY", 1},
        {"IP_ADD_MEMBERSHIP", 3},
    };
    esp.getaddrinfo_filters = true;
    esp.has_time_ns = true;
    esp.ticks_add_checks_range = true;
    esp.errno_space = ErrnoSpace::newlib;
    v.push_back(esp);

    return v;
}

ModuleProfile unisoc(std::string model, std::string fw, std::string pid) {
    ModuleProfile m;
    m.model = std::move(model);
    m.family = "ECxxxU";
    m.platform = "Unisoc";
    m.socket_limit = 15;
    m.fd_base = 0;
    m.firmware = std::move(fw);
    m.product_id = std::move(pid);
    m.sysname = m.firmware.substr(0, 6) + "-" + m.firmware.substr(6, 4);  // EC600U-CNLB
    m.summary = m.model + " (Unisoc, LTE Cat 1): 15 sockets, fd from 0";
    return m;
}

std::vector<ModuleProfile> make_modules() {
    std::vector<ModuleProfile> v;
    v.push_back(unisoc("EC600U", "EC600UCNLBR03A01M08_OCPU_QPY", "Quectel EC600U"));
    v.push_back(unisoc("EC200U", "EC200UCNAAR03A01M08_OCPU_QPY", "Quectel EC200U"));
    ModuleProfile g = unisoc("EC600G", "EC600GCNLDR02A01M16_OCPU_QPY", "Quectel EC600G");
    g.family = "ECxxxG";
    g.platform = "Unisoc 8850";
    g.summary = "EC600G (Unisoc 8850, LTE Cat 1): 15 sockets, fd from 0";
    v.push_back(g);

    ModuleProfile a;
    a.model = "EC200A";
    a.family = "ECxxxA";
    a.platform = "ASR";
    a.socket_limit = 64;
    a.fd_base = 3;
    a.firmware = "EC200AAUHAR01A01M16_OCPU_QPY";
    a.product_id = "Quectel EC200A";
    a.sysname = "EC200A-AUHA";
    a.summary = "EC200A (ASR, LTE Cat 4): 64 sockets, fd from 3";
    v.push_back(a);

    ModuleProfile n;
    n.model = "EC600N";
    n.family = "ECxxxN";
    n.platform = "ASR";
    n.socket_limit = 15;  // no published figure; the ECxxxU figure is assumed
    n.fd_base = 3;
    n.firmware = "EC600NCNLCR03A01M08_OCPU_QPY";
    n.product_id = "Quectel EC600N";
    n.sysname = "EC600N-CNLC";
    n.summary = "EC600N (ASR, LTE Cat 1): fd from 3, 15 sockets assumed";
    v.push_back(n);

    ModuleProfile n8 = n;
    n8.model = "EC800N";
    n8.firmware = "EC800NCNLCR03A01M08_OCPU_QPY";
    n8.product_id = "Quectel EC800N";
    n8.sysname = "EC800N-CNLC";
    n8.summary = "EC800N (ASR, LTE Cat 1): fd from 3, 15 sockets assumed";
    v.push_back(n8);

    ModuleProfile s = n;
    s.model = "EC600S";
    s.family = "ECxxxS";
    s.firmware = "EC600SCNLBR01A01M08_OCPU_QPY";
    s.product_id = "Quectel EC600S";
    s.sysname = "EC600S-CNLB";
    s.summary = "EC600S (ASR, LTE Cat 1): fd from 3, 15 sockets assumed";
    v.push_back(s);

    ModuleProfile bg;
    bg.model = "BG95";
    bg.family = "BG95";
    bg.platform = "Qualcomm";
    bg.socket_limit = 20;
    bg.fd_base = 0;
    bg.af_inet6 = 3;
    bg.sol_socket = -1;  // qapi_socket.h
    bg.has_getsocketsta = false;
    bg.errno_space = ErrnoSpace::qapi;
    bg.rat = 9;           // LTE Cat M1 (eMTC)
    bg.default_apn = "";  // a global module: the network assigns the APN
    bg.firmware = "BG95M3LAR02A03_01.200.01.200_QPY";
    bg.product_id = "Quectel BG95";
    bg.sysname = "BG95M3-LA";
    bg.summary =
        "BG95 (Qualcomm, LTE-M/NB-IoT): 20 sockets, no getsocketsta, QAPI errno, AF_INET6 = 3";
    v.push_back(bg);
    return v;
}

template <class T>
const T& find_by_name(const std::vector<T>& all, const std::string& name, const char* what,
                      std::string T::*key) {
    const std::string want = lower(name);
    for (const auto& x : all) {
        if (lower(x.*key) == want) return x;
    }
    std::string names;
    for (const auto& x : all)
        names += (names.empty() ? "" : ", ") + x.*key;
    throw UsageError(std::string("unknown ") + what + " '" + name + "' (known: " + names + ")");
}

}  // namespace

const std::vector<Dialect>& all_dialects() {
    static const std::vector<Dialect> v = make_dialects();
    return v;
}

const std::vector<ModuleProfile>& all_modules() {
    static const std::vector<ModuleProfile> v = make_modules();
    return v;
}

const Dialect& find_dialect(const std::string& name) {
    return find_by_name(all_dialects(), name, "dialect", &Dialect::name);
}

const ModuleProfile& find_module(const std::string& name) {
    return find_by_name(all_modules(), name, "module", &ModuleProfile::model);
}

const Dialect& default_dialect() {
    return all_dialects().front();
}
const ModuleProfile& default_module() {
    return all_modules().front();
}

ErrnoTable make_errno_table(const Dialect& d, const ModuleProfile& m) {
    ErrnoTable t;
    // MicroPython py/mperrno.h numbering (QuecPython uses the internal errno table).
    t[errc::ok] = {0, ""};
    t[errc::would_block] = {11, "EAGAIN"};
    t[errc::timed_out] = {110, "ETIMEDOUT"};
    t[errc::in_progress] = {115, "EINPROGRESS"};
    t[errc::conn_reset] = {104, "ECONNRESET"};
    t[errc::conn_refused] =
        d.refused_is_econnrefused ? ErrnoEntry{111, "ECONNREFUSED"} : ErrnoEntry{104, "ECONNRESET"};
    t[errc::conn_aborted] = {103, "ECONNABORTED"};
    t[errc::not_connected] = {107, "ENOTCONN"};
    t[errc::bad_fd] = {9, "EBADF"};
    t[errc::table_full] = {23, "ENFILE"};
    t[errc::already] = {114, "EALREADY"};
    t[errc::is_connected] = {106, "EISCONN"};
    t[errc::host_unreachable] = {113, "EHOSTUNREACH"};
    t[errc::invalid_argument] = {22, "EINVAL"};
    t[errc::addr_in_use] = {98, "EADDRINUSE"};
    t[errc::no_buffers] = {105, "ENOBUFS"};
    t[errc::not_supported] = {95, "EOPNOTSUPP"};
    t[errc::no_protocol_option] = {92, "ENOPROTOOPT"};
    // Not in MicroPython's errno table (py/moderrno.c:39-60): it prints as the
    // bare number, OSError(97).
    t[errc::family_not_supported] = {97, ""};
    // getaddrinfo failures: negative codes, printed bare.
    t[errc::dns_fail] = {d.dns_fail_code, ""};
    t[errc::dns_noname] = {-200, ""};
    t[errc::dns_service] = {-201, ""};
    t[errc::dns_null] = {-2, ""};
    t[errc::pdp_query_failed] = {-1, ""};

    if (d.errno_space == ErrnoSpace::newlib) {
        // newlib sys/errno.h (ESP-IDF): the socket errors move; EAGAIN, EBADF,
        // EINVAL, ENFILE, ECONNRESET and ENOBUFS keep their Linux numbers.
        t[errc::timed_out] = {116, "ETIMEDOUT"};
        t[errc::in_progress] = {119, "EINPROGRESS"};
        t[errc::conn_aborted] = {113, "ECONNABORTED"};
        t[errc::not_connected] = {128, "ENOTCONN"};
        t[errc::already] = {120, "EALREADY"};
        t[errc::is_connected] = {127, "EISCONN"};
        t[errc::host_unreachable] = {118, "EHOSTUNREACH"};
        t[errc::addr_in_use] = {112, "EADDRINUSE"};
        t[errc::no_protocol_option] = {109, "ENOPROTOOPT"};
        t[errc::family_not_supported] = {106, ""};
        if (d.refused_is_econnrefused) t[errc::conn_refused] = {111, "ECONNREFUSED"};
    }
    if (m.errno_space == ErrnoSpace::qapi) {
        // qapi_socket.h. Timeouts and would-block stay MicroPython's own (110,
        // 11): the firmware raises those itself; stack errors pass through.
        t[errc::conn_reset] = {8, "ECONNRESET"};
        t[errc::conn_refused] = {7, "ECONNREFUSED"};
        t[errc::conn_aborted] = {5, "ECONNABORTED"};
        t[errc::not_connected] = {9, "ENOTCONN"};
        t[errc::bad_fd] = {9, "EBADF"};
        t[errc::table_full] = {1, "ENOBUFS"};
        t[errc::already] = {10, "EALREADY"};
        t[errc::is_connected] = {3, "EISCONN"};
        t[errc::host_unreachable] = {30, "ENETUNREACH"};
        t[errc::invalid_argument] = {11, "EINVAL"};
        t[errc::no_buffers] = {1, "ENOBUFS"};
        t[errc::not_supported] = {4, "EOPNOTSUPP"};
        t[errc::in_progress] = {22, "EINPROGRESS"};
    }
    return t;
}

}  // namespace qpysim
