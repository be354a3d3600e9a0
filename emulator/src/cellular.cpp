#include "qpysim/cellular.hpp"

#include "qpysim/error.hpp"

namespace qpysim {

Cellular::Cellular() {
    for (int i = 0; i < kPdpCount; ++i) {
        pdp_[static_cast<std::size_t>(i)].id = i + 1;
        pdp_[static_cast<std::size_t>(i)].ip = IpAddress(boost::asio::ip::address_v4::any());
        pdp_[static_cast<std::size_t>(i)].ip6 = IpAddress(boost::asio::ip::address_v6::any());
        pdp_[static_cast<std::size_t>(i)].dns1 = IpAddress(boost::asio::ip::address_v4::any());
        pdp_[static_cast<std::size_t>(i)].dns2 = IpAddress(boost::asio::ip::address_v4::any());
    }
}

const PdpContext& Cellular::pdp(int id) const {
    if (id < 1 || id > kPdpCount) {
        throw UsageError("PDP context id must be 1.." + std::to_string(kPdpCount) + ", got " +
                         std::to_string(id));
    }
    return pdp_[static_cast<std::size_t>(id - 1)];
}

PdpContext& Cellular::pdp(int id) {
    return const_cast<PdpContext&>(static_cast<const Cellular&>(*this).pdp(id));
}

const PdpContext* Cellular::first_active() const {
    for (const auto& p : pdp_) {
        if (p.active) return &p;
    }
    return nullptr;
}

bool Cellular::data_ready() const {
    return sim_ == SimStatus::ready && registered() && fun_ == 1 && first_active() != nullptr;
}

}  // namespace qpysim
