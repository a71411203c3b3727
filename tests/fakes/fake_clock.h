#pragma once
// FakeClock: a Clock that moves only when a test says so, so time-dependent
// code is tested without sleeping. Thread-safe.

#include <atomic>

#include "core/ports.h"

namespace parley {

class FakeClock final : public Clock {
 public:
  // 2023-11-14, a plausible wall-clock time in ms.
  static constexpr TimeMs kDefaultStart = 1'700'000'000'000;

  explicit FakeClock(TimeMs start = kDefaultStart) : now_(start) {}

  TimeMs now_ms() const override { return now_.load(std::memory_order_acquire); }
  void set(TimeMs now) { now_.store(now, std::memory_order_release); }
  // Returns the new time.
  TimeMs advance(TimeMs by) { return now_.fetch_add(by, std::memory_order_acq_rel) + by; }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace parley
