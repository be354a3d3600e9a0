// The module's lines as faults change them: levels the `pin` fault holds on
// input pins, the receive FIFO a `uart_overrun` fault gives a UART, the I2C
// devices an `i2c_nack` fault silences, the voltages an `adc` fault puts on
// ADC channels and the supply a `vbatt` fault sags. The app's side of the
// lines (directions, pulls, buffered bytes) lives with the device modules in
// Python; this is the part faults change, so a timeline can press a button or
// overflow a UART and a seed replays it.
//
// Plain state: the Modem guards it with its lock. A pin a fault changes is
// announced as a device event ("pin", [gpio]) so ExtInt sees the edge.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "qpysim/time.hpp"

namespace qpysim {

class Trace;

class Peripherals {
  public:
    // GPIO1..GPIO47: every model alike. The firmware sizes its pin table with
    // PLAT_GPIO_NUM (machine_pin.c:49,132), which Helios's headers set per
    // platform; those are not public.
    static constexpr int kGpioCount = 47;
    static constexpr int kUartCount = 7;    // UART0..UART6 (machine_uart.c)
    static constexpr int kI2cBusCount = 4;  // I2C0..I2C3 (machine_iic.c:63)
    static constexpr int kAdcCount = 4;     // ADC0..ADC3 (misc_adc.c:28-33)

    // `changed(gpio)` hears of every level the PC changes.
    explicit Peripherals(std::function<void(int)> changed) : changed_(std::move(changed)) {}

    // ---- pins ----
    // The level the PC holds GPIOn at, or nullopt: nothing drives it.
    std::optional<int> pin_drive(int gpio) const;
    // Hold GPIOn at 0 or 1, or let it go (nullopt). Throws UsageError for a
    // pin or level out of range. (What a test sets with Device.pin(n).level
    // stays in Python, with the pin's Device; a fault's level wins over it.)
    void drive_pin(int gpio, std::optional<int> level);

    // ---- UARTs ----
    // The receive FIFO of UART `port` in bytes, or nullopt: unbounded (the
    // app is never overrun unless a fault says so).
    std::optional<std::size_t> uart_fifo(int port) const;
    // A FIFO and the fault that gave it (named in the trace of its losses).
    struct UartFifo {
        std::size_t bytes = 0;
        std::string fault;
    };
    using UartFifos = std::array<std::optional<UartFifo>, kUartCount>;
    // `port` -1 sets every UART. Returns what each one had before, to restore.
    UartFifos uart_fifos() const { return fifo_; }
    void set_uart_fifos(const UartFifos& f) { fifo_ = f; }
    void set_uart_fifo(int port, std::optional<std::size_t> bytes, const std::string& fault = {});
    // `arriving` bytes reach UART `port`, whose app has `buffered` unread:
    // how many fit. The rest are lost (counted, and traced with `fault`).
    std::size_t accept(int port, std::size_t buffered, std::size_t arriving, Trace& trace,
                       DeviceTime now);
    // Bytes UART `port` has lost to overruns since power-on.
    std::uint64_t uart_lost(int port) const;

    // ---- I2C ----
    // Silence the device at (bus, address) until unsilence() with the same
    // pair; -1 is every bus or every address. Silences stack.
    void silence_i2c(int bus, int address) { silent_.insert({bus, address}); }
    void unsilence_i2c(int bus, int address);
    // The device at (bus, address) does not acknowledge.
    bool i2c_silent(int bus, int address) const;

    // ---- ADC ----
    // The millivolts an adc fault holds channel `ch` at, or nullopt.
    std::optional<int> adc_drive(int ch) const;
    void drive_adc(int ch, std::optional<int> millivolts);

    // ---- supply ----
    // The module's supply voltage in mV (misc.Power.getVbatt): what a vbatt
    // fault sets, or the nominal 3800 mV of a charged Li-ion cell.
    static constexpr int kNominalVbatt = 3800;
    int vbatt() const noexcept { return vbatt_.value_or(kNominalVbatt); }
    std::optional<int> vbatt_drive() const noexcept { return vbatt_; }
    void set_vbatt(std::optional<int> millivolts) noexcept { vbatt_ = millivolts; }

  private:
    static void check_port(int port);
    std::function<void(int)> changed_;
    std::map<int, int> drive_;  // gpio -> level, by pin number
    UartFifos fifo_{};
    std::array<std::uint64_t, kUartCount> lost_{};
    std::multiset<std::pair<int, int>> silent_;  // (bus, address), -1: any
    std::array<std::optional<int>, kAdcCount> adc_{};
    std::optional<int> vbatt_;
};

}  // namespace qpysim
