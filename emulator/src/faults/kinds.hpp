// The built-in fault kinds, one file each in this folder. Each file has a
// short effect struct with its documented settings and a *_kind() function
// that register_builtin_faults() (faults.cpp) calls; nothing registers itself.
#pragma once

#include <optional>
#include <string>

#include "qpysim/faults.hpp"

namespace qpysim::faults {

// Link faults.
FaultKind latency_kind();
FaultKind bandwidth_kind();
FaultKind loss_kind();
FaultKind slicer_kind();
FaultKind limit_data_kind();
FaultKind reset_peer_kind();
FaultKind blackhole_kind();
FaultKind refuse_kind();
FaultKind slow_close_kind();
FaultKind half_open_kind();
FaultKind nat_idle_kind();

// DNS faults. `name` is dns_nxdomain, dns_servfail or dns_timeout.
FaultKind dns_failure_kind(const std::string& name);
FaultKind dns_slow_kind();
FaultKind dns_wrong_kind();

// Cellular faults.
FaultKind coverage_loss_kind();
FaultKind registration_kind();
FaultKind signal_kind();
FaultKind sim_kind();
FaultKind pdp_down_kind();
FaultKind airplane_kind();
FaultKind reboot_kind();

// Module limits. `name` is sockets, sndbuf or rcvbuf.
FaultKind module_limit_kind(const std::string& name);

// Peripheral faults: what the world outside the module does to its lines.
FaultKind pin_kind();
FaultKind uart_overrun_kind();
FaultKind i2c_nack_kind();
FaultKind adc_kind();
FaultKind vbatt_kind();

// Service faults: what a virtual service answers.
FaultKind http_status_kind();
FaultKind http_delay_kind();
FaultKind mqtt_refuse_kind();
FaultKind mqtt_drop_kind();
FaultKind mqtt_disconnect_kind();

// Shared by service faults: which requests (method, path) or MQTT events
// (client, topic) a fault is about, and its `count` (the first N of them).
struct EventFilter {
    std::string method = "*";  // HTTP method, or *
    std::string path = "*";    // exact, or a prefix ending in *
    std::string client = "*";  // MQTT client id: exact, or a prefix ending in *
    std::string topic = "#";   // an MQTT topic filter
    std::optional<std::uint64_t> count;
    std::uint64_t used = 0;

    static bool pattern(const std::string& want, const std::string& have) {
        if (want == "*") return true;
        if (!want.empty() && want.back() == '*')
            return have.compare(0, want.size() - 1, want, 0, want.size() - 1) == 0;
        return want == have;
    }
    bool http(const ServiceEvent& ev) const {
        return ev.protocol == "http" && (method == "*" || method == ev.method) &&
               pattern(path, ev.path);
    }
    bool left() const { return !count || used < *count; }
    // Count one use; false once the count is spent.
    bool use() {
        if (!left()) return false;
        ++used;
        return true;
    }
    // Read method, path, client, topic and count from the settings that exist.
    void read(const FaultSettings& s);
};

// Shared by link faults: is this crossing a TCP segment carrying payload?
inline bool is_tcp_data(const Crossing& c) {
    return !c.udp && !c.tick && c.kind == Segment::Kind::Data;
}

}  // namespace qpysim::faults
