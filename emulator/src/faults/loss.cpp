// loss: each segment or datagram is lost with probability `rate` (netem loss).
// A lost UDP datagram is gone. A lost TCP segment is retransmitted by the link
// model with lwIP's backoff (Connection), so the script sees delay, and past
// TCP_MAXRTX retransmissions of one segment, ECONNABORTED. A lost SYN is
// retried by the socket's own SYN timer.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Loss final : FaultEffect {
    double rate = 0;

    void on_cross(const Fault& f, const LinkInfo&, FaultFlow&, Crossing& c,
                  FaultRandom& rng) override {
        if (c.tick || c.drop) return;
        if (rng.chance(rate)) {
            c.drop = true;
            c.why = f.spec.name;
        }
    }
};

}  // namespace

FaultKind loss_kind() {
    return {"loss",
            FaultScope::link,
            "segments and datagrams are lost at random (TCP retransmits; UDP does not)",
            {{"rate", "probability each is lost, 0..1 or a percentage like 5% (default 0.05)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<Loss>();
                e->rate = setting_number(s, "rate", 0.05, 0.0, 1.0);
                return e;
            }};
}

}  // namespace qpysim::faults
