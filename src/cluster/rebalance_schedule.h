#pragma once
// RebalanceSchedule: which of a node's devices to ask to move to their home
// node, and when (docs/cluster.md, "Rebalancing"). A device may be connected
// away from its home: it came here while its home was dead, or a node joined
// and the ring gave its user to that node. Any node serves any user, so this
// is never urgent; the schedule moves such devices home without a herd:
// - a device is asked only once it has been connected here for a whole
//   window (one that just arrived, e.g. during a failover, stays a while);
// - the devices due at one moment are asked one after another, spread evenly
//   over the next window, never all at once;
// - a device asked once is asked again only after another window (a client
//   that ignores `move` is not pestered).
//
// Devices are opaque handles (any object held by a shared_ptr; the schedule
// keeps weak references, so a closed connection simply drops out). Pure: time
// is passed in. Not thread-safe: one owner thread calls due().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace parley::cluster {

class RebalanceSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  struct Device {
    std::shared_ptr<const void> handle;
    std::string home_url;  // where it belongs; empty: here (or no home known)
  };
  struct Move {
    std::size_t device;  // index into due()'s `devices`
    std::string url;
  };

  // `window` > 0.
  explicit RebalanceSchedule(std::chrono::milliseconds window);

  // `devices`: every device connected now. Returns the ones to ask to move now.
  std::vector<Move> due(Clock::time_point now, const std::vector<Device>& devices);

  // Devices of the round under way that are not asked yet (for logs and tests).
  std::size_t pending() const { return round_.size() - next_; }

 private:
  using Key = std::weak_ptr<const void>;
  struct Seen {
    Clock::time_point first_seen;
    Clock::time_point asked{};  // epoch: never
  };

  bool eligible(const Seen& seen, Clock::time_point now) const;

  std::chrono::milliseconds window_;
  std::map<Key, Seen, std::owner_less<Key>> seen_;
  // The round under way: devices found due at round_start_, asked at
  // round_start_ + window * k / round_.size().
  std::vector<Key> round_;
  std::size_t next_ = 0;
  Clock::time_point round_start_{};
};

}  // namespace parley::cluster
