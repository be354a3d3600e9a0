// ntp: an SNTP server on UDP (RFC 4330; NTP version 3 and 4 packets), answering
// with the network's time: the scenario's clock, which a device that sets its
// own RTC (ntptime.settime, machine.RTC) does not move.
//
// Settings (all optional; `123/udp: ntp` serves the true time):
//   offset    seconds added to the time served (may be negative): a server
//             that is wrong by that much
//   stratum   1..15 (default 1)
// Requests shorter than 48 bytes, or not in client mode (3), get no answer, as
// from a real server.
#include <cmath>

#include "kinds.hpp"
#include "qpysim/modem.hpp"

namespace qpysim::services {

namespace {

// Seconds from 1900-01-01 (NTP's era 0) to 1970-01-01.
constexpr double kNtpToUnix = 2208988800.0;

struct NtpConfig final : ServiceConfig {
    double offset = 0;
    int stratum = 1;
    std::string summary() const override {
        if (offset == 0) return {};
        return "serving the time " + std::to_string(offset) + " s off";
    }
};

void put_timestamp(std::string& out, std::size_t at, double unix_seconds) {
    const double ntp = unix_seconds + kNtpToUnix;
    const double whole = std::floor(ntp);
    const auto secs = static_cast<std::uint64_t>(whole) & 0xffffffffULL;
    const auto frac = static_cast<std::uint64_t>((ntp - whole) * 4294967296.0) & 0xffffffffULL;
    for (int i = 0; i < 4; ++i) {
        out[at + i] = static_cast<char>(secs >> (24 - 8 * i));
        out[at + 4 + i] = static_cast<char>(frac >> (24 - 8 * i));
    }
}

class NtpService final : public Service {
  public:
    NtpService(ServiceContext ctx, const NtpConfig& config)
        : Service(std::move(ctx)), config_(config) {}

    void on_datagram(std::string data, Endpoint from) override {
        if (data.size() < 48) return;
        const auto first = static_cast<std::uint8_t>(data[0]);
        if ((first & 0x07) != 3) return;  // only client requests are answered
        const int version = (first >> 3) & 0x07;
        const double now = modem().network_time() + config_.offset;
        std::string reply(48, '\0');
        reply[0] = static_cast<char>((version << 3) | 4);  // no leap warning, server mode
        reply[1] = static_cast<char>(config_.stratum);
        reply[2] = data[2];                 // poll, as asked
        reply[3] = static_cast<char>(-20);  // precision: about a microsecond
        reply[12] = 'Q';                    // reference id (stratum 1: a source)
        reply[13] = 'P';
        reply[14] = 'Y';
        reply[15] = 'S';
        put_timestamp(reply, 16, std::floor(now));  // reference: the last "sync"
        reply.replace(24, 8, data, 40, 8);          // originate: the client's transmit time
        put_timestamp(reply, 32, now);              // receive
        put_timestamp(reply, 40, now);              // transmit
        modem().trace_event(TraceEvent(modem().sched().now(), "ntp")
                                .str("at", context().at.to_string())
                                .str("to", from.to_string())
                                .num("version", version));
        modem().send_datagram_from(context().at, from, std::move(reply), 0);
    }

  private:
    NtpConfig config_;
};

std::shared_ptr<const ServiceConfig> parse(const ConfigReader& r, const YAML::Node& n) {
    auto c = std::make_shared<NtpConfig>();
    if (!n || n.IsNull()) return c;
    r.expect_map(n, "ntp");
    r.check_keys(n, {"offset", "stratum"}, "ntp");
    if (const auto v = n["offset"]) c->offset = r.number(v, "offset", -1e9, 1e9);
    if (const auto v = n["stratum"]) {
        const auto stratum = r.unsigned_int(v, "stratum");
        if (stratum < 1 || stratum > 15) r.fail(v.Mark(), "stratum must be 1..15");
        c->stratum = static_cast<int>(stratum);
    }
    return c;
}

}  // namespace

ServiceKind ntp_service() {
    return {"ntp",
            false,
            true,
            "an SNTP server (UDP) answering with the scenario's clock",
            {{"offset", "seconds added to the time served, may be negative (default 0)"},
             {"stratum", "1..15 (default 1)"}},
            parse,
            [](ServiceContext ctx,
               std::shared_ptr<const ServiceConfig> config) -> std::shared_ptr<Service> {
                return std::make_shared<NtpService>(std::move(ctx),
                                                    static_cast<const NtpConfig&>(*config));
            }};
}

}  // namespace qpysim::services
