// nat_idle: the carrier's NAT forgets a mapping that carried nothing for
// `timeout`. A forgotten TCP connection is dead: the server's segments are
// dropped at the NAT, and the device's are dropped too (action: drop, the
// common carrier behaviour: retransmissions, then ECONNABORTED) or draw an
// RST (action: reset: ECONNRESET on the next send). Keepalive probes and any
// other segment count as activity. A forgotten UDP mapping drops inbound
// datagrams until the device sends again on it.
#include <map>

#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct NatIdle final : FaultEffect {
    Duration timeout{0};
    bool reset = false;

    void on_cross(const Fault& f, const LinkInfo& link, FaultFlow& flow, Crossing& c,
                  FaultRandom&) override {
        if (c.tick) return;
        if (c.udp) {
            // flow.since is when the mapping last carried a datagram.
            if (c.dir == Direction::up) {
                flow.since = c.now;
            } else if (c.now - std::max(flow.since, f.applied_at) >= timeout) {
                c.drop = true;
                c.why = f.spec.name;
            } else {
                flow.since = c.now;
            }
            return;
        }
        if (!flow.dead) {
            const DeviceTime last = std::max(link.last_activity, f.applied_at);
            if (link.established && c.now - last >= timeout) flow.dead = true;
        }
        if (!flow.dead) return;
        c.why = f.spec.name;
        if (reset && c.dir == Direction::up && c.kind != Segment::Kind::Rst) {
            c.answer_rst = true;
        } else {
            c.drop = true;
        }
    }
};

}  // namespace

FaultKind nat_idle_kind() {
    return {"nat_idle",
            FaultScope::link,
            "the carrier NAT forgets connections idle for longer than the timeout",
            {{"timeout", "idle time after which a mapping is forgotten (default 5m)"},
             {"action",
              "drop (default): silence both ways; reset: the device's next "
              "segment draws RST"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<NatIdle>();
                e->timeout = setting_duration(s, "timeout", 5min);
                if (e->timeout.count() <= 0) throw UsageError("timeout must be above zero");
                e->reset = setting_word(s, "action", "drop", {"drop", "reset"}) == "reset";
                return e;
            }};
}

}  // namespace qpysim::faults
