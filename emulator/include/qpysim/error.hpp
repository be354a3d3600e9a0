// One error vocabulary for the whole core (after Asio's error.hpp and lwIP's
// err_to_errno_table): every failure a device script can observe is one `errc`.
// The core never speaks errno; a dialect's table (profile.hpp) turns an errc into
// the number and name the firmware raises, and only the bindings build OSError.
#pragma once

#include <string>
#include <system_error>

namespace qpysim {

enum class errc {
    ok = 0,
    would_block,           // non-blocking call found nothing to do (EAGAIN)
    timed_out,             // a settimeout() deadline passed (ETIMEDOUT)
    in_progress,           // non-blocking connect started (EINPROGRESS)
    conn_reset,            // peer sent RST on an established connection (ECONNRESET)
    conn_refused,          // RST answered our SYN; lwIP reports it as ECONNRESET
    conn_aborted,          // the stack gave up: SYN or data retries, keepalive (ECONNABORTED)
    not_connected,         // stream call on an unconnected socket (ENOTCONN)
    bad_fd,                // call on a closed socket (EBADF)
    table_full,            // the module's socket table is full (ENFILE)
    already,               // connect on a connected socket, QuecPython 2025 (EALREADY)
    is_connected,          // connect on a connected socket, UniRTOS (EISCONN)
    host_unreachable,      // no active PDP context / no route (EHOSTUNREACH)
    invalid_argument,      // bad value for the stack (EINVAL)
    addr_in_use,           // port taken (EADDRINUSE)
    no_buffers,            // out of pcbs or buffers (ENOBUFS)
    not_supported,         // operation not supported on this socket type (EOPNOTSUPP)
    dns_fail,              // name did not resolve (lwIP EAI_FAIL, raised as -202)
    dns_noname,            // lwIP EAI_NONAME (-200)
    dns_service,           // bad service/port string (lwIP EAI_SERVICE, -201)
    dns_null,              // lookup returned nothing (QuecPython raises OSError(-2))
    pdp_query_failed,      // QuecPython could not query the PDP context (OSError(-1))
    no_protocol_option,    // setsockopt with an option the stack does not know (ENOPROTOOPT)
    family_not_supported,  // socket() with an address family the OS has not (EAFNOSUPPORT)
};

const std::error_category& core_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), core_category()};
}

// The RFC-ish name of a core error, e.g. "timed_out". Used in traces and logs.
const char* to_string(errc e) noexcept;

// Thrown by core calls that fail the way a device call fails. Carries an errc;
// the bindings map it through the active dialect.
class Error : public std::system_error {
  public:
    explicit Error(errc e) : std::system_error(make_error_code(e)) {}
    Error(errc e, const std::string& what) : std::system_error(make_error_code(e), what) {}
    errc code_value() const noexcept { return static_cast<errc>(code().value()); }
};

// Thrown out of every blocking wait once the modem halts (script ended, module
// reboot, time limit). Not an Error: device code must not be able to catch it as
// an OSError. The bindings turn it into qpysim's own BaseException.
class Halted : public std::exception {
  public:
    explicit Halted(std::string reason) : reason_(std::move(reason)) {}
    const char* what() const noexcept override { return reason_.c_str(); }

  private:
    std::string reason_;
};

// Bad input from the user that is not a device error: a malformed scenario, a
// wrong argument. The bindings raise ValueError; the CLI prints it and exits 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace qpysim

template <>
struct std::is_error_code_enum<qpysim::errc> : std::true_type {};
