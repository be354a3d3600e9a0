// reboot: the module restarts (a watchdog, a brown-out, a firmware crash).
// Under `qpysim run` the script starts again with power-on reason 2 and the
// scenario's timeline carries on; sockets, threads and timers are gone.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Reboot final : FaultEffect {
    FaultScope scope() const noexcept override { return FaultScope::instant; }
    void on_apply(ModuleControl& m, const Fault& f) override { m.reboot(f.spec.name); }
};

}  // namespace

FaultKind reboot_kind() {
    return {"reboot",
            FaultScope::instant,
            "the module restarts; the script starts again (power-on reason 2)",
            {},
            [](const FaultSettings&) { return std::make_shared<Reboot>(); }};
}

}  // namespace qpysim::faults
