// blackhole: everything matching vanishes, SYNs included: connect() times
// out (ETIMEDOUT with a timeout, ECONNABORTED after lwIP's SYN retries), an
// established connection stalls until retransmissions give up, and UDP
// datagrams are lost. Toxiproxy's "timeout" toxic with no timeout.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Blackhole final : FaultEffect {
    void on_cross(const Fault& f, const LinkInfo&, FaultFlow&, Crossing& c, FaultRandom&) override {
        if (c.tick) return;
        c.drop = true;
        if (c.why.empty()) c.why = f.spec.name;
    }
};

}  // namespace

FaultKind blackhole_kind() {
    return {"blackhole",
            FaultScope::link,
            "everything matching is swallowed, SYNs included: connects time out",
            {},
            [](const FaultSettings&) { return std::make_shared<Blackhole>(); }};
}

}  // namespace qpysim::faults
