#include "qpysim/peripherals.hpp"

#include "qpysim/error.hpp"
#include "qpysim/trace.hpp"

namespace qpysim {

std::optional<int> Peripherals::pin_drive(int gpio) const {
    const auto it = drive_.find(gpio);
    if (it == drive_.end()) return std::nullopt;
    return it->second;
}

void Peripherals::drive_pin(int gpio, std::optional<int> level) {
    if (gpio < 1 || gpio > kGpioCount) {
        throw UsageError("pin: gpio must be 1.." + std::to_string(kGpioCount) + ", not " +
                         std::to_string(gpio));
    }
    if (level && *level != 0 && *level != 1) {
        throw UsageError("pin: level must be 0 or 1, not " + std::to_string(*level));
    }
    if (pin_drive(gpio) == level) return;
    if (level) {
        drive_[gpio] = *level;
    } else {
        drive_.erase(gpio);
    }
    if (changed_) changed_(gpio);
}

void Peripherals::check_port(int port) {
    if (port < 0 || port >= kUartCount) {
        throw UsageError("uart: port must be 0.." + std::to_string(kUartCount - 1) + ", not " +
                         std::to_string(port));
    }
}

std::optional<std::size_t> Peripherals::uart_fifo(int port) const {
    check_port(port);
    const auto& fifo = fifo_[static_cast<std::size_t>(port)];
    if (!fifo) return std::nullopt;
    return fifo->bytes;
}

void Peripherals::set_uart_fifo(int port, std::optional<std::size_t> bytes,
                                const std::string& fault) {
    std::optional<UartFifo> fifo;
    if (bytes) fifo = UartFifo{*bytes, fault};
    if (port == -1) {
        fifo_.fill(fifo);
        return;
    }
    check_port(port);
    fifo_[static_cast<std::size_t>(port)] = fifo;
}

std::size_t Peripherals::accept(int port, std::size_t buffered, std::size_t arriving, Trace& trace,
                                DeviceTime now) {
    check_port(port);
    const auto& fifo = fifo_[static_cast<std::size_t>(port)];
    if (!fifo) return arriving;
    // A full FIFO loses what arrives next, as a UART's overrun does: the bytes
    // already waiting are kept, the newest are not.
    const std::size_t room = buffered >= fifo->bytes ? 0 : fifo->bytes - buffered;
    const std::size_t kept = arriving < room ? arriving : room;
    if (kept < arriving) {
        lost_[static_cast<std::size_t>(port)] += arriving - kept;
        if (trace.enabled()) {
            trace.emit(TraceEvent(now, "uart")
                           .num("uart", port)
                           .str("state", "overrun")
                           .num("lost", static_cast<std::int64_t>(arriving - kept))
                           .num("fifo", static_cast<std::int64_t>(fifo->bytes))
                           .str("fault", fifo->fault));
        }
    }
    return kept;
}

void Peripherals::unsilence_i2c(int bus, int address) {
    const auto it = silent_.find({bus, address});
    if (it != silent_.end()) silent_.erase(it);
}

bool Peripherals::i2c_silent(int bus, int address) const {
    for (const auto& [b, a] : silent_) {
        if ((b == -1 || b == bus) && (a == -1 || a == address)) return true;
    }
    return false;
}

std::optional<int> Peripherals::adc_drive(int ch) const {
    if (ch < 0 || ch >= kAdcCount) return std::nullopt;
    return adc_[static_cast<std::size_t>(ch)];
}

void Peripherals::drive_adc(int ch, std::optional<int> millivolts) {
    if (ch < 0 || ch >= kAdcCount) {
        throw UsageError("adc: channel must be 0.." + std::to_string(kAdcCount - 1) + ", not " +
                         std::to_string(ch));
    }
    adc_[static_cast<std::size_t>(ch)] = millivolts;
}

std::uint64_t Peripherals::uart_lost(int port) const {
    check_port(port);
    return lost_[static_cast<std::size_t>(port)];
}

}  // namespace qpysim
