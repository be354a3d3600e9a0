// vbatt: the module's supply sags (a battery running down, a weak charger, a
// long cable). misc.Power.getVbatt() returns this many millivolts until
// lifted; it is 3800 mV otherwise. Nothing else changes: a module that
// browns out is a reboot fault at the moment it happens.
#include "kinds.hpp"
#include "qpysim/peripherals.hpp"

namespace qpysim::faults {

namespace {

struct Vbatt final : FaultEffect {
    int millivolts = 0;
    std::optional<int> before;

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault&) override {
        before = m.peripherals().vbatt_drive();
        m.peripherals().set_vbatt(millivolts);
    }
    void on_lift(ModuleControl& m, const Fault&) override { m.peripherals().set_vbatt(before); }
};

}  // namespace

FaultKind vbatt_kind() {
    return {"vbatt",
            FaultScope::module,
            "misc.Power.getVbatt() reports this supply voltage until lifted (a draining battery)",
            {{"mv", "required: millivolts, 0..5000 (nominal 3800)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<Vbatt>();
                if (!setting_text(s, "mv")) throw UsageError("mv is required");
                e->millivolts = static_cast<int>(setting_int(s, "mv", 0, 0, 5000));
                return e;
            }};
}

}  // namespace qpysim::faults
