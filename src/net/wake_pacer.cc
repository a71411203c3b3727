#include "net/wake_pacer.h"

#include <algorithm>

namespace parley {

WakePacer::WakePacer(std::chrono::microseconds pause, std::uint64_t busy_jobs_per_second, Clock::time_point start)
    : pause_(pause), busy_rate_(busy_jobs_per_second), window_start_(start) {}

WakePacer::Clock::duration WakePacer::woke(Clock::time_point now, std::size_t jobs) {
  if (pause_.count() <= 0 || busy_rate_ == 0) return Clock::duration::zero();
  jobs_ += jobs;
  const auto elapsed = now - window_start_;
  if (elapsed >= kWindow) {
    // jobs / seconds against the busy rate (or three quarters of it, to stop),
    // in integers; a long quiet spell counts as one window, so the first wakes
    // after it are never paced.
    constexpr std::uint64_t kLongestMicros = 100'000'000;  // keeps the products below in range
    const auto micros =
        std::min(kLongestMicros,
                 static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
    const std::uint64_t threshold = pacing_ ? busy_rate_ * 3 : busy_rate_ * 4;
    pacing_ = jobs_ * 4'000'000 >= threshold * micros;
    jobs_ = 0;
    window_start_ = now;
  }
  return pacing_ ? Clock::duration(pause_) : Clock::duration::zero();
}

}  // namespace parley
