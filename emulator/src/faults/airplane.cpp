// airplane: the module goes to airplane mode (CFUN=4), as net.setModemFun(4)
// does: deregistered, data calls down. Lifting sets CFUN=1; registration and
// the reconnecting data calls follow.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Airplane final : FaultEffect {
    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault&) override { m.set_airplane(true); }
    void on_lift(ModuleControl& m, const Fault&) override { m.set_airplane(false); }
};

}  // namespace

FaultKind airplane_kind() {
    return {"airplane",
            FaultScope::module,
            "airplane mode (CFUN=4) until lifted",
            {},
            [](const FaultSettings&) { return std::make_shared<Airplane>(); }};
}

}  // namespace qpysim::faults
