// sockets, sndbuf, rcvbuf: the module's limits shrink (another task holds
// sockets, memory is short). sockets: socket() beyond the limit raises the
// table-full error (ENFILE on QuecPython); open sockets keep working.
// sndbuf/rcvbuf: sockets opened while the fault holds get smaller buffers, so
// sends block sooner and the peer's window is smaller (back-pressure, not
// loss). Lifting restores the limit from before.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct ModuleLimit final : FaultEffect {
    enum class Which { sockets, sndbuf, rcvbuf } which = Which::sockets;
    std::uint64_t value = 0;
    std::uint64_t before = 0;

    FaultScope scope() const noexcept override { return FaultScope::module; }
    void on_apply(ModuleControl& m, const Fault&) override {
        switch (which) {
            case Which::sockets:
                before = static_cast<std::uint64_t>(m.socket_limit());
                m.set_socket_limit(static_cast<int>(value));
                break;
            case Which::sndbuf:
                before = m.sndbuf();
                m.set_sndbuf(static_cast<std::size_t>(value));
                break;
            case Which::rcvbuf:
                before = m.rcvbuf();
                m.set_rcvbuf(static_cast<std::size_t>(value));
                break;
        }
    }
    void on_lift(ModuleControl& m, const Fault&) override {
        switch (which) {
            case Which::sockets:
                m.set_socket_limit(static_cast<int>(before));
                break;
            case Which::sndbuf:
                m.set_sndbuf(static_cast<std::size_t>(before));
                break;
            case Which::rcvbuf:
                m.set_rcvbuf(static_cast<std::size_t>(before));
                break;
        }
    }
};

}  // namespace

FaultKind module_limit_kind(const std::string& name) {
    FaultKind k;
    k.name = name;
    k.scope = FaultScope::module;
    if (name == "sockets") {
        k.summary = "the socket table holds at most this many sockets until lifted";
        k.settings = {{"limit", "required: sockets the table holds, 0..64"}};
        k.make = [](const FaultSettings& s) {
            auto e = std::make_shared<ModuleLimit>();
            e->which = ModuleLimit::Which::sockets;
            if (!setting_text(s, "limit")) throw UsageError("limit is required");
            e->value = static_cast<std::uint64_t>(setting_int(s, "limit", 0, 0, 64));
            return e;
        };
    } else {
        const bool snd = name == "sndbuf";
        k.summary = std::string("new sockets get a ") + (snd ? "send" : "receive") +
                    " buffer of this size until lifted";
        k.settings = {{"size", "required: bytes, 536..1MB, e.g. 2920 or 8KB"}};
        k.make = [snd](const FaultSettings& s) {
            auto e = std::make_shared<ModuleLimit>();
            e->which = snd ? ModuleLimit::Which::sndbuf : ModuleLimit::Which::rcvbuf;
            const auto b = setting_bytes(s, "size");
            if (!b) throw UsageError("size is required");
            if (*b < 536 || *b > 1000000) throw UsageError("size must be 536 bytes..1MB");
            e->value = *b;
            return e;
        };
    }
    return k;
}

}  // namespace qpysim::faults
