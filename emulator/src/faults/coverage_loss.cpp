// coverage_loss: the module loses the network (a basement, a tunnel, a dead
// cell). Registration goes to searching (2), CSQ to 99, every data call drops
// (dataCall callbacks with state 0, sockets abort with ECONNABORTED). When
// lifted, the module registers again after `reattach`, and the data calls set
// to reconnect come back with a new address (callbacks with state 1).
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct CoverageLoss final : FaultEffect {
    Duration reattach{0};

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault& f) override {
        m.set_coverage(true, reattach, f.spec.name);
    }
    void on_lift(ModuleControl& m, const Fault& f) override {
        m.set_coverage(false, reattach, f.spec.name);
    }
};

}  // namespace

FaultKind coverage_loss_kind() {
    return {"coverage_loss",
            FaultScope::module,
            "no network: registration searching, CSQ 99, data calls down until lifted",
            {{"reattach", "registration time once coverage returns, a duration (default 2s)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<CoverageLoss>();
                e->reattach = setting_duration(s, "reattach", 2s);
                return e;
            }};
}

}  // namespace qpysim::faults
