// http_status: a virtual HTTP service answers matching requests with another
// status (a 503 during maintenance, a 500 from a crashing backend, a 429 from
// a rate limiter): the first `count` of them, or each with the fault's
// probability. No proxy could do this to HTTPS; a virtual service can.
#include "kinds.hpp"
#include "qpysim/mqtt.hpp"

namespace qpysim::faults {

void EventFilter::read(const FaultSettings& s) {
    method = setting_text(s, "method").value_or("*");
    path = setting_text(s, "path").value_or("*");
    client = setting_text(s, "client").value_or("*");
    topic = setting_text(s, "topic").value_or("#");
    if (!mqtt::valid_filter(topic))
        throw UsageError("topic must be an MQTT topic filter (+ and # whole levels), got '" +
                         topic + "'");
    if (setting_text(s, "count"))
        count = static_cast<std::uint64_t>(setting_int(s, "count", 0, 1, 1'000'000'000));
}

namespace {

struct HttpStatus final : FaultEffect {
    EventFilter filter;
    int status = 503;
    std::optional<std::string> body;

    FaultScope scope() const noexcept override { return FaultScope::service; }
    bool concerns(const ServiceEvent& ev) const override {
        return ev.action == "request" && filter.http(ev) && filter.left();
    }
    void on_service(const Fault&, const ServiceEvent&, ServiceVerdict& v) override {
        if (!filter.use()) return;
        v.status = status;
        v.body = body;
    }
};

}  // namespace

FaultKind http_status_kind() {
    FaultKind k{"http_status",
                FaultScope::service,
                "a virtual HTTP service answers matching requests with this status",
                {{"status", "the status to answer, 100..599 (default 503)"},
                 {"body", "the body (default: the reason phrase)"},
                 {"method", "the requests' method, or * (default *)"},
                 {"path", "the requests' path: exact, or a prefix ending in * (default *)"},
                 {"count", "only the first this many matching requests (default: all)"}},
                [](const FaultSettings& s) {
                    auto e = std::make_shared<HttpStatus>();
                    e->filter.read(s);
                    e->status = static_cast<int>(setting_int(s, "status", 503, 100, 599));
                    e->body = setting_text(s, "body");
                    return e;
                }};
    k.on_services = true;
    return k;
}

}  // namespace qpysim::faults
