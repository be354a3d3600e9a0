// http_delay: a virtual HTTP service answers matching requests late (a slow
// backend, a cold start): the first `count` of them, or each with the fault's
// probability. The device's request times out if its timeout is shorter.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct HttpDelay final : FaultEffect {
    EventFilter filter;
    Duration delay{0};

    FaultScope scope() const noexcept override { return FaultScope::service; }
    bool concerns(const ServiceEvent& ev) const override {
        return ev.action == "request" && filter.http(ev) && filter.left();
    }
    void on_service(const Fault&, const ServiceEvent&, ServiceVerdict& v) override {
        if (filter.use()) v.delay += delay;
    }
};

}  // namespace

FaultKind http_delay_kind() {
    FaultKind k{"http_delay",
                FaultScope::service,
                "a virtual HTTP service answers matching requests this much later",
                {{"delay", "how much later (a duration, required)"},
                 {"method", "the requests' method, or * (default *)"},
                 {"path", "the requests' path: exact, or a prefix ending in * (default *)"},
                 {"count", "only the first this many matching requests (default: all)"}},
                [](const FaultSettings& s) {
                    auto e = std::make_shared<HttpDelay>();
                    e->filter.read(s);
                    if (!setting_text(s, "delay"))
                        throw UsageError("delay is required (a duration like 5s)");
                    e->delay = setting_duration(s, "delay", Duration{0});
                    return e;
                }};
    k.on_services = true;
    return k;
}

}  // namespace qpysim::faults
