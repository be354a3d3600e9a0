// Addresses as the device sees them: a numeric IP (v4 or v6) and a port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace qpysim {

using IpAddress = boost::asio::ip::address;

struct Endpoint {
    IpAddress ip;
    std::uint16_t port = 0;

    std::string ip_string() const { return ip.to_string(); }
    std::string to_string() const;  // "10.0.0.1:80", "[::1]:80"
    bool operator==(const Endpoint& o) const noexcept { return ip == o.ip && port == o.port; }
};

// Parse a numeric address; nullopt when `text` is not one (a hostname, garbage).
std::optional<IpAddress> parse_ip(std::string_view text);

inline bool is_loopback(const IpAddress& ip) {
    return ip.is_loopback();
}

}  // namespace qpysim
