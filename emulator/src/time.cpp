#include "qpysim/time.hpp"

#include <cstdio>

namespace qpysim {

std::string format_time(DeviceTime t) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t).count();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(us / 1000000),
                  static_cast<long long>(us % 1000000));
    return buf;
}

std::string format_duration(Duration d) {
    const auto ns = d.count();
    if (ns == 0) return "0s";
    constexpr std::int64_t ms = 1'000'000;
    constexpr std::int64_t s = 1000 * ms;
    if (ns % (3600 * s) == 0) return std::to_string(ns / (3600 * s)) + "h";
    if (ns % (60 * s) == 0) return std::to_string(ns / (60 * s)) + "m";
    if (ns % s == 0) return std::to_string(ns / s) + "s";
    if (ns < s && ns % ms == 0) return std::to_string(ns / ms) + "ms";
    std::string text = std::to_string(to_seconds(d));
    while (text.back() == '0')
        text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text + "s";
}

}  // namespace qpysim
