// latency: every segment or datagram takes longer to arrive (netem delay,
// toxiproxy latency). TCP keeps its segments in order, so jitter on a
// connection only ever delays; UDP datagrams are delayed one by one and may
// overtake each other, as on a real radio link.
#include <algorithm>
#include <cmath>

#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct Latency final : FaultEffect {
    Duration latency{0};  // added one way, each direction the fault matches
    Duration jitter{0};   // uniform: +- jitter; normal: the standard deviation
    bool normal = false;

    void on_cross(const Fault&, const LinkInfo&, FaultFlow&, Crossing& c,
                  FaultRandom& rng) override {
        if (c.tick) return;
        double extra = static_cast<double>(latency.count());
        if (jitter.count() > 0) {
            const double j = static_cast<double>(jitter.count());
            extra += normal ? rng.normal() * j : (rng.uniform() * 2.0 - 1.0) * j;
        }
        c.arrival += Duration(static_cast<std::int64_t>(std::max(0.0, std::round(extra))));
    }
};

}  // namespace

FaultKind latency_kind() {
    return {"latency",
            FaultScope::link,
            "every segment and datagram arrives later (one way, per direction)",
            {{"latency", "one-way delay added, a duration (default 0)"},
             {"jitter", "variation, a duration: +- for uniform, the std. deviation for normal"},
             {"distribution", "uniform (default) or normal; delays never go below zero"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<Latency>();
                e->latency = setting_duration(s, "latency", Duration{0});
                e->jitter = setting_duration(s, "jitter", Duration{0});
                e->normal =
                    setting_word(s, "distribution", "uniform", {"uniform", "normal"}) == "normal";
                return e;
            }};
}

}  // namespace qpysim::faults
