// Locks and semaphores for device threads. They wait in device time, through
// the Scheduler, so a thread blocked on one lets virtual time move on and a
// Halt reaches it like any other device call.
#pragma once

#include <optional>

#include "qpysim/scheduler.hpp"

namespace qpysim {

class Semaphore {
  public:
    // A lock is a semaphore with initial = max = 1.
    Semaphore(Scheduler& sched, int initial, int max);

    // Take one count; false if `timeout` (device time) passes first. nullopt
    // waits forever, zero only tries. Throws Halted.
    bool acquire(std::optional<Duration> timeout);
    // Give one back. Returns false when the count is already at its maximum
    // (releasing an unlocked lock), which the caller reports its own way.
    bool release();
    int count() const;
    int max() const noexcept { return max_; }

  private:
    Scheduler& sched_;
    const int max_;
    int count_;
    WaitQueue waiters_;
};

}  // namespace qpysim
