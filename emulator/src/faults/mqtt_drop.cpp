// mqtt_drop: PUBLISH packets on matching topics are lost between the device
// and a virtual MQTT broker: `direction: up` those the device publishes (the
// broker never sees them, so no PUBACK comes back), `down` those the broker
// sends the device (a QoS 1 message stays unacknowledged until the client
// reconnects), both by default. The first `count`, or each with the fault's
// probability.
#include "kinds.hpp"
#include "qpysim/mqtt.hpp"

namespace qpysim::faults {

namespace {

struct MqttDrop final : FaultEffect {
    EventFilter filter;

    FaultScope scope() const noexcept override { return FaultScope::service; }
    bool concerns(const ServiceEvent& ev) const override {
        return ev.protocol == "mqtt" && ev.action == "publish" &&
               mqtt::topic_matches(filter.topic, ev.topic) &&
               EventFilter::pattern(filter.client, ev.client) && filter.left();
    }
    void on_service(const Fault&, const ServiceEvent&, ServiceVerdict& v) override {
        if (filter.use()) v.drop = true;
    }
};

}  // namespace

FaultKind mqtt_drop_kind() {
    FaultKind k{"mqtt_drop",
                FaultScope::service,
                "PUBLISH packets on matching topics are lost (direction up: from the device)",
                {{"topic", "an MQTT topic filter, + and # allowed (default #)"},
                 {"client", "the client id: exact, or a prefix ending in * (default *)"},
                 {"count", "only the first this many matching PUBLISHes (default: all)"}},
                [](const FaultSettings& s) {
                    auto e = std::make_shared<MqttDrop>();
                    e->filter.read(s);
                    return e;
                }};
    k.on_services = true;
    return k;
}

}  // namespace qpysim::faults
