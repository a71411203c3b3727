#pragma once
// WritePacer: when a loop's connections write. While the loop queues fewer
// than `busy_frames_per_second` frames a second, a connection writes as soon
// as the loop gets to it: the lowest latency. Above that rate, a connection
// with only a few frames queued waits for the loop's next tick, at most
// `delay` away, and writes everything that arrived meanwhile in one system
// call. At 100 frames a second per connection (a member of a busy group) and
// a 20 ms tick, that is two to three frames per write instead of one, and one
// wake-up of the peer, one completion and one kernel send path for all of
// them: on loopback the send is most of what a delivery costs.
//
// Nagle's trade, bounded: a frame waits at most `delay` longer, and only
// while the loop is busy and its writes carry about one frame each. A loop
// whose writes already gather frames by themselves (its connections each get
// bursts, as a busy 1:1 load gives them) is not paced: waiting would add
// latency and save nothing. While pacing, one window in kProbeEvery is left
// unpaced to see whether that has become so. A connection with a full
// write's worth queued (a replay, a burst) never waits for the tick.
//
// One per loop; used on that loop's strand only, so it needs no lock.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace parley {

// A connection whose write waits for the tick.
class PacedWriter {
 public:
  virtual void write_paced() = 0;

 protected:
  ~PacedWriter() = default;
};

class WritePacer {
 public:
  using Clock = std::chrono::steady_clock;
  using Loop = boost::asio::strand<boost::asio::io_context::executor_type>;
  // The load is judged over windows of this length.
  static constexpr Clock::duration kWindow = std::chrono::milliseconds(100);
  static constexpr unsigned kProbeEvery = 50;

  // A zero `delay` or `busy_frames_per_second` never paces.
  WritePacer(const Loop& loop, std::chrono::milliseconds delay, std::uint64_t busy_frames_per_second);

  // A frame was queued on this loop.
  void count_frame() { ++frames_; }
  // A write went out on this loop.
  void count_write() { ++writes_; }
  // Whether a write asked for at `now` waits for the tick: over the last
  // whole window the loop queued frames at the busy rate or faster, and
  // (unless it was pacing already) wrote fewer than two frames per write.
  bool pacing(Clock::time_point now);
  // `writer` writes at the next tick.
  void defer(std::shared_ptr<PacedWriter> writer);

 private:
  void tick();

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds delay_;
  std::uint64_t busy_rate_;
  std::uint64_t frames_ = 0;    // counted since window_start_
  std::uint64_t writes_ = 0;    // likewise
  unsigned paced_windows_ = 0;  // in a row, since the last probe
  Clock::time_point window_start_ = Clock::now();
  bool pacing_ = false;
  bool tick_due_ = false;
  std::vector<std::shared_ptr<PacedWriter>> due_;  // write at the next tick
  std::vector<std::shared_ptr<PacedWriter>> writing_;
};

}  // namespace parley
