// slow_close: FIN takes `delay` longer to arrive (toxiproxy slow_close), and
// everything after it on that direction waits behind it.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct SlowClose final : FaultEffect {
    Duration delay{0};

    bool applies_to_udp() const noexcept override { return false; }
    void on_cross(const Fault&, const LinkInfo&, FaultFlow&, Crossing& c, FaultRandom&) override {
        if (c.tick || c.udp || c.kind != Segment::Kind::Fin) return;
        c.arrival += delay;
    }
};

}  // namespace

FaultKind slow_close_kind() {
    return {"slow_close",
            FaultScope::link,
            "FIN is delayed: the close reaches the other end late",
            {{"delay", "added to each FIN, a duration (default 5s)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<SlowClose>();
                e->delay = setting_duration(s, "delay", 5s);
                return e;
            }};
}

}  // namespace qpysim::faults
