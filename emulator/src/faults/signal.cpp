// signal: the signal quality (CSQ, and the RSSI that follows from it)
// changes. Data keeps flowing: pair it with loss or latency for a weak cell.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Signal final : FaultEffect {
    int csq = 0;
    int before = 0;

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault&) override {
        before = m.csq();
        m.set_csq(csq);
    }
    void on_lift(ModuleControl& m, const Fault&) override { m.set_csq(before); }
};

}  // namespace

FaultKind signal_kind() {
    return {"signal",
            FaultScope::module,
            "net.csqQueryPoll() reports this CSQ (0..31, 99 unknown) until lifted",
            {{"csq", "0..31 or 99 (default 5, a weak cell)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<Signal>();
                e->csq = static_cast<int>(setting_int(s, "csq", 5, 0, 99));
                if (e->csq > 31 && e->csq != 99) throw UsageError("csq must be 0..31 or 99");
                return e;
            }};
}

}  // namespace qpysim::faults
