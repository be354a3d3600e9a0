#include "qpysim/timeline.hpp"

#include <algorithm>

namespace qpysim {

namespace {

constexpr std::uint64_t kJitterSalt = 1;
constexpr std::uint64_t kChanceSalt = 2;

}  // namespace

Occurrence occurrence(const TimelineEntry& e, std::size_t index, std::uint64_t k,
                      std::uint64_t seed) {
    Occurrence o;
    switch (e.trigger) {
        case TimelineEntry::Trigger::at:
            o.start = e.at;
            break;
        case TimelineEntry::Trigger::every:
            o.start = e.at + e.every * static_cast<std::int64_t>(k);
            break;
        case TimelineEntry::Trigger::after:
            o.start = e.delay;
            break;
    }
    if (e.jitter.count() > 0) {
        const double u = stable_uniform(seed, index, k, kJitterSalt) * 2.0 - 1.0;
        const auto shift = static_cast<std::int64_t>(u * static_cast<double>(e.jitter.count()));
        o.start = std::max(Duration{0}, o.start + Duration(shift));
    }
    o.fires = e.probability >= 1.0 || stable_uniform(seed, index, k, kChanceSalt) < e.probability;
    return o;
}

std::optional<std::uint64_t> first_occurrence_from(const TimelineEntry& e, std::size_t index,
                                                   Duration t, std::uint64_t seed) {
    if (e.trigger != TimelineEntry::Trigger::every || e.every.count() <= 0) return std::nullopt;
    // Start a little before the period t falls in (jitter can move an earlier
    // occurrence's window over t) and walk forward.
    const Duration reach = e.duration.value_or(Duration{0}) + e.jitter;
    std::uint64_t k = 0;
    if (t > e.at + reach) {
        k = static_cast<std::uint64_t>((t - e.at - reach) / e.every);
        k = k > 0 ? k - 1 : 0;
    }
    for (;; ++k) {
        if (e.count && k >= *e.count) return std::nullopt;
        const Occurrence o = occurrence(e, index, k, seed);
        if (o.start + e.duration.value_or(Duration{0}) > t || o.start >= t) return k;
    }
}

const std::vector<std::string>& device_event_names() {
    static const std::vector<std::string> names = {
        "boot",       "connect",      "dns",        "listen",
        "pdp_active", "pdp_inactive", "registered", "deregistered",
    };
    return names;
}

}  // namespace qpysim
