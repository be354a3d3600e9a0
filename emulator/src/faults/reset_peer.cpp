// reset_peer: the connection is reset (RST to both ends) after a time, after
// some bytes, or at once (toxiproxy reset_peer). The script sees ECONNRESET.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct ResetPeer final : FaultEffect {
    std::optional<Duration> after;
    std::optional<std::uint64_t> after_bytes;

    bool applies_to_udp() const noexcept override { return false; }
    void on_cross(const Fault& f, const LinkInfo&, FaultFlow& flow, Crossing& c,
                  FaultRandom&) override {
        if (flow.fired) return;
        bool fire = !after && !after_bytes;
        if (after) {
            const DeviceTime when = flow.since + *after;
            if (c.now >= when) {
                fire = true;
            } else {
                flow.wake_at = when;
            }
        }
        if (after_bytes && is_tcp_data(c)) {
            const std::uint64_t left = *after_bytes - flow.bytes;
            if (c.bytes >= left) {
                c.keep = static_cast<std::size_t>(left);
                fire = true;
            }
            flow.bytes += c.bytes;
        }
        if (fire) {
            c.reset = true;
            c.why = f.spec.name;
            flow.fired = true;
            flow.wake_at.reset();
        }
    }
};

}  // namespace

FaultKind reset_peer_kind() {
    return {"reset_peer",
            FaultScope::link,
            "the connection is reset (RST to both ends): at once, after a time or some bytes",
            {{"after", "reset this long after the fault meets the connection (a duration)"},
             {"after_bytes", "reset once this many payload bytes have passed"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<ResetPeer>();
                if (setting_text(s, "after")) e->after = setting_duration(s, "after", Duration{0});
                e->after_bytes = setting_bytes(s, "after_bytes");
                return e;
            }};
}

}  // namespace qpysim::faults
