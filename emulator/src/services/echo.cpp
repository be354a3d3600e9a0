// echo (RFC 862): every byte that arrives is sent back; on UDP, every datagram
// goes back to its sender. No settings.
#include "kinds.hpp"
#include "qpysim/modem.hpp"

namespace qpysim::services {

namespace {

class EchoSession final : public Session {
  public:
    void on_data(std::string_view data) override { send(data); }
};

class EchoService final : public Service {
  public:
    using Service::Service;
    std::shared_ptr<Session> open_session() override { return std::make_shared<EchoSession>(); }
    void on_datagram(std::string data, Endpoint from) override {
        modem().send_datagram_from(context().at, from, std::move(data), 0);
    }
};

}  // namespace

ServiceKind echo_service() {
    return {
        "echo",
        true,
        true,
        "sends back every byte (TCP) or datagram (UDP) it receives (RFC 862)",
        {},
        [](const ConfigReader& r, const YAML::Node& n) { return no_settings(r, n, "echo"); },
        [](ServiceContext ctx, std::shared_ptr<const ServiceConfig>) -> std::shared_ptr<Service> {
            return std::make_shared<EchoService>(std::move(ctx));
        }};
}

}  // namespace qpysim::services
