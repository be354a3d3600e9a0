// dns_slow: lookups are answered correctly, late. A script with a short
// timeout of its own, or a watchdog, notices.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct DnsSlow final : FaultEffect {
    Duration delay{0};

    FaultScope scope() const noexcept override { return FaultScope::dns; }
    DnsAnswer answer(const std::string&, FaultRandom&) override {
        DnsAnswer a;
        a.kind = DnsAnswer::Kind::slow;
        a.delay = delay;
        a.what = "slow";
        return a;
    }
};

}  // namespace

FaultKind dns_slow_kind() {
    return {"dns_slow",
            FaultScope::dns,
            "lookups are answered, late",
            {{"delay", "how long each lookup takes, a duration (default 5s)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<DnsSlow>();
                e->delay = setting_duration(s, "delay", 5s);
                return e;
            }};
}

}  // namespace qpysim::faults
