// dns_nxdomain, dns_servfail, dns_timeout: the lookup fails. lwIP's DNS client
// gives up at once on an error answer (NXDOMAIN, SERVFAIL: any RCODE), after
// one round trip, and after its retries when nobody answers; either way the
// script's getaddrinfo() (or connect() with a name) raises the dialect's
// EAI_FAIL error.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct DnsFailure final : FaultEffect {
    std::string what;
    Duration delay{0};

    FaultScope scope() const noexcept override { return FaultScope::dns; }
    DnsAnswer answer(const std::string&, FaultRandom&) override {
        DnsAnswer a;
        a.kind = DnsAnswer::Kind::fail;
        a.delay = delay;
        a.what = what;
        return a;
    }
};

}  // namespace

FaultKind dns_failure_kind(const std::string& name) {
    const bool timeout = name == "dns_timeout";
    const std::string what = name == "dns_nxdomain"   ? "NXDOMAIN"
                             : name == "dns_servfail" ? "SERVFAIL"
                                                      : "timeout";
    FaultKind k;
    k.name = name;
    k.scope = FaultScope::dns;
    k.summary = timeout ? "lookups get no answer: getaddrinfo fails after the retries"
                        : "lookups are answered " + what + ": getaddrinfo fails after a round trip";
    k.settings = {{timeout ? "after" : "delay",
                   timeout ? "how long the client waits before giving up (default 20s, as "
                             "lwIP's retries to two servers)"
                           : "the round trip before the answer (default 100ms)"}};
    k.make = [what, timeout](const FaultSettings& s) {
        auto e = std::make_shared<DnsFailure>();
        e->what = what;
        e->delay =
            timeout ? setting_duration(s, "after", 20s) : setting_duration(s, "delay", 100ms);
        return e;
    };
    return k;
}

}  // namespace qpysim::faults
