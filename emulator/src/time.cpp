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

}  // namespace qpysim
