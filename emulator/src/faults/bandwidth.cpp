// bandwidth: the link carries at most `rate` in each direction it matches,
// shared by every connection and datagram it matches (it is the radio link,
// not a per-connection shaper). Payload bytes queue behind each other: a
// segment arrives when the wire has carried it, on top of any latency. TCP
// data crosses in MSS-sized pieces, each arriving as the wire finishes it, so
// a receiver (and an echoing peer) sees a stream, not one late lump.
#include <algorithm>
#include <cmath>

#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Bandwidth final : FaultEffect {
    double bytes_per_second = 0;
    DeviceTime busy_until[2]{};  // per direction: up, down

    static constexpr std::size_t kMss = 1460;

    Duration on_wire(std::size_t bytes) const {
        return Duration(static_cast<std::int64_t>(
            std::ceil(static_cast<double>(bytes) / bytes_per_second * 1e9)));
    }

    void on_cross(const Fault&, const LinkInfo&, FaultFlow&, Crossing& c, FaultRandom&) override {
        if (c.tick || c.bytes == 0) return;
        DeviceTime& busy = busy_until[c.dir == Direction::down ? 1 : 0];
        const DeviceTime start = std::max(c.now, busy);
        busy = start + on_wire(c.bytes);
        if (is_tcp_data(c)) {
            c.slice = c.slice == 0 ? kMss : std::min(c.slice, kMss);
            c.slice_gap = std::max(c.slice_gap, on_wire(c.slice));
            c.arrival += (start - c.now) + on_wire(std::min(c.bytes, c.slice));
        } else {
            c.arrival += busy - c.now;
        }
    }
};

}  // namespace

FaultKind bandwidth_kind() {
    return {"bandwidth",
            FaultScope::link,
            "at most this many bytes per second each way, shared by all matching traffic",
            {{"rate", "required: 9600bit, 256kbit, 1Mbit (bits/s) or 32KB/s (bytes/s)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<Bandwidth>();
                e->bytes_per_second = setting_rate(s, "rate");
                return e;
            }};
}

}  // namespace qpysim::faults
