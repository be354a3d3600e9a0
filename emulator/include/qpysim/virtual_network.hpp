// The scenario's virtual hosts: their names (which the resolver answers),
// their addresses, and the service on each of their ports. Owned by the Modem;
// every call with the core lock held.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "qpysim/address.hpp"
#include "qpysim/link.hpp"
#include "qpysim/services.hpp"

namespace qpysim {

class Modem;
class Resolver;
class TlsAuthority;

class VirtualNetwork {
  public:
    struct Host {
        std::string name;  // "" for a host known by its address only
        IpAddress ip;
        std::map<std::uint16_t, std::shared_ptr<Service>> tcp;
        std::map<std::uint16_t, std::shared_ptr<Service>> udp;
    };

    explicit VirtualNetwork(Resolver& resolver) : resolver_(resolver) {}

    // The scenario's hosts, in declaration order (unnamed addresses are drawn
    // from 203.0.113.0/24 in that order), with their services. Throws
    // UsageError for an address that is not one or a certificate that fails.
    void build(const std::vector<HostConfig>& hosts, Modem& modem);

    Host* find(const IpAddress& ip);
    // A host by name (as the device would look it up) or by address literal.
    Host* find(const std::string& name_or_ip);
    // find(), or a new host by that name (or literal address).
    Host& named(const std::string& name_or_ip);

    std::shared_ptr<Service> tcp_service(const Endpoint& at);
    std::shared_ptr<Service> udp_service(const Endpoint& at);
    // The far end of a connection to an address nobody has when the PC's
    // network is out of reach: it never answers, so SYNs time out as towards a
    // dead host. The first SYN to each address says so on stderr.
    std::shared_ptr<SegmentSink> nobody() { return nobody_; }

    // Every service, hosts by address and ports in order.
    template <class F>
    void for_each_service(F&& f) {
        for (auto& [ip, h] : hosts_) {
            for (auto* ports : {&h.tcp, &h.udp}) {
                for (auto& [port, s] : *ports)
                    f(Endpoint{ip, port}, *s);
            }
        }
    }

  private:
    Host& add(const std::string& name, const std::optional<std::string>& address);

    class Nobody final : public SegmentSink {
      public:
        void on_segment(const std::shared_ptr<Connection>& via, Segment s) override;

      private:
        std::set<IpAddress> told_;
    };

    Resolver& resolver_;
    std::map<IpAddress, Host> hosts_;
    std::shared_ptr<Nobody> nobody_ = std::make_shared<Nobody>();
};

}  // namespace qpysim
