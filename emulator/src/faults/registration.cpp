// registration: the network puts the module in a registration state: denied
// (3) or searching (2) drop the data calls as coverage loss does; roaming (5)
// keeps them. Lifting restores the state from before.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Registration final : FaultEffect {
    RegState state = RegState::denied;
    RegState before = RegState::home;

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault& f) override {
        before = m.registration();
        m.set_registration(state, f.spec.name);
    }
    void on_lift(ModuleControl& m, const Fault& f) override {
        m.set_registration(before, f.spec.name + " lifted");
    }
};

}  // namespace

FaultKind registration_kind() {
    return {"registration",
            FaultScope::module,
            "the network registration state changes (denied, searching, roaming...)",
            {{"state",
              "home (1), searching (2), denied (3), unknown (4), roaming (5) or "
              "not_searching (0); default denied"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<Registration>();
                const std::string w = setting_word(
                    s, "state", "denied",
                    {"home", "searching", "denied", "unknown", "roaming", "not_searching"});
                e->state = w == "home"            ? RegState::home
                           : w == "searching"     ? RegState::searching
                           : w == "unknown"       ? RegState::unknown
                           : w == "roaming"       ? RegState::roaming
                           : w == "not_searching" ? RegState::not_searching
                                                  : RegState::denied;
                return e;
            }};
}

}  // namespace qpysim::faults
