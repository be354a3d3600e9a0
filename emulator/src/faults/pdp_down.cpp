// pdp_down: the network deactivates a data call (a PDP context) and refuses
// to bring it back while the fault holds. The script's dataCall callback gets
// (id, 0, ...); sockets on the old address abort with ECONNABORTED;
// dataCall.activate() fails. When lifted, a context set to reconnect comes
// back with a new address and the callback gets (id, 1, ...).
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct PdpDown final : FaultEffect {
    int id = 1;

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault& f) override { m.block_pdp(id, true, f.spec.name); }
    void on_lift(ModuleControl& m, const Fault& f) override {
        m.block_pdp(id, false, f.spec.name + " lifted");
    }
};

}  // namespace

FaultKind pdp_down_kind() {
    return {"pdp_down",
            FaultScope::module,
            "the network drops a data call and refuses it until lifted",
            {{"id", "the PDP context, 1..7 (default 1)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<PdpDown>();
                e->id = static_cast<int>(setting_int(s, "id", 1, 1, Cellular::kPdpCount));
                return e;
            }};
}

}  // namespace qpysim::faults
