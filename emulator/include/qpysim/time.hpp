// Device time: nanoseconds since the module powered on. Every timestamp in the
// core (timers, traces, TCP deadlines) is a DeviceTime; only the Scheduler knows
// whether it follows the host's steady clock (real time) or jumps from event to
// event (virtual time).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace qpysim {

using Duration = std::chrono::nanoseconds;
using DeviceTime = std::chrono::nanoseconds;

using namespace std::chrono_literals;

inline constexpr Duration from_seconds(double s) {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

inline constexpr double to_seconds(Duration d) {
    return std::chrono::duration<double>(d).count();
}

inline constexpr std::int64_t to_millis(Duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// "12.345678s": fixed precision so traces are byte-identical across platforms.
std::string format_time(DeviceTime t);

// A duration as a person writes it: "250ms", "1.5s", "90s", "5m", "2h".
std::string format_duration(Duration d);

}  // namespace qpysim
