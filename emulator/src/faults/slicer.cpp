// slicer: each TCP write arrives in small pieces (toxiproxy slicer), so a
// script that assumes one recv() returns one message sees it in parts.
#include <algorithm>

#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Slicer final : FaultEffect {
    std::size_t size = 0;
    std::size_t variation = 0;
    Duration gap{0};

    bool applies_to_udp() const noexcept override { return false; }
    void on_cross(const Fault&, const LinkInfo&, FaultFlow&, Crossing& c, FaultRandom&) override {
        if (!is_tcp_data(c)) return;
        c.slice = c.slice == 0 ? size : std::min(c.slice, size);
        c.slice_variation = variation;
        c.slice_gap = std::max(c.slice_gap, gap);
    }
};

}  // namespace

FaultKind slicer_kind() {
    return {"slicer",
            FaultScope::link,
            "TCP data arrives in small pieces, some time apart",
            {{"size", "average piece size in bytes (default 64)"},
             {"variation", "pieces vary by up to +- this many bytes (default 0)"},
             {"delay", "between pieces, a duration (default 0)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<Slicer>();
                e->size = setting_bytes(s, "size").value_or(64);
                if (e->size == 0) throw UsageError("size must be at least 1 byte");
                e->variation = setting_bytes(s, "variation").value_or(0);
                if (e->variation >= e->size) {
                    throw UsageError("variation must be smaller than size");
                }
                e->gap = setting_duration(s, "delay", Duration{0});
                return e;
            }};
}

}  // namespace qpysim::faults
