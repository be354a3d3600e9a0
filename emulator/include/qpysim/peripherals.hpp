// The module's GPIO and UART lines as faults change them: levels the `pin`
// fault holds on input pins, and the receive FIFO a `uart_overrun` fault
// gives a UART. The app's side of the
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
    static constexpr int kUartCount = 7;  // UART0..UART6 (machine_uart.c)

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
    // `port` -1 sets every UART. Returns what each one had before, to restore.
    std::array<std::optional<std::size_t>, kUartCount> uart_fifos() const { return fifo_; }
    void set_uart_fifos(const std::array<std::optional<std::size_t>, kUartCount>& f) { fifo_ = f; }
    void set_uart_fifo(int port, std::optional<std::size_t> bytes);
    // `arriving` bytes reach UART `port`, whose app has `buffered` unread:
    // how many fit. The rest are lost (counted, and traced with `fault`).
    std::size_t accept(int port, std::size_t buffered, std::size_t arriving, Trace& trace,
                       DeviceTime now);
    // Bytes UART `port` has lost to overruns since power-on.
    std::uint64_t uart_lost(int port) const;
    // The fault that set the FIFOs, for the trace.
    void set_uart_fault(std::string name) { fault_ = std::move(name); }

  private:
    static void check_port(int port);
    std::function<void(int)> changed_;
    std::map<int, int> drive_;  // gpio -> level, by pin number
    std::array<std::optional<std::size_t>, kUartCount> fifo_{};
    std::array<std::uint64_t, kUartCount> lost_{};
    std::string fault_;
};

}  // namespace qpysim
