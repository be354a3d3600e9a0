// pin: something outside the module holds an input pin at a level (a button
// pressed, a sensor's alarm line, a door contact). Pin.value() reads it and an
// ExtInt on the pin sees the edge, as when a test sets Device.pin(n).level.
// Lifting lets the pin go back to what drove it before (usually nothing: the
// app's pull decides). A pin the app drives as an output is unaffected.
#include "kinds.hpp"
#include "qpysim/peripherals.hpp"

namespace qpysim::faults {

namespace {

struct PinLevel final : FaultEffect {
    int gpio = 0;
    int level = 0;
    std::optional<int> before;

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault&) override {
        before = m.peripherals().pin_drive(gpio);
        m.peripherals().drive_pin(gpio, level);
    }
    void on_lift(ModuleControl& m, const Fault&) override {
        m.peripherals().drive_pin(gpio, before);
    }
};

}  // namespace

FaultKind pin_kind() {
    return {"pin",
            FaultScope::module,
            "an input pin is held at a level (a button, an alarm line) until lifted",
            {{"gpio", "required: the pin, 1..47 (GPIO1..GPIO47, Pin.GPIOn)"},
             {"level", "0 or 1 (default 0: pulled low, as a button to ground)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<PinLevel>();
                if (!setting_text(s, "gpio")) throw UsageError("gpio is required");
                e->gpio = static_cast<int>(setting_int(s, "gpio", 0, 1, Peripherals::kGpioCount));
                e->level = static_cast<int>(setting_int(s, "level", 0, 0, 1));
                return e;
            }};
}

}  // namespace qpysim::faults
