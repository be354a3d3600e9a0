#include "qpysim/sync.hpp"

namespace qpysim {

Semaphore::Semaphore(Scheduler& sched, int initial, int max)
    : sched_(sched), max_(max), count_(initial) {
    if (max < 1 || initial < 0 || initial > max) {
        throw UsageError("a semaphore needs 0 <= initial <= max and max >= 1");
    }
}

bool Semaphore::acquire(std::optional<Duration> timeout) {
    CoreLock lk(sched_);
    if (sched_.halted()) throw Halted(sched_.halt_reason());
    if (count_ == 0) {
        if (timeout && timeout->count() == 0) return false;
        std::optional<DeviceTime> deadline;
        if (timeout) deadline = sched_.now() + *timeout;
        if (!sched_.wait_until(lk, waiters_, deadline, [&] { return count_ > 0; })) return false;
    }
    --count_;
    return true;
}

bool Semaphore::release() {
    CoreLock lk(sched_);
    if (count_ >= max_) return false;
    ++count_;
    sched_.notify(waiters_);
    return true;
}

int Semaphore::count() const {
    std::lock_guard lk(sched_.mutex());
    return count_;
}

}  // namespace qpysim
