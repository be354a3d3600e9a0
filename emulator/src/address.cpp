#include "qpysim/address.hpp"

namespace qpysim {

std::string Endpoint::to_string() const {
    if (ip.is_v6()) return "[" + ip.to_string() + "]:" + std::to_string(port);
    return ip.to_string() + ":" + std::to_string(port);
}

std::optional<IpAddress> parse_ip(std::string_view text) {
    boost::system::error_code ec;
    const auto ip = boost::asio::ip::make_address(std::string(text), ec);
    if (ec) return std::nullopt;
    return ip;
}

}  // namespace qpysim
