// The built-in service kinds, one file each in this folder. Each file has its
// session (and, where state outlives a connection, its service) with the
// documented settings, and a *_service() function that
// register_builtin_services() (services.cpp) calls; nothing registers itself.
#pragma once

#include <memory>
#include <string>

#include "../config_reader.hpp"
#include "qpysim/services.hpp"

namespace qpysim::services {

ServiceKind echo_service();
ServiceKind discard_service();
ServiceKind http_service();
ServiceKind script_service();
ServiceKind mqtt_service();
ServiceKind ntp_service();

// A kind with no settings: the bare word, or `KIND: {}` / `KIND:`.
std::shared_ptr<const ServiceConfig> no_settings(const ConfigReader& r, const YAML::Node& n,
                                                 const std::string& kind);

// A service whose every connection gets a fresh session of type S, made from
// the kind's config (for kinds with nothing shared between connections).
template <class S, class Config>
class PerConnection final : public Service {
  public:
    PerConnection(ServiceContext ctx, std::shared_ptr<const Config> config)
        : Service(std::move(ctx)), config_(std::move(config)) {}
    std::shared_ptr<Session> open_session() override {
        return std::make_shared<S>(*this, *config_);
    }

  private:
    std::shared_ptr<const Config> config_;
};

template <class S, class Config>
std::shared_ptr<Service> make_per_connection(ServiceContext ctx,
                                             const std::shared_ptr<const ServiceConfig>& config) {
    return std::make_shared<PerConnection<S, Config>>(
        std::move(ctx), std::static_pointer_cast<const Config>(config));
}

}  // namespace qpysim::services
