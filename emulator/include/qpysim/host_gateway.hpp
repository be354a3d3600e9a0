// The host gateway: the peer that is the real internet, reached through the
// PC's own sockets (Asio, on the Scheduler's io_context).
//
// To the emulated stack it is one more end of a Connection: a SYN from the
// device becomes an Asio connect to the real host:port, DATA segments are
// written to the OS socket, bytes read from it come back as DATA, EOF as FIN,
// an OS reset as RST. A device server socket (TCP listening, UDP bound to a
// port) is exposed on the PC at 127.0.0.1 (the device's port when free) so PC
// programs can reach it. Device UDP is filtered as a carrier NAT filters it.
//
// Everything runs with the core lock held: segment handlers run from timers,
// Asio completion handlers take the lock first.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "qpysim/address.hpp"
#include "qpysim/link.hpp"

namespace qpysim {

class Modem;
class Socket;
class GatewayTcp;
class GatewayUdp;

class HostGateway {
  public:
    // Where device servers are exposed on the PC, e.g. "127.0.0.1".
    HostGateway(Modem& modem, IpAddress expose_ip);
    ~HostGateway();

    // The far end for a device-initiated connection (the device is side a).
    std::shared_ptr<SegmentSink> connect(const std::shared_ptr<Connection>& conn,
                                         const Endpoint& target);

    // Make a device listener reachable from the PC; returns the PC port.
    // Throws Error(addr_in_use) if no port at all can be bound.
    std::uint16_t expose(const std::shared_ptr<Socket>& listener, std::uint16_t device_port);
    void unexpose(const Socket* listener);
    // The PC port a device listener on `device_port` is reachable at, or 0.
    std::uint16_t exposed_port(std::uint16_t device_port) const;

    // Send a device datagram to the real network (from the socket's own OS
    // socket): to `target` on the PC, which the device addressed as `shown`
    // (they differ through a forward:); replies from `target` come back from
    // `shown`, as the device expects them.
    void send_datagram(const std::shared_ptr<Socket>& from, const Endpoint& shown,
                       const Endpoint& target, const std::string& data);
    void close_udp(const Socket* device_socket);
    // Make a device UDP socket bound to `device_port` reachable from the PC
    // (the device's port on the expose address when free); returns the PC port.
    std::uint16_t expose_udp(const std::shared_ptr<Socket>& device_socket,
                             std::uint16_t device_port);
    std::uint16_t exposed_udp_port(std::uint16_t device_port) const;

    // Close every OS socket (the modem halts or resets).
    void shutdown();

    Modem& modem() noexcept { return modem_; }
    void forget(const GatewayTcp* conn);

  private:
    struct Exposure;
    void accept_next(const std::shared_ptr<Exposure>& ex);
    GatewayUdp& udp_for(const std::shared_ptr<Socket>& device_socket);

    Modem& modem_;
    IpAddress expose_ip_;
    std::set<std::shared_ptr<GatewayTcp>> tcp_;
    std::map<const Socket*, std::shared_ptr<Exposure>> exposures_;
    std::map<const Socket*, std::shared_ptr<GatewayUdp>> udp_;
    std::map<const Socket*, std::pair<std::uint16_t, std::uint16_t>> udp_exposed_;  // device, PC
};

}  // namespace qpysim
