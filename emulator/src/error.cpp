#include "qpysim/error.hpp"

namespace qpysim {

const char* to_string(errc e) noexcept {
    switch (e) {
        case errc::ok:
            return "ok";
        case errc::would_block:
            return "would_block";
        case errc::timed_out:
            return "timed_out";
        case errc::in_progress:
            return "in_progress";
        case errc::conn_reset:
            return "conn_reset";
        case errc::conn_refused:
            return "conn_refused";
        case errc::conn_aborted:
            return "conn_aborted";
        case errc::not_connected:
            return "not_connected";
        case errc::bad_fd:
            return "bad_fd";
        case errc::table_full:
            return "table_full";
        case errc::already:
            return "already";
        case errc::is_connected:
            return "is_connected";
        case errc::host_unreachable:
            return "host_unreachable";
        case errc::invalid_argument:
            return "invalid_argument";
        case errc::addr_in_use:
            return "addr_in_use";
        case errc::no_buffers:
            return "no_buffers";
        case errc::not_supported:
            return "not_supported";
        case errc::dns_fail:
            return "dns_fail";
        case errc::dns_noname:
            return "dns_noname";
        case errc::dns_service:
            return "dns_service";
        case errc::dns_null:
            return "dns_null";
        case errc::pdp_query_failed:
            return "pdp_query_failed";
        case errc::no_protocol_option:
            return "no_protocol_option";
        case errc::family_not_supported:
            return "family_not_supported";
    }
    return "unknown";
}

namespace {

class CoreCategory final : public std::error_category {
  public:
    const char* name() const noexcept override { return "qpysim"; }
    std::string message(int ev) const override { return to_string(static_cast<errc>(ev)); }
};

}  // namespace

const std::error_category& core_category() noexcept {
    static const CoreCategory category;
    return category;
}

}  // namespace qpysim
