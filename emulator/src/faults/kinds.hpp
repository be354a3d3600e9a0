// The built-in fault kinds, one file each in this folder. Each file has a
// short effect struct with its documented settings and a *_kind() function
// that register_builtin_faults() (faults.cpp) calls; nothing registers itself.
#pragma once

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

// Shared by link faults: is this crossing a TCP segment carrying payload?
inline bool is_tcp_data(const Crossing& c) {
    return !c.udp && !c.tick && c.kind == Segment::Kind::Data;
}

}  // namespace qpysim::faults
