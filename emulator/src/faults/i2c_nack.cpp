// i2c_nack: a device on an I2C bus stops acknowledging (unplugged, browned
// out, its address pin floating, a stuck bus). machine.I2C's write and read to
// it return -1, as the firmware's do when Helios's transfer fails. Lifting
// brings it back with the registers it had.
#include "kinds.hpp"
#include "qpysim/peripherals.hpp"

namespace qpysim::faults {

namespace {

struct I2cNack final : FaultEffect {
    int bus = -1;      // every bus
    int address = -1;  // every address

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault&) override {
        m.peripherals().silence_i2c(bus, address);
    }
    void on_lift(ModuleControl& m, const Fault&) override {
        m.peripherals().unsilence_i2c(bus, address);
    }
};

}  // namespace

FaultKind i2c_nack_kind() {
    return {"i2c_nack",
            FaultScope::module,
            "an I2C device stops answering: the app's transfers to it return -1 until lifted",
            {{"bus", "0..3 (I2C0..I2C3; default: every bus)"},
             {"address", "the device's 7-bit address, 0..127 (default: every device)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<I2cNack>();
                if (setting_text(s, "bus")) {
                    e->bus = static_cast<int>(
                        setting_int(s, "bus", 0, 0, Peripherals::kI2cBusCount - 1));
                }
                if (setting_text(s, "address"))
                    e->address = static_cast<int>(setting_int(s, "address", 0, 0, 127));
                return e;
            }};
}

}  // namespace qpysim::faults
