#include "qpysim/resolver.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>

namespace qpysim {

namespace {

// lwIP DNS_MAX_NAME_LENGTH: longer names fail with EAI_FAIL.
constexpr std::size_t kMaxNameLength = 256;

void order_v4_first(std::vector<IpAddress>& v) {
    std::stable_partition(v.begin(), v.end(), [](const IpAddress& a) { return a.is_v4(); });
}

}  // namespace

std::string Resolver::normalize(const std::string& name) {
    std::string n = name;
    std::transform(n.begin(), n.end(), n.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!n.empty() && n.back() == '.') n.pop_back();
    return n;
}

void Resolver::add(const std::string& name, IpAddress ip) {
    auto& v = zone_[normalize(name)];
    if (std::find(v.begin(), v.end(), ip) == v.end()) v.push_back(ip);
    order_v4_first(v);
}

std::vector<IpAddress> Resolver::resolve(std::unique_lock<std::mutex>& lk,
                                         const std::string& name) {
    if (auto ip = parse_ip(name)) return {*ip};
    if (name.empty() || name.size() > kMaxNameLength) throw Error(errc::dns_fail);

    const auto it = zone_.find(normalize(name));
    if (it != zone_.end()) {
        if (answer_delay_.count() > 0) sched_.sleep_until(lk, sched_.now() + answer_delay_);
        return it->second;
    }
    if (host_lookup_ && !sched_.is_virtual()) return host_lookup(lk, name);
    // No server knows the name: lwIP retries and gives up with EAI_FAIL.
    if (told_.insert(normalize(name)).second) {
        spdlog::warn(
            "'{}' is not a host or dns: name of the scenario, and this run {}: its lookups time "
            "out after {} s of device time",
            name,
            sched_.is_virtual() ? "cannot ask the PC's resolver in virtual time"
                                : "does not use the PC's network",
            std::chrono::duration_cast<std::chrono::seconds>(timeout_).count());
    }
    sched_.sleep_until(lk, sched_.now() + timeout_);
    throw Error(errc::dns_fail);
}

std::vector<IpAddress> Resolver::host_lookup(std::unique_lock<std::mutex>& lk,
                                             const std::string& name) {
    struct Lookup {
        explicit Lookup(boost::asio::io_context& io) : resolver(io) {}
        boost::asio::ip::tcp::resolver resolver;
        WaitQueue waiters;
        bool done = false;
        std::vector<IpAddress> result;
    };
    auto lookup = std::make_shared<Lookup>(sched_.io());
    lookup->resolver.async_resolve(
        name, "",
        [this, lookup](const boost::system::error_code& ec,
                       const boost::asio::ip::tcp::resolver::results_type& results) {
            std::lock_guard guard(sched_.mutex());
            if (!ec) {
                for (const auto& r : results) {
                    const IpAddress a = r.endpoint().address();
                    if (std::find(lookup->result.begin(), lookup->result.end(), a) ==
                        lookup->result.end()) {
                        lookup->result.push_back(a);
                    }
                }
            }
            lookup->done = true;
            sched_.notify(lookup->waiters);
        });
    const bool answered = sched_.wait_until(lk, lookup->waiters, sched_.now() + timeout_,
                                            [&] { return lookup->done; });
    if (!answered || lookup->result.empty()) throw Error(errc::dns_fail);
    order_v4_first(lookup->result);
    return lookup->result;
}

}  // namespace qpysim
