// A scenario's timeline: when faults are applied and lifted.
//
// Times are scenario time: device time since the first power-on, carried on
// across reboots (a module that reboots at 90 s boots into scenario time 90 s,
// and an entry `at: 2m` still happens 30 s later). Every random choice (jitter,
// probability) is a stable draw from (seed, entry, occurrence), so an
// occurrence has the same fate in every run with that seed, however the run
// got there. This file is the pure part; the Modem schedules what it says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qpysim/faults.hpp"
#include "qpysim/time.hpp"

namespace qpysim {

struct TimelineEntry {
    enum class Trigger : std::uint8_t { at, every, after };
    Trigger trigger = Trigger::at;
    Duration at{0};      // at: when; every: the first occurrence (default: one period in)
    Duration every{0};   // the period
    Duration jitter{0};  // each occurrence moves by up to +- this much (never before 0)
    std::string after;   // an event name (see device events in the README)
    Duration delay{0};   // after the event
    std::optional<std::uint64_t> count;  // how many occurrences (after: default 1)
    std::optional<Duration> duration;    // `for`: the fault lifts itself after this long
    double probability = 1.0;            // each occurrence happens with this probability
    FaultSpec fault;
    int line = 0;  // in the scenario file, for messages
};

// Occurrence k of entry `index`: when it starts (scenario time, for at/every;
// relative to the event for after) and whether its probability draw says yes.
struct Occurrence {
    Duration start{0};
    bool fires = true;
};

Occurrence occurrence(const TimelineEntry& e, std::size_t index, std::uint64_t k,
                      std::uint64_t seed);

// The first occurrence of an `every` entry still to start or still in force at
// scenario time `t` (nullopt once `count` is used up).
std::optional<std::uint64_t> first_occurrence_from(const TimelineEntry& e, std::size_t index,
                                                   Duration t, std::uint64_t seed);

// The device events an `after:` entry may name (besides other entries' names
// and "<name>.lifted").
const std::vector<std::string>& device_event_names();

}  // namespace qpysim
