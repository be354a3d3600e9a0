#include "qpysim/scheduler.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace qpysim {
namespace {

// ---------------------------------------------------------------- timers

TEST(scheduler_timers, run_in_time_then_creation_order) {
    Scheduler s(ClockMode::virtual_time);
    std::vector<int> order;
    CoreLock lk(s);
    s.call_at(2s, [&] { order.push_back(3); });
    s.call_at(1s, [&] { order.push_back(1); });
    s.call_at(1s, [&] { order.push_back(2); });
    s.attach_current(lk, "t");
    s.sleep_until(lk, 5s);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(s.now(), 5s);
    s.leave(lk);
}

TEST(scheduler_timers, cancelled_timer_never_runs) {
    Scheduler s(ClockMode::virtual_time);
    bool ran = false;
    CoreLock lk(s);
    const auto id = s.call_at(1s, [&] { ran = true; });
    s.cancel(id);
    s.cancel(id);  // twice is harmless
    s.attach_current(lk, "t");
    s.sleep_until(lk, 2s);
    EXPECT_FALSE(ran);
    s.leave(lk);
}

TEST(scheduler_timers, a_timer_may_schedule_another_for_now) {
    Scheduler s(ClockMode::virtual_time);
    int hits = 0;
    CoreLock lk(s);
    s.call_at(1s, [&] {
        ++hits;
        s.call_at(s.now(), [&] { ++hits; });
    });
    s.attach_current(lk, "t");
    s.sleep_until(lk, 1s);
    EXPECT_EQ(hits, 2);
    s.leave(lk);
}

// ---------------------------------------------------------------- real time

TEST(scheduler_real, wait_returns_when_notified_from_another_thread) {
    Scheduler s(ClockMode::real);
    s.start_io();
    WaitQueue q;
    bool flag = false;
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        std::lock_guard g(s.mutex());
        flag = true;
        s.notify(q);
    });
    {
        CoreLock lk(s);
        EXPECT_TRUE(s.wait_until(lk, q, s.now() + 10s, [&] { return flag; }));
    }
    t.join();
}

TEST(scheduler_real, wait_gives_up_at_the_deadline) {
    Scheduler s(ClockMode::real);
    s.start_io();
    WaitQueue q;
    CoreLock lk(s);
    const auto t0 = s.now();
    EXPECT_FALSE(s.wait_until(lk, q, t0 + 100ms, [] { return false; }));
    EXPECT_GE(s.now() - t0, 100ms);
}

TEST(scheduler_real, future_timers_fire_on_the_io_thread) {
    Scheduler s(ClockMode::real);
    s.start_io();
    std::atomic<bool> fired{false};
    WaitQueue q;
    {
        CoreLock lk(s);
        s.call_after(30ms, [&] {
            fired = true;
            s.notify(q);
        });
        EXPECT_TRUE(s.wait_until(lk, q, s.now() + 10s, [&] { return fired.load(); }));
    }
}

TEST(scheduler_real, halt_wakes_every_waiter_with_halted) {
    Scheduler s(ClockMode::real);
    s.start_io();
    WaitQueue q;
    std::atomic<int> halted{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&] {
            CoreLock lk(s);
            try {
                s.wait_until(lk, q, std::nullopt, [] { return false; });
            } catch (const Halted& e) {
                EXPECT_STREQ(e.what(), "stop");
                ++halted;
            }
        });
    }
    std::this_thread::sleep_for(50ms);
    {
        std::lock_guard g(s.mutex());
        s.halt("stop");
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(halted, 3);
    CoreLock lk(s);
    EXPECT_THROW(s.wait_until(lk, q, std::nullopt, [] { return true; }), Halted);
}

TEST(scheduler_real, interrupt_check_can_abandon_a_wait) {
    Scheduler s(ClockMode::real);
    s.start_io();
    WaitQueue q;
    int checks = 0;
    {
        std::lock_guard g(s.mutex());
        s.set_interrupt_check(std::this_thread::get_id(), [&] {
            if (++checks == 2) throw std::runtime_error("interrupted");
        });
    }
    CoreLock lk(s);
    EXPECT_THROW(s.wait_until(lk, q, std::nullopt, [] { return false; }), std::runtime_error);
    EXPECT_EQ(checks, 2);
}

// ---------------------------------------------------------------- virtual time

TEST(scheduler_virtual, sleeping_an_hour_takes_no_wall_time) {
    Scheduler s(ClockMode::virtual_time);
    CoreLock lk(s);
    s.attach_current(lk, "main");
    const auto wall = std::chrono::steady_clock::now();
    s.sleep_until(lk, 3600s);
    EXPECT_EQ(s.now(), 3600s);
    EXPECT_LT(std::chrono::steady_clock::now() - wall, 5s);
    s.leave(lk);
}

TEST(scheduler_virtual, participants_interleave_deterministically) {
    // Two threads each sleep in steps; the log must be the same every run.
    for (int run = 0; run < 20; ++run) {
        Scheduler s(ClockMode::virtual_time);
        std::vector<std::string> log;
        std::vector<std::thread> threads;
        {
            CoreLock lk(s);
            s.attach_current(lk, "main");
            for (const char* name : {"a", "b"}) {
                Participant* p = s.spawn(name);
                threads.emplace_back([&s, &log, p, name] {
                    CoreLock tl(s);
                    s.enter(tl, p);
                    for (int i = 0; i < 3; ++i) {
                        log.push_back(std::string(name) + std::to_string(i) + "@" +
                                      std::to_string(to_millis(s.now())));
                        s.sleep_until(tl, s.now() + (name[0] == 'a' ? 10ms : 15ms));
                    }
                    s.leave(tl);
                });
            }
            s.sleep_until(lk, 1s);
            s.leave(lk);
        }
        for (auto& t : threads)
            t.join();
        EXPECT_EQ(log,
                  (std::vector<std::string>{"a0@0", "b0@0", "a1@10", "b1@15", "a2@20", "b2@30"}))
            << "run " << run;
    }
}

TEST(scheduler_virtual, everyone_blocked_with_nothing_scheduled_is_a_deadlock) {
    Scheduler s(ClockMode::virtual_time);
    WaitQueue q;
    CoreLock lk(s);
    s.attach_current(lk, "main");
    try {
        s.wait_until(lk, q, std::nullopt, [] { return false; });
        FAIL() << "expected Halted";
    } catch (const Halted& e) {
        EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos);
    }
    EXPECT_TRUE(s.halted());
    s.leave(lk);
}

TEST(scheduler_virtual, a_deadline_wait_times_out_at_exactly_its_deadline) {
    Scheduler s(ClockMode::virtual_time);
    WaitQueue q;
    CoreLock lk(s);
    s.attach_current(lk, "main");
    EXPECT_FALSE(s.wait_until(lk, q, 1500ms, [] { return false; }));
    EXPECT_EQ(s.now(), 1500ms);
    s.leave(lk);
}

TEST(scheduler_virtual, notify_wakes_a_blocked_participant_at_the_same_time) {
    Scheduler s(ClockMode::virtual_time);
    WaitQueue q;
    bool flag = false;
    CoreLock lk(s);
    s.attach_current(lk, "main");
    s.call_at(2s, [&] {
        flag = true;
        s.notify(q);
    });
    EXPECT_TRUE(s.wait_until(lk, q, 10s, [&] { return flag; }));
    EXPECT_EQ(s.now(), 2s);
    s.leave(lk);
}

TEST(scheduler_virtual, yield_lets_a_ready_thread_run_first) {
    Scheduler s(ClockMode::virtual_time);
    std::vector<std::string> log;
    std::thread other;
    {
        CoreLock lk(s);
        s.attach_current(lk, "main");
        Participant* p = s.spawn("other");
        other = std::thread([&s, &log, p] {
            CoreLock tl(s);
            s.enter(tl, p);
            log.push_back("other");
            s.leave(tl);
        });
        log.push_back("main before");
        s.yield(lk);
        log.push_back("main after");
        s.leave(lk);
    }
    other.join();
    EXPECT_EQ(log, (std::vector<std::string>{"main before", "other", "main after"}));
}

}  // namespace
}  // namespace qpysim
