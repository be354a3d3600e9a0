// The Scheduler owns the core lock, device time, timers and every blocking wait.
//
// Real time: device time is the host's steady clock since power-on. An Asio
// io_context runs on its own thread: it fires timers and carries the host
// gateway's I/O. Device threads block on condition variables.
//
// Virtual time (design.md, "Time"): device threads are *participants* and only
// one of them runs at a time, the one holding the baton. A participant that
// blocks in an emulator call hands the baton to the next ready participant in
// FIFO order; when none is ready, device time jumps to the earliest timer, which
// runs and readies whoever it wakes. A run is therefore a function of its inputs:
// same script, scenario and seed, same order of events, same trace.
//
// Locking: every public function that touches core state expects the core lock
// (mutex()) held by the caller, except where it says otherwise. Timer callbacks
// run with the lock held and must not block.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "qpysim/error.hpp"
#include "qpysim/time.hpp"

namespace qpysim {

enum class ClockMode { real, virtual_time };

const char* to_string(ClockMode m) noexcept;

struct Participant;

// A thread blocked in wait_until(). Lives on the waiting thread's stack.
struct Waiter {
    std::condition_variable cv;  // real time: notified directly
    Participant* participant = nullptr;
    std::thread::id owner = std::this_thread::get_id();
    // Set under the core lock; read without it while the waiter spins.
    std::atomic<bool> notified{false};
    // Real time: spin a moment before sleeping, for waits whose wake-up
    // usually comes within a network round trip (socket I/O).
    bool spin = false;
};

// The waiters of one object (a socket's readers and writers, a PDP callback
// queue...). notify() wakes all of them; each re-checks its own condition.
class WaitQueue {
  public:
    bool empty() const noexcept { return waiters_.empty(); }

  private:
    friend class Scheduler;
    std::vector<Waiter*> waiters_;
};

// A move-only callable for timers: a segment in flight owns its bytes, so the
// callback that delivers it cannot be copied (std::function would insist).
class TimerFn {
  public:
    TimerFn() = default;
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, TimerFn>>>
    TimerFn(F f) : impl_(std::make_unique<Impl<F>>(std::move(f))) {}  // NOLINT: implicit on purpose
    void operator()() { impl_->call(); }
    explicit operator bool() const noexcept { return static_cast<bool>(impl_); }

  private:
    struct Base {
        virtual ~Base() = default;
        virtual void call() = 0;
    };
    template <class F>
    struct Impl final : Base {
        explicit Impl(F&& x) : f(std::move(x)) {}
        void call() override { f(); }
        F f;
    };
    std::unique_ptr<Base> impl_;
};

class Scheduler {
  public:
    using TimerId = std::uint64_t;
    // Called by a waiting thread every 100 ms of wall time, without the core
    // lock, so the bindings can deliver Ctrl-C. May throw to abandon the wait.
    using InterruptCheck = std::function<void()>;

    explicit Scheduler(ClockMode mode);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    ClockMode mode() const noexcept { return mode_; }
    bool is_virtual() const noexcept { return mode_ == ClockMode::virtual_time; }
    std::mutex& mutex() const noexcept { return mu_; }

    // Device time now. Safe without the lock.
    DeviceTime now() const noexcept;

    // ---- timers (lock held) ----
    TimerId call_at(DeviceTime when, TimerFn fn);
    TimerId call_after(Duration delay, TimerFn fn) { return call_at(now() + delay, std::move(fn)); }
    void cancel(TimerId id) noexcept;
    // Run every timer that is due now, in (time, creation) order.
    void run_due();
    // run_due() for destructors: a failing callback is logged, not thrown.
    void run_due_nothrow() noexcept;
    std::size_t pending_timers() const noexcept { return timers_.size(); }

    // ---- waiting (lock held through lk) ----
    // Blocks until ready() is true (returns true) or device time reaches the
    // deadline (returns ready()). Throws Halted once the scheduler halts.
    // `spin`: in real time, poll for the wake-up a moment (kSpin) before
    // sleeping: a reply from the PC's network then costs no sleep and wake-up
    // of the waiting thread, only the io thread's.
    template <class Ready>
    bool wait_until(std::unique_lock<std::mutex>& lk, WaitQueue& q,
                    std::optional<DeviceTime> deadline, Ready&& ready, bool spin = false);
    static constexpr Duration kSpin = std::chrono::microseconds(100);
    // Sleep in device time.
    void sleep_until(std::unique_lock<std::mutex>& lk, DeviceTime t);
    // Block until the scheduler halts, as an observer: the calling thread never
    // becomes a participant (every other wait from a thread outside the
    // simulation joins it for the wait, in virtual time).
    void wait_halted(std::unique_lock<std::mutex>& lk);
    // Wake every thread waiting on q.
    void notify(WaitQueue& q);

    // ---- device threads (virtual time; no-ops in real time) ----
    // Register a new device thread. Called by the creating thread, so the order
    // of registration (and hence of scheduling) is deterministic. A daemon
    // (the callback dispatcher, the timer service) may wait forever: only
    // non-daemon threads waiting with nothing scheduled is a deadlock.
    Participant* spawn(std::string name, bool daemon = false);
    // Called first thing on the new thread: waits for the baton.
    void enter(std::unique_lock<std::mutex>& lk, Participant* p);
    // Make the calling thread a participant (the script's main thread).
    void attach_current(std::unique_lock<std::mutex>& lk, std::string name);
    // The calling device thread ends; the baton moves on.
    void leave(std::unique_lock<std::mutex>& lk) noexcept;
    // Is the calling thread a participant of this scheduler?
    bool is_participant() const noexcept;
    std::size_t participants() const noexcept { return participants_.size(); }
    // Hand the baton to the next ready participant without blocking on
    // anything else (a device thread that polls in a loop lets others run).
    void yield(std::unique_lock<std::mutex>& lk);
    // Virtual time: a device call costs device time (the module's CPU is not
    // free), so no loop of calls can freeze the clock. The calling
    // participant's unpaid cost is paid in kQuantum steps: it sleeps, and
    // other participants and timers run. Time it spends blocked pays it too.
    // `call`: counts as a call into the module (SpinProbe::calls); the
    // spin watch's charges for plain Python lines do not.
    void charge(std::unique_lock<std::mutex>& lk, Duration cost, bool call = true);
    static constexpr Duration kQuantum = std::chrono::milliseconds(1);

    // Virtual time: who holds the baton, and how many calls it has made. A
    // holder whose count stands still while wall time passes runs plain
    // Python (a spin): the bindings' spin watch preempts it.
    struct SpinProbe {
        std::thread::id thread;
        std::uint64_t participant = 0;
        std::uint64_t calls = 0;
    };
    std::optional<SpinProbe> spin_probe() const;
    // The calling participant's call count (0 outside virtual time).
    std::uint64_t calls_of_current() const noexcept;

    // Stop one device thread (_thread.stop_thread): its current or next wait
    // throws Halted("the thread was stopped"). Lock held.
    void interrupt(std::thread::id thread);
    // Forget a pending stop for the calling thread (it is ending anyway).
    void clear_interrupt() noexcept;

    // ---- halting ----
    // Stop the world: every current and future wait throws Halted(reason).
    void halt(std::string reason);
    bool halted() const noexcept { return halted_; }
    const std::string& halt_reason() const noexcept { return halt_reason_; }

    void set_interrupt_check(std::thread::id thread, InterruptCheck check);

    // The io_context of real time; its thread is started by start_io().
    boost::asio::io_context& io() noexcept { return io_; }
    void start_io();
    // Stop and join the io thread (no lock held). Pending handlers never run.
    void stop_io();
    bool io_running() const noexcept { return io_thread_.joinable(); }

    // Called when virtual time finds every participant blocked and nothing
    // scheduled. Default: halt with a message saying so.
    void set_deadlock_handler(std::function<void()> fn) { on_deadlock_ = std::move(fn); }

    // Virtual time advances for someone: a non-daemon participant, or work the
    // host counts as keeping the module busy (running osTimers). With only
    // daemons waiting and nothing busy, the module is idle and time stands
    // still, so the host can end the run at the moment the script ended.
    void set_busy(int n) noexcept { busy_ = n; }
    // Also busy while this says so (lock held when called): the module has
    // callbacks to run and events ahead that may call them.
    void set_keep_alive(std::function<bool()> fn) { keep_alive_ = std::move(fn); }

  private:
    struct TimerKey {
        DeviceTime when;
        TimerId id;
        bool operator<(const TimerKey& o) const noexcept {
            return when != o.when ? when < o.when : id < o.id;
        }
    };

    bool block(std::unique_lock<std::mutex>& lk, Waiter& w, std::optional<DeviceTime> deadline);
    void check_stopped();
    void add_waiter(WaitQueue& q, Waiter& w);
    void remove_waiter(WaitQueue& q, Waiter& w) noexcept;
    void make_ready(Participant* p);
    void dispatch();
    void wait_for_baton(std::unique_lock<std::mutex>& lk, Participant* me);
    void arm_io_timer();
    void io_timer_fired();
    void check_interrupt(std::unique_lock<std::mutex>& lk);
    Participant* current() const noexcept;

    const ClockMode mode_;
    mutable std::mutex mu_;

    std::chrono::steady_clock::time_point epoch_;
    std::atomic<std::int64_t> virtual_now_{0};

    std::map<TimerKey, TimerFn> timers_;
    std::unordered_map<TimerId, DeviceTime> timer_when_;
    TimerId next_timer_id_ = 1;

    std::vector<Waiter*> all_waiters_;  // for halt()

    std::vector<std::unique_ptr<Participant>> participants_;
    std::deque<Participant*> ready_;
    Participant* running_ = nullptr;
    std::uint64_t next_participant_id_ = 1;

    bool halted_ = false;
    std::string halt_reason_;
    std::vector<std::thread::id> stopped_threads_;
    std::function<void()> on_deadlock_;
    int busy_ = 0;
    std::function<bool()> keep_alive_;

    std::thread::id interrupt_thread_;
    InterruptCheck interrupt_check_;

    boost::asio::io_context io_;
    boost::asio::steady_timer io_timer_{io_};
    std::optional<DeviceTime> io_armed_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::thread io_thread_;
};

// The core lock held for one device call. When it is released, whatever the
// call made due now runs in the calling thread: a zero-latency delivery needs
// no trip through the io thread. Only future timers arm the io thread.
class CoreLock : public std::unique_lock<std::mutex> {
  public:
    explicit CoreLock(Scheduler& s) : std::unique_lock<std::mutex>(s.mutex()), sched_(&s) {}
    CoreLock(CoreLock&& o) noexcept = default;
    CoreLock& operator=(CoreLock&&) = delete;
    ~CoreLock() {
        if (owns_lock()) sched_->run_due_nothrow();
    }

  private:
    Scheduler* sched_;
};

struct Participant {
    enum class State { ready, running, blocked };
    std::uint64_t id = 0;
    std::string name;
    bool daemon = false;
    std::thread::id thread;   // set when it enters
    Duration debt{0};         // device time its calls cost and it has not yet paid
    std::uint64_t calls = 0;  // charged calls into the module
    State state = State::ready;
    std::condition_variable cv;
    bool timed_out = false;
};

template <class Ready>
bool Scheduler::wait_until(std::unique_lock<std::mutex>& lk, WaitQueue& q,
                           std::optional<DeviceTime> deadline, Ready&& ready, bool spin) {
    if (halted_) throw Halted(halt_reason_);
    check_stopped();
    run_due();
    if (ready()) return true;
    Waiter w;
    w.spin = spin;
    add_waiter(q, w);
    struct Remove {
        Scheduler& s;
        WaitQueue& q;
        Waiter& w;
        ~Remove() { s.remove_waiter(q, w); }
    } remove{*this, q, w};
    for (;;) {
        if (halted_) throw Halted(halt_reason_);
        check_stopped();
        if (deadline && now() >= *deadline) return ready();
        block(lk, w, deadline);
        run_due();
        if (ready()) return true;
    }
}

}  // namespace qpysim
