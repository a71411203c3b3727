#pragma once
// WakePacer: whether an I/O thread, having run out of ready work, looks for
// more at once or first lets some gather. A thread that runs fewer than
// `busy_jobs_per_second` jobs (a read, a write, frames or an ack handed to it)
// never waits: the lowest latency. At a busy 1:1 load, which spreads evenly
// over its connections, a thread that looks at once finds one send, one ack
// or one write at a time, and each look costs more than the work it finds:
// an epoll_wait, a read that finds nothing more, the switch back into the
// thread, and on the commit side a synced write for a batch of a few sends.
// While the thread is busy it waits after each wake until `pause` has passed
// since it woke, so that the next wake finds several connections' sends, the
// acks of one commit and several frames per connection ready at once, and
// the commit thread gets the sends of a whole pause in one batch.
//
// Interrupt moderation, bounded: work waits at most `pause` longer, and only
// while the thread is busy. Pacing stops once the rate falls below three
// quarters of the busy rate, so that a load near it does not flap.
//
// One per I/O thread; used by that thread only, so it needs no lock.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace parley {

class WakePacer {
 public:
  using Clock = std::chrono::steady_clock;
  // The wake rate is judged over windows of this length.
  static constexpr Clock::duration kWindow = std::chrono::milliseconds(100);

  // A zero `pause` or `busy_jobs_per_second` never paces.
  WakePacer(std::chrono::microseconds pause, std::uint64_t busy_jobs_per_second,
            Clock::time_point start = Clock::now());

  // The thread woke at `now` and ran `jobs` before it found nothing ready.
  // Answers how long after `now` it looks for more at the earliest: zero
  // while it is not busy.
  Clock::duration woke(Clock::time_point now, std::size_t jobs);

 private:
  std::chrono::microseconds pause_;
  std::uint64_t busy_rate_;
  std::uint64_t jobs_ = 0;  // counted since window_start_
  Clock::time_point window_start_;
  bool pacing_ = false;
};

}  // namespace parley
