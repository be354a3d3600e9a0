// mqtt_refuse: a virtual MQTT broker refuses matching CONNECTs with a CONNACK
// return code (1 bad protocol version, 2 identifier rejected, 3 server
// unavailable, 4 bad user name or password, 5 not authorised) and closes the
// connection: the first `count` of them, or each with the fault's probability.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct MqttRefuse final : FaultEffect {
    EventFilter filter;
    int code = 3;

    FaultScope scope() const noexcept override { return FaultScope::service; }
    bool concerns(const ServiceEvent& ev) const override {
        return ev.protocol == "mqtt" && ev.action == "connect" &&
               EventFilter::pattern(filter.client, ev.client) && filter.left();
    }
    void on_service(const Fault&, const ServiceEvent&, ServiceVerdict& v) override {
        if (filter.use()) v.refuse = code;
    }
};

}  // namespace

FaultKind mqtt_refuse_kind() {
    FaultKind k{"mqtt_refuse",
                FaultScope::service,
                "a virtual MQTT broker refuses CONNECT with a CONNACK return code",
                {{"code", "the CONNACK return code, 1..5 (default 3, server unavailable)"},
                 {"client", "the client id: exact, or a prefix ending in * (default *)"},
                 {"count", "only the first this many CONNECTs (default: all)"}},
                [](const FaultSettings& s) {
                    auto e = std::make_shared<MqttRefuse>();
                    e->filter.read(s);
                    e->code = static_cast<int>(setting_int(s, "code", 3, 1, 5));
                    return e;
                }};
    k.on_services = true;
    return k;
}

}  // namespace qpysim::faults
