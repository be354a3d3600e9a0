// discard (RFC 863): everything that arrives is read and thrown away; nothing
// is ever sent. No settings.
#include "kinds.hpp"

namespace qpysim::services {

namespace {

class DiscardSession final : public Session {
  public:
    void on_data(std::string_view) override {}
};

class DiscardService final : public Service {
  public:
    using Service::Service;
    std::shared_ptr<Session> open_session() override { return std::make_shared<DiscardSession>(); }
};

}  // namespace

ServiceKind discard_service() {
    return {
        "discard",
        true,
        true,
        "reads and drops everything it receives (RFC 863)",
        {},
        [](const ConfigReader& r, const YAML::Node& n) { return no_settings(r, n, "discard"); },
        [](ServiceContext ctx, std::shared_ptr<const ServiceConfig>) -> std::shared_ptr<Service> {
            return std::make_shared<DiscardService>(std::move(ctx));
        }};
}

}  // namespace qpysim::services
