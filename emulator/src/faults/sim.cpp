// sim: the SIM card is absent, locked or blocked. The module deregisters and
// the data calls drop; sim.getStatus() reports the state. Lifting puts the
// SIM back (ready) and the module registers again.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Sim final : FaultEffect {
    SimStatus status = SimStatus::absent;
    SimStatus before = SimStatus::ready;

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault& f) override {
        before = m.sim();
        m.set_sim(status, f.spec.name);
    }
    void on_lift(ModuleControl& m, const Fault& f) override {
        m.set_sim(before, f.spec.name + " lifted");
    }
};

}  // namespace

FaultKind sim_kind() {
    return {"sim",
            FaultScope::module,
            "the SIM is absent, PIN-locked, PUK-locked or blocked until lifted",
            {{"status", "absent (0, default), locked (2, PIN), puk (3), blocked (19)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<Sim>();
                const std::string w =
                    setting_word(s, "status", "absent", {"absent", "locked", "puk", "blocked"});
                e->status = w == "locked"    ? SimStatus::pin_required
                            : w == "puk"     ? SimStatus::puk_required
                            : w == "blocked" ? SimStatus::blocked
                                             : SimStatus::absent;
                return e;
            }};
}

}  // namespace qpysim::faults
