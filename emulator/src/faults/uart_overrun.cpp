// uart_overrun: a UART's receive FIFO holds this many bytes, and what arrives
// while it is full is lost, as when a real module's app reads its UART too
// slowly. Without it qpysim never loses a byte on a UART (the buffer grows);
// the firmware's own buffer size is in Helios's driver, which is not public,
// so the size is the scenario's to choose. machine.UART.any() never reports
// more than the FIFO; each loss is traced ({"ev":"uart","state":"overrun"}).
// Lifting restores the FIFOs from before.
#include "kinds.hpp"
#include "qpysim/peripherals.hpp"

namespace qpysim::faults {

namespace {

struct UartOverrun final : FaultEffect {
    int uart = -1;  // every UART
    std::size_t size = 0;
    Peripherals::UartFifos before{};

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault& f) override {
        auto& p = m.peripherals();
        before = p.uart_fifos();
        p.set_uart_fifo(uart, size, f.spec.name);
    }
    void on_lift(ModuleControl& m, const Fault&) override {
        m.peripherals().set_uart_fifos(before);
    }
};

}  // namespace

FaultKind uart_overrun_kind() {
    return {"uart_overrun",
            FaultScope::module,
            "a UART's receive FIFO holds this many bytes; what arrives while it is full is lost",
            {{"uart", "0..6 (UART0..UART6; default: every UART)"},
             {"size", "the FIFO in bytes, 1..1MB (default 4KB)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<UartOverrun>();
                if (setting_text(s, "uart")) {
                    e->uart =
                        static_cast<int>(setting_int(s, "uart", 0, 0, Peripherals::kUartCount - 1));
                }
                const auto b = setting_bytes(s, "size");
                e->size = b ? static_cast<std::size_t>(*b) : 4000;
                if (e->size < 1 || e->size > 1000000) throw UsageError("size must be 1 byte..1MB");
                return e;
            }};
}

}  // namespace qpysim::faults
