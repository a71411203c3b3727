#include "net/wake_pacer.h"

#include "net/per_second.h"

namespace parley {

WakePacer::WakePacer(std::chrono::microseconds pause, std::uint64_t busy_jobs_per_second, Clock::time_point start)
    : pause_(pause), busy_rate_(busy_jobs_per_second), window_start_(start) {}

WakePacer::Clock::duration WakePacer::woke(Clock::time_point now, std::size_t jobs) {
  if (pause_.count() <= 0 || busy_rate_ == 0) return Clock::duration::zero();
  jobs_ += jobs;
  const auto elapsed = now - window_start_;
  if (elapsed >= kWindow) {
    // Three quarters of the busy rate keeps a thread paced; a long quiet
    // spell counts as one window, so the first wakes after it are never paced.
    pacing_ = pacing_ ? at_least_per_second(jobs_ * 4, busy_rate_ * 3, elapsed)
                      : at_least_per_second(jobs_, busy_rate_, elapsed);
    jobs_ = 0;
    window_start_ = now;
  }
  return pacing_ ? Clock::duration(pause_) : Clock::duration::zero();
}

}  // namespace parley
