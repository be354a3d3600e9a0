#include "qpysim/timeline.hpp"

#include <gtest/gtest.h>

namespace qpysim {
namespace {

TimelineEntry every(Duration period, Duration first, Duration jitter = 0s) {
    TimelineEntry e;
    e.trigger = TimelineEntry::Trigger::every;
    e.every = period;
    e.at = first;
    e.jitter = jitter;
    e.duration = 1s;
    return e;
}

TEST(timeline_occurrence, every_without_jitter_is_exact) {
    const auto e = every(60s, 30s);
    EXPECT_EQ(occurrence(e, 0, 0, 1).start, 30s);
    EXPECT_EQ(occurrence(e, 0, 3, 1).start, 210s);
}

TEST(timeline_occurrence, jitter_stays_in_bounds_and_is_stable) {
    const auto e = every(60s, 60s, 20s);
    for (std::uint64_t k = 0; k < 200; ++k) {
        const auto o = occurrence(e, 0, k, 9);
        const auto nominal = 60s * static_cast<std::int64_t>(k + 1);
        EXPECT_GE(o.start, nominal - 20s);
        EXPECT_LE(o.start, nominal + 20s);
        EXPECT_EQ(o.start, occurrence(e, 0, k, 9).start);
    }
    EXPECT_NE(occurrence(e, 0, 0, 9).start, occurrence(e, 0, 0, 10).start);
    EXPECT_NE(occurrence(e, 0, 0, 9).start, occurrence(e, 1, 0, 9).start);  // per entry
}

TEST(timeline_occurrence, jitter_never_moves_before_zero) {
    TimelineEntry e;
    e.at = 1s;
    e.jitter = 10s;
    for (std::uint64_t seed = 0; seed < 50; ++seed)
        EXPECT_GE(occurrence(e, 0, 0, seed).start, 0s);
}

TEST(timeline_occurrence, probability_draws_per_occurrence) {
    auto e = every(10s, 10s);
    e.probability = 0.25;
    int fires = 0;
    for (std::uint64_t k = 0; k < 1000; ++k)
        fires += occurrence(e, 0, k, 3).fires ? 1 : 0;
    EXPECT_GT(fires, 200);
    EXPECT_LT(fires, 300);
}

TEST(timeline_resume, first_occurrence_still_in_force_after_a_reboot) {
    auto e = every(60s, 60s);
    e.duration = 10s;
    EXPECT_EQ(first_occurrence_from(e, 0, 0s, 1), 0u);
    EXPECT_EQ(first_occurrence_from(e, 0, 65s, 1), 0u);  // 60..70 s is in force
    EXPECT_EQ(first_occurrence_from(e, 0, 70s, 1), 1u);  // over: the next one
    EXPECT_EQ(first_occurrence_from(e, 0, 3605s, 1), 59u);
    e.count = 3;
    EXPECT_EQ(first_occurrence_from(e, 0, 3605s, 1), std::nullopt);
}

}  // namespace
}  // namespace qpysim
