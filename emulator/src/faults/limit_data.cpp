// limit_data: after `bytes` of payload (in the directions the fault matches)
// the connection is closed the way a proxy closes it (toxiproxy limit_data):
// the bytes up to the limit arrive, then both ends get FIN; anything either
// end sends afterwards is answered with RST.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct LimitData final : FaultEffect {
    std::uint64_t limit = 0;

    bool applies_to_udp() const noexcept override { return false; }
    void on_cross(const Fault& f, const LinkInfo&, FaultFlow& flow, Crossing& c,
                  FaultRandom&) override {
        if (flow.fired || !is_tcp_data(c)) return;
        const std::uint64_t left = limit - flow.bytes;
        if (c.bytes >= left) {
            c.keep = static_cast<std::size_t>(left);
            c.close = true;
            c.why = f.spec.name;
            flow.fired = true;
        }
        flow.bytes += c.bytes;
    }
};

}  // namespace

FaultKind limit_data_kind() {
    return {"limit_data",
            FaultScope::link,
            "the connection is closed (FIN both ways) after this many bytes",
            {{"bytes", "required: payload bytes let through, e.g. 1024 or 10KB"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<LimitData>();
                const auto b = setting_bytes(s, "bytes");
                if (!b) throw UsageError("bytes is required");
                e->limit = *b;
                return e;
            }};
}

}  // namespace qpysim::faults
