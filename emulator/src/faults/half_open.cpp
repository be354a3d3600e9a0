// half_open: the peer of every connection open when the fault is applied is
// gone without a FIN (its host lost power, or a middlebox dropped the state).
// Nothing crosses any more, either way. With answer: rst the peer's host is
// back up with no memory of the connection, so the device's next segment
// draws an RST (ECONNRESET). New connections are not affected.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct HalfOpen final : FaultEffect {
    bool answer_rst = false;

    bool applies_to_udp() const noexcept override { return false; }
    void on_cross(const Fault& f, const LinkInfo& link, FaultFlow& flow, Crossing& c,
                  FaultRandom&) override {
        if (c.tick) return;
        if (!flow.dead) {
            if (link.opened >= f.applied_at || flow.fired) {
                flow.fired = true;  // opened after the fault: a healthy connection
                return;
            }
            flow.dead = true;
        }
        if (answer_rst && c.dir == Direction::up && c.kind != Segment::Kind::Rst) {
            c.answer_rst = true;
        } else {
            c.drop = true;
        }
        c.why = f.spec.name;
    }
};

}  // namespace

FaultKind half_open_kind() {
    return {"half_open",
            FaultScope::link,
            "connections open now lose their peer without a FIN; nothing crosses any more",
            {{"answer", "none (default): silence; rst: the device's next segment draws RST"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<HalfOpen>();
                e->answer_rst = setting_word(s, "answer", "none", {"none", "rst"}) == "rst";
                return e;
            }};
}

}  // namespace qpysim::faults
