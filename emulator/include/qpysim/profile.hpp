// Dialects (firmware generations and ports) and module models are data: one
// table row each. Code asks a profile a question ("does connect use the select
// window?"), it never compares model names.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "qpysim/error.hpp"
#include "qpysim/time.hpp"

namespace qpysim {

// How errors reach the script: OSError(number, name), or OSError(number) alone
// when `name` is empty (negative getaddrinfo codes print as the bare number).
struct ErrnoEntry {
    int number = 0;
    std::string name;
};

inline constexpr std::size_t kErrcCount = static_cast<std::size_t>(errc::family_not_supported) + 1;

class ErrnoTable {
  public:
    const ErrnoEntry& operator[](errc e) const { return entries_[static_cast<std::size_t>(e)]; }
    ErrnoEntry& operator[](errc e) { return entries_[static_cast<std::size_t>(e)]; }

  private:
    std::array<ErrnoEntry, kErrcCount> entries_{};
};

enum class AcceptShape {
    conn_ip_port,  // (conn, ip, port): QuecPython 2023+ firmware and docs
    conn_address,  // (conn, (ip, port)): QuecPython 2021, MicroPython, RT-Thread, ESP32
};

enum class ErrnoSpace {
    lwip,    // MicroPython's internal (Linux) numbering: ETIMEDOUT 110
    newlib,  // newlib's numbering (ESP-IDF): ETIMEDOUT 116, EINPROGRESS 119
    qapi,    // Qualcomm QAPI numbering (BG95): ETIMEDOUT 2, ECONNRESET 8
};

// A firmware generation or port: what its socket module looks like and how it
// behaves. One row per dialect in profile.cpp, each with its evidence.
struct Dialect {
    std::string name;
    std::string summary;
    std::string evidence;  // where the facts come from
    // The socket module's constants, name -> value, in export order.
    // AF_INET6 is the module model's (BG95: 3) and is not listed here.
    std::vector<std::pair<std::string, int>> constants;
    AcceptShape accept_shape = AcceptShape::conn_ip_port;
    // QuecPython connect(): a timeout of at least 1 s and under 25 s (UNIRTOS:
    // up to 25 s) waits with select and raises ETIMEDOUT; any other timeout is
    // a plain lwIP connect.
    bool connect_select_window = true;
    bool select_window_inclusive = false;
    // recv timeouts are counted in 100 ms polls; a timeout under one poll ends
    // with EAGAIN instead of ETIMEDOUT. Zero: exact timeouts.
    Duration recv_poll{100ms};
    // Unisoc builds: a non-blocking recv() while connect() is still in
    // progress raises EINPROGRESS rather than EAGAIN.
    bool recv_connecting_in_progress = true;
    // connect() on a connected socket raises this.
    errc connect_when_connected = errc::already;
    // getaddrinfo("") (read as "0.0.0.0") raises OSError(-2): the 2023+
    // firmware treats a "0.0.0.0" answer as no answer.
    bool getaddrinfo_unspecified_fails = true;
    // Module-level getaddrinfo() returns [] on failure instead of raising.
    bool getaddrinfo_empty_on_failure = false;
    // What a failed lookup raises: OSError(code), negative (lwIP EAI_FAIL -202;
    // upstream ports -2).
    int dns_fail_code = -202;
    // getaddrinfo's canonname: the host name (QuecPython) or '' (MicroPython).
    bool canonname_is_host = true;
    // getaddrinfo(host, port, af, type, proto, flags) filters on af and echoes
    // type/proto in the result; false: hints ignored, (af, 1, 0) always.
    bool getaddrinfo_filters = false;
    // bind() raises on a taken port (the 2023+ firmware ignores lwip_bind's result).
    bool bind_reports_errors = false;
    // listen() needs its backlog argument.
    bool listen_requires_backlog = false;
    // The read that meets the peer's FIN raises ENOTCONN and later reads return
    // b'' (QuecPython: lwIP's recv returns 0 with errno ENOTCONN, and the
    // firmware raises it, then sets PEER_CLOSED; NEW-FW modsocket.c:873-879,
    // 929-936). false: b'' every time (POSIX; the unix and esp32 ports).
    bool fin_read_enotconn = true;
    // A reset is reported once (ECONNRESET), then reads return b'' and poll
    // gives POLLIN|POLLHUP: a POSIX stack (the unix port) clears the socket's
    // error when it reports it (Linux sock_error()). false: ECONNRESET on
    // every call, as qpysim models lwIP (not verified against the firmware).
    bool reset_read_once = false;
    // Stream methods (read, readinto, readline, write) return None when a
    // non-blocking socket would block (MicroPython's py/stream.c, shared by
    // every port), instead of raising EAGAIN as recv() does.
    bool stream_none_when_would_block = true;
    // makefile() returns a file object whose close() closes the socket; false:
    // makefile() returns the socket itself.
    bool makefile_is_file = false;
    // inet_ntop / inet_pton exist.
    bool has_inet_ntop = false;
    // getsockopt(SOL_SOCKET, SO_ACCEPTCONN) exists (UNIRTOS).
    bool has_getsockopt = false;
    // recv(bufsize, flags) takes MSG_PEEK / MSG_DONTWAIT.
    bool recv_flags = false;
    // setsockopt with an unknown option raises ENOPROTOOPT (lwIP) instead of
    // printing QuecPython's warning; the level must match the option.
    bool setsockopt_strict = false;
    // socket.getsocketsta() exists (a QuecPython method; the module can still
    // lack it: ModuleProfile::has_getsocketsta).
    bool has_getsocketsta = true;
    // getsocketsta() reports only 0, 1, 4 and -1 (UNIRTOS).
    bool coarse_socket_state = false;
    // A refused connect raises ECONNREFUSED (host OS behaviour) rather than
    // lwIP's ECONNRESET.
    bool refused_is_econnrefused = false;
    // The firmware's errno numbering (the module's QAPI numbering wins on BG95).
    ErrnoSpace errno_space = ErrnoSpace::lwip;
    // QuecPython's own modules exist: checkNet, dataCall, net, sim, modem, misc,
    // osTimer, log, sys_bus.
    bool quectel_modules = true;
    // select / uselect is compiled in.
    bool has_select = true;
    // socket() with an unknown family raises OSError(EAFNOSUPPORT), as the OS's
    // socket(2) does under the unix port (ports/unix/modsocket.c:490-513);
    // false: qpysim refuses it with ValueError (lwIP ignores the family,
    // which qpysim does not model).
    bool socket_family_oserror = false;
    // time.time_ns() exists: MICROPY_PY_TIME_TIME_TIME_NS (off by default,
    // py/mpconfig.h:1914-1916; on in the unix port, variants/
    // mpconfigvariant_common.h:105, and esp32, mpconfigport.h:83).
    bool has_time_ns = false;
    // time.ticks_add() refuses a delta of half the ticks period or more with
    // OverflowError("ticks interval overflow") (upstream extmod/modtime.c:
    // 183-193); QuecPython's utime_mphal.c:96-101 wraps it silently.
    bool ticks_add_checks_range = false;
};

struct ModuleProfile {
    std::string model;  // "EC600U"
    std::string summary;
    std::string family;    // "ECxxxU": what the FAQ's limits are stated for
    std::string platform;  // "Unisoc", "ASR", "Qualcomm"
    int socket_limit = 15;
    int fd_base = 0;
    int af_inet6 = 10;
    // SOL_SOCKET as the module's stack headers define it, where they differ
    // from the dialect's (Qualcomm QAPI: -1); 0: the dialect's value.
    int sol_socket = 0;
    bool has_getsocketsta = true;
    ErrnoSpace errno_space = ErrnoSpace::lwip;
    std::size_t sndbuf = 64 * 1024;
    std::size_t rcvbuf = 64 * 1024;
    int rat = 7;             // net.getState() access technology: 7 = E-UTRAN
    std::string firmware;    // modem.getDevFwVersion()
    std::string product_id;  // modem.getDevProductId()
    std::string sysname;     // uos.uname() sysname
    std::string default_apn = "cmnet";
    // The module's CPU in virtual time (README "Device time"): what one call
    // into the firmware (a socket call, a clock read) costs, and one line of
    // plain Python a device thread spins on. Estimates for a MicroPython
    // interpreter on these 500 MHz-class application cores, not measured.
    Duration call_cost = std::chrono::microseconds(20);
    Duration line_cost = std::chrono::microseconds(1);
};

// Every known dialect / module, in the order `qpysim dialects|modules` lists them.
const std::vector<Dialect>& all_dialects();
const std::vector<ModuleProfile>& all_modules();

// Look up by name, case-insensitive. Throws UsageError listing the valid names.
const Dialect& find_dialect(const std::string& name);
const ModuleProfile& find_module(const std::string& name);

const Dialect& default_dialect();
const ModuleProfile& default_module();

// The errno a script sees for each core error on this dialect and module.
ErrnoTable make_errno_table(const Dialect& d, const ModuleProfile& m);

}  // namespace qpysim
