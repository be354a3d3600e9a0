#include "qpysim/scheduler.hpp"

#include <algorithm>
#include <cassert>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace qpysim {

namespace {

// The participant the calling thread is, and of which scheduler.
thread_local Participant* tl_participant = nullptr;
thread_local const Scheduler* tl_scheduler = nullptr;

constexpr auto kInterruptSlice = std::chrono::milliseconds(100);

}  // namespace

const char* to_string(ClockMode m) noexcept {
    return m == ClockMode::real ? "real" : "virtual";
}

Scheduler::Scheduler(ClockMode mode) : mode_(mode), epoch_(std::chrono::steady_clock::now()) {
    on_deadlock_ = [this] {
        halt(
            "deadlock: every device thread is waiting and nothing is scheduled; in virtual "
            "time the script would wait forever");
    };
}

Scheduler::~Scheduler() {
    stop_io();
}

void Scheduler::stop_io() {
    if (!io_thread_.joinable()) return;
    work_.reset();
    io_.stop();
    io_thread_.join();
}

void Scheduler::start_io() {
    if (io_thread_.joinable()) return;
    work_.emplace(io_.get_executor());
    io_thread_ = std::thread([this] { io_.run(); });
}

DeviceTime Scheduler::now() const noexcept {
    if (mode_ == ClockMode::virtual_time) return DeviceTime(virtual_now_.load());
    return std::chrono::duration_cast<DeviceTime>(std::chrono::steady_clock::now() - epoch_);
}

// ---------------------------------------------------------------- timers

Scheduler::TimerId Scheduler::call_at(DeviceTime when, TimerFn fn) {
    const TimerId id = next_timer_id_++;
    timers_.emplace(TimerKey{when, id}, std::move(fn));
    timer_when_.emplace(id, when);
    // A timer already due is run by whoever releases the core lock next (see
    // CoreLock); only future ones need the io thread.
    if (mode_ == ClockMode::real && when > now() && (!io_armed_ || when < *io_armed_)) {
        arm_io_timer();
    }
    return id;
}

void Scheduler::cancel(TimerId id) noexcept {
    const auto it = timer_when_.find(id);
    if (it == timer_when_.end()) return;
    timers_.erase(TimerKey{it->second, id});
    timer_when_.erase(it);
}

void Scheduler::run_due() {
    // Bounded: a callback that keeps scheduling work "now" is a bug, but it must
    // not hang the process.
    for (int guard = 0; guard < 1'000'000 && !timers_.empty(); ++guard) {
        const auto it = timers_.begin();
        if (it->first.when > now()) break;
        TimerFn fn = std::move(it->second);
        timer_when_.erase(it->first.id);
        timers_.erase(it);
        fn();
    }
}

void Scheduler::run_due_nothrow() noexcept {
    try {
        run_due();
    } catch (const std::exception& e) {
        spdlog::error("internal error in a timer callback: {}", e.what());
    } catch (...) {
        spdlog::error("internal error in a timer callback");
    }
}

void Scheduler::arm_io_timer() {
    // Runs with the lock held; the timer object belongs to the io thread, so the
    // actual re-arm is posted there.
    if (!io_thread_.joinable()) return;
    io_armed_ = timers_.empty() ? std::nullopt : std::optional(timers_.begin()->first.when);
    boost::asio::post(io_, [this] {
        std::lock_guard lk(mu_);
        if (timers_.empty()) {
            io_timer_.cancel();
            return;
        }
        const DeviceTime when = timers_.begin()->first.when;
        io_armed_ = when;
        io_timer_.expires_at(epoch_ +
                             std::chrono::duration_cast<std::chrono::steady_clock::duration>(when));
        io_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) io_timer_fired();
        });
    });
}

void Scheduler::io_timer_fired() {
    std::lock_guard lk(mu_);
    io_armed_.reset();
    run_due();
    if (!timers_.empty()) arm_io_timer();
}

// ---------------------------------------------------------------- waiting

void Scheduler::add_waiter(WaitQueue& q, Waiter& w) {
    w.participant = current();
    q.waiters_.push_back(&w);
    all_waiters_.push_back(&w);
}

void Scheduler::remove_waiter(WaitQueue& q, Waiter& w) noexcept {
    auto& v = q.waiters_;
    v.erase(std::remove(v.begin(), v.end(), &w), v.end());
    all_waiters_.erase(std::remove(all_waiters_.begin(), all_waiters_.end(), &w),
                       all_waiters_.end());
}

void Scheduler::notify(WaitQueue& q) {
    for (Waiter* w : q.waiters_) {
        w->notified = true;
        if (mode_ == ClockMode::real) {
            w->cv.notify_one();
        } else if (w->participant) {
            make_ready(w->participant);
        } else {
            w->cv.notify_one();  // a non-participant thread poking a virtual modem
        }
    }
}

void Scheduler::check_interrupt(std::unique_lock<std::mutex>& lk) {
    if (!interrupt_check_ || std::this_thread::get_id() != interrupt_thread_) return;
    lk.unlock();
    try {
        interrupt_check_();
    } catch (...) {
        lk.lock();
        throw;
    }
    lk.lock();
}

bool Scheduler::block(std::unique_lock<std::mutex>& lk, Waiter& w,
                      std::optional<DeviceTime> deadline) {
    w.notified = false;
    Participant* me = w.participant;
    if (mode_ == ClockMode::real && w.spin) {
        // Poll for the notification before sleeping: the wake-up of a thread
        // asleep on a condition variable costs more than a network round trip
        // on loopback. Bounded, and only for waits that expect one.
        lk.unlock();
        const auto until = std::chrono::steady_clock::now() + kSpin;
        while (!w.notified.load(std::memory_order_acquire) &&
               std::chrono::steady_clock::now() < until) {
            std::this_thread::yield();
        }
        lk.lock();
        if (w.notified) return true;
    }
    if (mode_ == ClockMode::virtual_time && !me) {
        // A thread outside the simulation (a test calling the Python API from
        // its own thread) joins as a participant for this one wait, so virtual
        // time advances for it as for a device thread, and leaves after.
        attach_current(lk, "host thread");
        struct Detach {
            Scheduler& s;
            std::unique_lock<std::mutex>& lk;
            ~Detach() { s.leave(lk); }
        } detach{*this, lk};
        w.participant = current();
        return block(lk, w, deadline);
    }
    if (mode_ == ClockMode::real) {
        const bool sliced = interrupt_check_ && std::this_thread::get_id() == interrupt_thread_;
        const auto real_deadline =
            deadline
                ? std::optional(
                      epoch_ +
                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(*deadline))
                : std::nullopt;
        auto limit = real_deadline;
        if (sliced) {
            const auto slice = std::chrono::steady_clock::now() + kInterruptSlice;
            if (!limit || slice < *limit) limit = slice;
        }
        if (limit) {
            w.cv.wait_until(lk, *limit, [&] { return w.notified || halted_; });
        } else {
            w.cv.wait(lk, [&] { return w.notified || halted_; });
        }
        if (sliced) check_interrupt(lk);
        return w.notified;
    }

    // Virtual time: give up the baton until notified or the deadline timer fires.
    TimerId t = 0;
    if (deadline) {
        t = call_at(*deadline, [this, me] {
            me->timed_out = true;
            make_ready(me);
        });
    }
    me->state = Participant::State::blocked;
    const DeviceTime blocked_at = now();
    if (running_ == me) running_ = nullptr;
    if (!running_) dispatch();
    try {
        wait_for_baton(lk, me);
    } catch (...) {
        if (t) cancel(t);
        throw;
    }
    if (t) cancel(t);
    me->timed_out = false;
    // Time spent blocked pays for the calls made before (see charge()).
    const Duration waited = now() - blocked_at;
    me->debt = waited >= me->debt ? Duration{0} : me->debt - waited;
    return w.notified;
}

void Scheduler::wait_halted(std::unique_lock<std::mutex>& lk) {
    // An observer, not a participant, whatever the clock: halt() wakes it.
    Waiter w;
    WaitQueue q;
    add_waiter(q, w);
    w.participant = nullptr;
    w.cv.wait(lk, [this] { return halted_; });
    remove_waiter(q, w);
}

void Scheduler::sleep_until(std::unique_lock<std::mutex>& lk, DeviceTime t) {
    WaitQueue never;
    wait_until(lk, never, t, [] { return false; });
}

// ---------------------------------------------------------------- participants

Participant* Scheduler::current() const noexcept {
    return tl_scheduler == this ? tl_participant : nullptr;
}

bool Scheduler::is_participant() const noexcept {
    return current() != nullptr;
}

Participant* Scheduler::spawn(std::string name, bool daemon) {
    if (mode_ == ClockMode::real) return nullptr;
    auto p = std::make_unique<Participant>();
    p->id = next_participant_id_++;
    p->name = std::move(name);
    p->daemon = daemon;
    p->state = Participant::State::ready;
    Participant* raw = p.get();
    participants_.push_back(std::move(p));
    ready_.push_back(raw);
    return raw;
}

void Scheduler::enter(std::unique_lock<std::mutex>& lk, Participant* p) {
    if (mode_ == ClockMode::real || !p) return;
    tl_scheduler = this;
    tl_participant = p;
    p->thread = std::this_thread::get_id();
    if (!running_) dispatch();
    wait_for_baton(lk, p);
}

void Scheduler::attach_current(std::unique_lock<std::mutex>& lk, std::string name) {
    if (mode_ == ClockMode::real || current()) return;
    Participant* p = spawn(std::move(name));
    enter(lk, p);
}

void Scheduler::leave(std::unique_lock<std::mutex>& lk) noexcept {
    (void)lk;
    clear_interrupt();
    Participant* me = current();
    if (!me) return;
    tl_participant = nullptr;
    tl_scheduler = nullptr;
    ready_.erase(std::remove(ready_.begin(), ready_.end(), me), ready_.end());
    const bool was_running = running_ == me;
    if (was_running) running_ = nullptr;
    participants_.erase(std::remove_if(participants_.begin(), participants_.end(),
                                       [me](const auto& p) { return p.get() == me; }),
                        participants_.end());
    if (was_running && !halted_) dispatch();
}

void Scheduler::yield(std::unique_lock<std::mutex>& lk) {
    Participant* me = current();
    if (mode_ == ClockMode::real || !me) {
        lk.unlock();
        std::this_thread::yield();
        lk.lock();
        return;
    }
    if (halted_) throw Halted(halt_reason_);
    run_due();
    me->state = Participant::State::ready;
    ready_.push_back(me);
    if (running_ == me) running_ = nullptr;
    dispatch();
    wait_for_baton(lk, me);
}

void Scheduler::charge(std::unique_lock<std::mutex>& lk, Duration cost, bool call) {
    Participant* me = current();
    if (mode_ != ClockMode::virtual_time || !me) return;
    if (call) ++me->calls;
    me->debt += cost;
    if (me->debt < kQuantum) return;
    const Duration due = me->debt;
    me->debt = Duration{0};
    sleep_until(lk, now() + due);
}

std::optional<Scheduler::SpinProbe> Scheduler::spin_probe() const {
    if (mode_ != ClockMode::virtual_time || !running_) return std::nullopt;
    return SpinProbe{running_->thread, running_->id, running_->calls};
}

std::uint64_t Scheduler::calls_of_current() const noexcept {
    const Participant* me = current();
    return me ? me->calls : 0;
}

void Scheduler::make_ready(Participant* p) {
    if (p->state != Participant::State::blocked) return;
    p->state = Participant::State::ready;
    ready_.push_back(p);
}

void Scheduler::dispatch() {
    assert(running_ == nullptr);
    while (ready_.empty()) {
        if (halted_ || participants_.empty()) return;
        // Daemons waiting for work that will not come is just an idle module.
        const bool someone = std::any_of(participants_.begin(), participants_.end(),
                                         [](const auto& p) { return !p->daemon; });
        if (!someone && busy_ == 0 && !(keep_alive_ && keep_alive_())) return;
        if (timers_.empty()) {
            if (someone) on_deadlock_();
            return;
        }
        const DeviceTime next = timers_.begin()->first.when;
        if (next > now()) virtual_now_.store(next.count());
        run_due();
    }
    running_ = ready_.front();
    ready_.pop_front();
    running_->state = Participant::State::running;
    running_->cv.notify_one();
}

void Scheduler::wait_for_baton(std::unique_lock<std::mutex>& lk, Participant* me) {
    const bool sliced = interrupt_check_ && std::this_thread::get_id() == interrupt_thread_;
    while (running_ != me && !halted_) {
        if (sliced) {
            me->cv.wait_for(lk, kInterruptSlice);
            check_interrupt(lk);
        } else {
            me->cv.wait(lk);
        }
    }
    if (halted_) throw Halted(halt_reason_);
}

// ---------------------------------------------------------------- stopping one thread

void Scheduler::interrupt(std::thread::id thread) {
    if (std::find(stopped_threads_.begin(), stopped_threads_.end(), thread) ==
        stopped_threads_.end()) {
        stopped_threads_.push_back(thread);
    }
    for (Waiter* w : all_waiters_) {
        if (w->owner != thread) continue;
        w->notified = true;
        if (mode_ == ClockMode::virtual_time && w->participant) {
            make_ready(w->participant);
        } else {
            w->cv.notify_all();
        }
    }
}

void Scheduler::check_stopped() {
    const auto me = std::this_thread::get_id();
    const auto it = std::find(stopped_threads_.begin(), stopped_threads_.end(), me);
    if (it == stopped_threads_.end()) return;
    stopped_threads_.erase(it);
    throw Halted("the thread was stopped");
}

void Scheduler::clear_interrupt() noexcept {
    const auto me = std::this_thread::get_id();
    stopped_threads_.erase(std::remove(stopped_threads_.begin(), stopped_threads_.end(), me),
                           stopped_threads_.end());
}

// ---------------------------------------------------------------- halting

void Scheduler::halt(std::string reason) {
    if (halted_) return;
    halted_ = true;
    halt_reason_ = std::move(reason);
    for (Waiter* w : all_waiters_)
        w->cv.notify_all();
    for (auto& p : participants_)
        p->cv.notify_all();
}

void Scheduler::set_interrupt_check(std::thread::id thread, InterruptCheck check) {
    interrupt_thread_ = thread;
    interrupt_check_ = std::move(check);
}

}  // namespace qpysim
