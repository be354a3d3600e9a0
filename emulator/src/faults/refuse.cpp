// refuse: a SYN is answered with RST, as from a closed port or a firewall
// that rejects. The script's connect() raises ECONNRESET on QuecPython (lwIP
// has no ECONNREFUSED) and ECONNREFUSED on dialects that say so.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Refuse final : FaultEffect {
    bool applies_to_udp() const noexcept override { return false; }
    void on_cross(const Fault& f, const LinkInfo&, FaultFlow&, Crossing& c, FaultRandom&) override {
        if (c.tick || c.kind != Segment::Kind::Syn) return;
        c.refuse = true;
        c.why = f.spec.name;
    }
};

}  // namespace

FaultKind refuse_kind() {
    return {"refuse",
            FaultScope::link,
            "new connections are refused: the SYN is answered with RST",
            {},
            [](const FaultSettings&) { return std::make_shared<Refuse>(); }};
}

}  // namespace qpysim::faults
