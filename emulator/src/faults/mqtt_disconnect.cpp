// mqtt_disconnect: a virtual MQTT broker drops its matching clients at once (a
// broker restart, a load balancer cutting sessions, a duplicate client id
// elsewhere): the connection closes without a word (FIN, or RST with reset),
// and each client's last will is published. It happens when applied, like
// reboot: put it on the timeline with at: or every:.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct MqttDisconnect final : FaultEffect {
    EventFilter filter;
    bool reset = false;

    FaultScope scope() const noexcept override { return FaultScope::instant; }
    bool concerns(const ServiceEvent& ev) const override {
        return ev.protocol == "mqtt" && ev.action == "client" &&
               EventFilter::pattern(filter.client, ev.client);
    }
    void on_service(const Fault&, const ServiceEvent&, ServiceVerdict& v) override {
        v.disconnect = true;
        v.reset = reset;
    }
    void on_apply(ModuleControl& m, const Fault& f) override { m.act_on_services(f); }
};

}  // namespace

FaultKind mqtt_disconnect_kind() {
    FaultKind k{"mqtt_disconnect",
                FaultScope::instant,
                "a virtual MQTT broker drops its clients now; their wills are published",
                {{"client", "the client id: exact, or a prefix ending in * (default *)"},
                 {"reset", "end the connection with RST instead of FIN (default false)"}},
                [](const FaultSettings& s) {
                    auto e = std::make_shared<MqttDisconnect>();
                    e->filter.read(s);
                    e->reset = setting_word(s, "reset", "false", {"true", "false"}) == "true";
                    return e;
                }};
    k.on_services = true;
    return k;
}

}  // namespace qpysim::faults
