#include "qpysim/virtual_network.hpp"

#include <spdlog/spdlog.h>

#include "qpysim/error.hpp"
#include "qpysim/modem.hpp"
#include "qpysim/resolver.hpp"

namespace qpysim {

void VirtualNetwork::build(const std::vector<HostConfig>& hosts, Modem& modem) {
    for (const auto& h : hosts) {
        Host& host = add(h.name, h.address);
        auto shared = std::make_shared<std::map<std::string, std::shared_ptr<void>>>();
        const auto make = [&](const ServiceSpec& spec, std::uint16_t port) {
            ServiceContext ctx;
            ctx.modem = &modem;
            ctx.at = Endpoint{host.ip, port};
            ctx.host = host.name;
            ctx.host_shared = shared;
            try {
                return make_service(spec, std::move(ctx));
            } catch (const UsageError& e) {
                throw UsageError("host '" + h.name + "' port " + std::to_string(port) + " (" +
                                 spec.kind + "): " + e.what());
            }
        };
        for (const auto& [port, spec] : h.tcp)
            host.tcp[port] = make(spec, port);
        for (const auto& [port, spec] : h.udp)
            host.udp[port] = make(spec, port);
    }
}

VirtualNetwork::Host& VirtualNetwork::add(const std::string& name,
                                          const std::optional<std::string>& address) {
    IpAddress ip;
    if (address) {
        const auto parsed = parse_ip(*address);
        if (!parsed) {
            throw UsageError("host '" + name + "': '" + *address + "' is not an IP address");
        }
        ip = *parsed;
    } else if (const auto literal = parse_ip(name)) {
        ip = *literal;
    } else {
        // TEST-NET-3 (RFC 5737), in order of declaration.
        unsigned next = 10;
        do {
            ip = IpAddress(boost::asio::ip::make_address_v4((203u << 24) | (113u << 8) | next++));
        } while (hosts_.count(ip) && next < 255);
    }
    Host& h = hosts_[ip];
    h.ip = ip;
    if (!name.empty() && !parse_ip(name)) {
        h.name = name;
        resolver_.add(name, ip);
    }
    return h;
}

VirtualNetwork::Host* VirtualNetwork::find(const IpAddress& ip) {
    const auto it = hosts_.find(ip);
    return it == hosts_.end() ? nullptr : &it->second;
}

VirtualNetwork::Host* VirtualNetwork::find(const std::string& name_or_ip) {
    if (const auto ip = parse_ip(name_or_ip)) return find(*ip);
    const std::string wanted = Resolver::normalize(name_or_ip);
    for (auto& [ip, h] : hosts_) {
        if (!h.name.empty() && Resolver::normalize(h.name) == wanted) return &h;
    }
    return nullptr;
}

VirtualNetwork::Host& VirtualNetwork::named(const std::string& name_or_ip) {
    if (Host* h = find(name_or_ip)) return *h;
    const bool literal = parse_ip(name_or_ip).has_value();
    return add(literal ? "" : name_or_ip,
               literal ? std::optional<std::string>(name_or_ip) : std::nullopt);
}

std::shared_ptr<Service> VirtualNetwork::tcp_service(const Endpoint& at) {
    Host* h = find(at.ip);
    if (!h) return nullptr;
    const auto it = h->tcp.find(at.port);
    return it == h->tcp.end() ? nullptr : it->second;
}

std::shared_ptr<Service> VirtualNetwork::udp_service(const Endpoint& at) {
    Host* h = find(at.ip);
    if (!h) return nullptr;
    const auto it = h->udp.find(at.port);
    return it == h->udp.end() ? nullptr : it->second;
}

void VirtualNetwork::Nobody::on_segment(const std::shared_ptr<Connection>& via, Segment s) {
    if (s.kind != Segment::Kind::Syn || !via) return;
    const IpAddress ip = via->endpoint(Side::b).ip;
    if (told_.insert(ip).second) {
        spdlog::warn(
            "{} is no host of the scenario and this run does not reach the PC's network: "
            "connections to it get no answer",
            ip.to_string());
    }
}

}  // namespace qpysim
