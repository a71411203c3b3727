#include "net/write_pacer.h"

#include <utility>

#include "net/per_second.h"

namespace parley {

WritePacer::WritePacer(const Loop& loop, std::chrono::milliseconds delay, std::uint64_t busy_frames_per_second)
    : timer_(loop), delay_(delay), busy_rate_(busy_frames_per_second) {}

bool WritePacer::pacing(Clock::time_point now) {
  if (delay_.count() <= 0 || busy_rate_ == 0) return false;
  const auto elapsed = now - window_start_;
  if (elapsed >= kWindow) {
    // A long quiet spell counts as one window, so the first frames after it
    // are never paced.
    const bool busy = at_least_per_second(frames_, busy_rate_, elapsed);
    if (!busy) {
      pacing_ = false;
    } else if (pacing_) {
      pacing_ = ++paced_windows_ < kProbeEvery;  // else a window unpaced, to look again
    } else {
      pacing_ = frames_ < 2 * writes_;  // under two frames per write
      paced_windows_ = 0;
    }
    frames_ = 0;
    writes_ = 0;
    window_start_ = now;
  }
  return pacing_;
}

void WritePacer::defer(std::shared_ptr<PacedWriter> writer) {
  due_.push_back(std::move(writer));
  if (tick_due_) return;
  tick_due_ = true;
  timer_.expires_after(delay_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void WritePacer::tick() {
  tick_due_ = false;
  // Writers deferred while these write wait for the next tick.
  writing_.swap(due_);
  for (const auto& writer : writing_) writer->write_paced();
  writing_.clear();
}

}  // namespace parley
