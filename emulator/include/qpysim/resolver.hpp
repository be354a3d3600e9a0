// Name resolution as the module's DNS client sees it: the scenario's zone
// first, then (real time only) the PC's own resolver, asynchronously on the
// io_context so a slow lookup never holds the core lock.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "qpysim/address.hpp"
#include "qpysim/scheduler.hpp"

namespace qpysim {

class Resolver {
  public:
    explicit Resolver(Scheduler& sched) : sched_(sched) {}

    // Zone entries (scenario `dns:`). Names are case-insensitive; a trailing
    // dot is ignored.
    void add(const std::string& name, IpAddress ip);
    const std::map<std::string, std::vector<IpAddress>>& zone() const { return zone_; }
    void set_host_lookup(bool enabled) { host_lookup_ = enabled; }
    bool host_lookup() const noexcept { return host_lookup_; }
    // How long a lookup the zone answers takes, in device time.
    void set_answer_delay(Duration d) { answer_delay_ = d; }
    // How long before an unanswered query fails.
    void set_timeout(Duration d) { timeout_ = d; }
    Duration timeout() const noexcept { return timeout_; }

    // Resolve (lock held through lk). Numeric addresses pass through. IPv4
    // answers come first. Throws Error(dns_fail) when the name does not resolve.
    std::vector<IpAddress> resolve(std::unique_lock<std::mutex>& lk, const std::string& name);

    static std::string normalize(const std::string& name);

  private:
    std::vector<IpAddress> host_lookup(std::unique_lock<std::mutex>& lk, const std::string& name);

    Scheduler& sched_;
    std::map<std::string, std::vector<IpAddress>> zone_;
    bool host_lookup_ = true;
    Duration answer_delay_{0};
    Duration timeout_{20s};
    std::set<std::string> told_;  // names the user was told never resolve
};

}  // namespace qpysim
