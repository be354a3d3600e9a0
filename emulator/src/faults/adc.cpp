// adc: an ADC channel reads this voltage (a battery sagging, a sensor's output
// moving, a supply rail dropping). misc.ADC().read(channel) returns it in mV.
// Lifting puts back what drove the channel before (a test's Device.adc(n).mv,
// or 0 mV).
#include "kinds.hpp"
#include "qpysim/peripherals.hpp"

namespace qpysim::faults {

namespace {

struct AdcLevel final : FaultEffect {
    int channel = 0;
    int millivolts = 0;
    std::optional<int> before;

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault&) override {
        before = m.peripherals().adc_drive(channel);
        m.peripherals().drive_adc(channel, millivolts);
    }
    void on_lift(ModuleControl& m, const Fault&) override {
        m.peripherals().drive_adc(channel, before);
    }
};

}  // namespace

FaultKind adc_kind() {
    return {"adc",
            FaultScope::module,
            "an ADC channel reads this voltage until lifted (a battery sagging, a sensor moving)",
            {{"channel", "0..3 (ADC0..ADC3; default 0)"}, {"mv", "required: millivolts, 0..5000"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<AdcLevel>();
                e->channel =
                    static_cast<int>(setting_int(s, "channel", 0, 0, Peripherals::kAdcCount - 1));
                if (!setting_text(s, "mv")) throw UsageError("mv is required");
                e->millivolts = static_cast<int>(setting_int(s, "mv", 0, 0, 5000));
                return e;
            }};
}

}  // namespace qpysim::faults
