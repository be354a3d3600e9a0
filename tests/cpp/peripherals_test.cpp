#include "qpysim/peripherals.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "qpysim/error.hpp"
#include "qpysim/faults.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/trace.hpp"

namespace qpysim {
namespace {

// ---------------------------------------------------------------- pins

TEST(peripherals_pins, a_driven_pin_reads_its_level_and_each_change_is_announced_once) {
    std::vector<int> heard;
    Peripherals p([&](int gpio) { heard.push_back(gpio); });
    EXPECT_FALSE(p.pin_drive(5));
    p.drive_pin(5, 0);
    p.drive_pin(5, 0);  // no change: no edge
    EXPECT_EQ(p.pin_drive(5), 0);
    p.drive_pin(5, 1);
    p.drive_pin(5, std::nullopt);
    EXPECT_FALSE(p.pin_drive(5));
    EXPECT_EQ(heard, (std::vector<int>{5, 5, 5}));
}

TEST(peripherals_pins, a_pin_or_level_out_of_range_is_a_usage_error) {
    Peripherals p({});
    EXPECT_THROW(p.drive_pin(0, 1), UsageError);
    EXPECT_THROW(p.drive_pin(Peripherals::kGpioCount + 1, 1), UsageError);
    EXPECT_THROW(p.drive_pin(3, 2), UsageError);
}

// ---------------------------------------------------------------- UARTs

TEST(peripherals_uart, without_a_fifo_every_byte_fits) {
    Peripherals p({});
    Trace t;
    EXPECT_EQ(p.accept(2, 1'000'000, 5000, t, DeviceTime{}), 5000u);
    EXPECT_EQ(p.uart_lost(2), 0u);
}

TEST(peripherals_uart, a_full_fifo_keeps_what_waits_and_loses_the_newest_bytes) {
    Peripherals p({});
    Trace t;
    t.keep_in_memory(true);
    p.set_uart_fifo(2, 100, "slow-reader");
    EXPECT_EQ(p.accept(2, 0, 60, t, DeviceTime{}), 60u);
    EXPECT_EQ(p.accept(2, 60, 60, t, DeviceTime{}), 40u);
    EXPECT_EQ(p.accept(2, 100, 10, t, DeviceTime{}), 0u);
    EXPECT_EQ(p.accept(2, 150, 10, t, DeviceTime{}), 0u);  // more than the FIFO: none fit
    EXPECT_EQ(p.uart_lost(2), 40u);
    EXPECT_EQ(p.accept(1, 0, 500, t, DeviceTime{}), 500u);  // other UARTs untouched
    ASSERT_EQ(t.lines().size(), 3u);
    EXPECT_NE(t.lines()[0].find(R"("uart":2,"state":"overrun","lost":20,"fifo":100,)"
                                R"("fault":"slow-reader")"),
              std::string::npos)
        << t.lines()[0];
}

TEST(peripherals_uart, a_loss_names_the_fifo_in_force_after_another_is_lifted) {
    Peripherals p({});
    Trace t;
    t.keep_in_memory(true);
    p.set_uart_fifo(2, 10, "first");
    const auto before = p.uart_fifos();
    p.set_uart_fifo(2, 5, "second");
    p.set_uart_fifos(before);  // "second" lifted
    EXPECT_EQ(p.accept(2, 10, 1, t, DeviceTime{}), 0u);
    ASSERT_EQ(t.lines().size(), 1u);
    EXPECT_NE(t.lines()[0].find(R"("fifo":10,"fault":"first")"), std::string::npos) << t.lines()[0];
}

TEST(peripherals_uart, every_uart_at_once_and_back) {
    Peripherals p({});
    const auto before = p.uart_fifos();
    p.set_uart_fifo(-1, 64);
    for (int port = 0; port < Peripherals::kUartCount; ++port)
        EXPECT_EQ(p.uart_fifo(port), 64u);
    p.set_uart_fifos(before);
    EXPECT_FALSE(p.uart_fifo(6));
    EXPECT_THROW(p.uart_fifo(7), UsageError);
    EXPECT_THROW(p.set_uart_fifo(-2, 1), UsageError);
}

// ---------------------------------------------------------------- I2C and ADC

TEST(peripherals_i2c, silences_stack_and_wildcards_cover_a_bus_or_every_bus) {
    Peripherals p({});
    EXPECT_FALSE(p.i2c_silent(1, 0x44));
    p.silence_i2c(1, 0x44);
    p.silence_i2c(1, 0x44);
    EXPECT_TRUE(p.i2c_silent(1, 0x44));
    EXPECT_FALSE(p.i2c_silent(1, 0x45));
    p.unsilence_i2c(1, 0x44);
    EXPECT_TRUE(p.i2c_silent(1, 0x44));  // the other silence still holds
    p.unsilence_i2c(1, 0x44);
    EXPECT_FALSE(p.i2c_silent(1, 0x44));
    p.silence_i2c(2, -1);
    EXPECT_TRUE(p.i2c_silent(2, 0x10) && !p.i2c_silent(1, 0x10));
    p.silence_i2c(-1, -1);
    EXPECT_TRUE(p.i2c_silent(0, 0x77));
}

TEST(peripherals_adc, a_driven_channel_reads_its_millivolts) {
    Peripherals p({});
    EXPECT_FALSE(p.adc_drive(0));
    p.drive_adc(0, 3300);
    EXPECT_EQ(p.adc_drive(0), 3300);
    p.drive_adc(0, std::nullopt);
    EXPECT_FALSE(p.adc_drive(0));
    EXPECT_FALSE(p.adc_drive(9));
    EXPECT_THROW(p.drive_adc(4, 1), UsageError);
}

// ---------------------------------------------------------------- as faults

ModemConfig virtual_modem() {
    ModemConfig c;
    c.clock = ClockMode::virtual_time;
    c.host_network = false;
    return c;
}

FaultSpec spec(const std::string& kind, FaultSettings settings) {
    FaultSpec f;
    f.kind = kind;
    f.settings = std::move(settings);
    return f;
}

TEST(pin_fault, holds_the_pin_while_applied_and_restores_it_when_lifted) {
    Modem m(virtual_modem());
    const auto id = m.apply_fault(spec("pin", {{"gpio", "9"}, {"level", "1"}}));
    {
        auto lk = m.lock();
        EXPECT_EQ(m.peripherals().pin_drive(9), 1);
    }
    EXPECT_EQ(m.lift_fault(std::to_string(id)), 1u);
    auto lk = m.lock();
    EXPECT_FALSE(m.peripherals().pin_drive(9));
}

TEST(pin_fault, bad_settings_name_the_fault_and_the_key) {
    EXPECT_THROW(make_effect(spec("pin", {})), UsageError);
    EXPECT_THROW(make_effect(spec("pin", {{"gpio", "48"}})), UsageError);
    EXPECT_THROW(make_effect(spec("pin", {{"gpio", "3"}, {"level", "2"}})), UsageError);
    try {
        make_effect(spec("pin", {{"level", "1"}}));
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_STREQ(e.what(), "fault 'pin' (pin): gpio is required");
    }
}

TEST(uart_overrun_fault, bounds_one_uart_or_all_and_lifting_restores_them) {
    Modem m(virtual_modem());
    const auto one = m.apply_fault(spec("uart_overrun", {{"uart", "2"}, {"size", "1KB"}}));
    {
        auto lk = m.lock();
        EXPECT_EQ(m.peripherals().uart_fifo(2), 1000u);
        EXPECT_FALSE(m.peripherals().uart_fifo(1));
    }
    const auto all = m.apply_fault(spec("uart_overrun", {}));
    {
        auto lk = m.lock();
        EXPECT_EQ(m.peripherals().uart_fifo(1), 4000u);
    }
    m.lift_fault(std::to_string(all));
    {
        auto lk = m.lock();
        EXPECT_EQ(m.peripherals().uart_fifo(2), 1000u);
        EXPECT_FALSE(m.peripherals().uart_fifo(1));
    }
    m.lift_fault(std::to_string(one));
    auto lk = m.lock();
    EXPECT_FALSE(m.peripherals().uart_fifo(2));
    EXPECT_THROW(make_effect(spec("uart_overrun", {{"uart", "7"}})), UsageError);
    EXPECT_THROW(make_effect(spec("uart_overrun", {{"size", "0"}})), UsageError);
}

TEST(i2c_nack_fault, takes_a_hex_address_and_lifting_brings_the_device_back) {
    Modem m(virtual_modem());
    const auto id = m.apply_fault(spec("i2c_nack", {{"bus", "1"}, {"address", "0x44"}}));
    {
        auto lk = m.lock();
        EXPECT_TRUE(m.peripherals().i2c_silent(1, 68));
        EXPECT_FALSE(m.peripherals().i2c_silent(0, 68));
    }
    m.lift_fault(std::to_string(id));
    auto lk = m.lock();
    EXPECT_FALSE(m.peripherals().i2c_silent(1, 68));
    EXPECT_THROW(make_effect(spec("i2c_nack", {{"address", "0x80"}})), UsageError);
    EXPECT_THROW(make_effect(spec("i2c_nack", {{"bus", "4"}})), UsageError);
}

TEST(adc_fault, holds_the_channel_and_restores_it) {
    Modem m(virtual_modem());
    const auto id = m.apply_fault(spec("adc", {{"channel", "1"}, {"mv", "3100"}}));
    {
        auto lk = m.lock();
        EXPECT_EQ(m.peripherals().adc_drive(1), 3100);
    }
    m.lift_fault(std::to_string(id));
    auto lk = m.lock();
    EXPECT_FALSE(m.peripherals().adc_drive(1));
    EXPECT_THROW(make_effect(spec("adc", {})), UsageError);
    EXPECT_THROW(make_effect(spec("adc", {{"mv", "6000"}})), UsageError);
}

TEST(vbatt_fault, sags_the_supply_and_lifting_restores_the_nominal_voltage) {
    Modem m(virtual_modem());
    {
        auto lk = m.lock();
        EXPECT_EQ(m.peripherals().vbatt(), Peripherals::kNominalVbatt);
    }
    const auto id = m.apply_fault(spec("vbatt", {{"mv", "3300"}}));
    {
        auto lk = m.lock();
        EXPECT_EQ(m.peripherals().vbatt(), 3300);
    }
    m.lift_fault(std::to_string(id));
    auto lk = m.lock();
    EXPECT_EQ(m.peripherals().vbatt(), 3800);
    EXPECT_THROW(make_effect(spec("vbatt", {})), UsageError);
}

}  // namespace
}  // namespace qpysim
