// dns_wrong: lookups are answered with the wrong address (a captive portal, a
// hijacking resolver, a stale record). The script connects somewhere else.
#include "kinds.hpp"

namespace qpysim::faults {

namespace {

struct DnsWrong final : FaultEffect {
    IpAddress address;
    Duration delay{0};

    FaultScope scope() const noexcept override { return FaultScope::dns; }
    DnsAnswer answer(const std::string&, FaultRandom&) override {
        DnsAnswer a;
        a.kind = DnsAnswer::Kind::wrong;
        a.delay = delay;
        a.address = address;
        a.what = "wrong address " + address.to_string();
        return a;
    }
};

}  // namespace

FaultKind dns_wrong_kind() {
    return {"dns_wrong",
            FaultScope::dns,
            "lookups are answered with the wrong address",
            {{"address",
              "the answer, an IPv4 or IPv6 address (default 198.51.100.7, "
              "TEST-NET-2: nobody answers there)"},
             {"delay", "the round trip before the answer (default 100ms)"}},
            [](const FaultSettings& s) {
                auto e = std::make_shared<DnsWrong>();
                const std::string text = setting_text(s, "address").value_or("198.51.100.7");
                const auto ip = parse_ip(text);
                if (!ip) throw UsageError("address must be an IP address, got '" + text + "'");
                e->address = *ip;
                e->delay = setting_duration(s, "delay", 100ms);
                return e;
            }};
}

}  // namespace qpysim::faults
