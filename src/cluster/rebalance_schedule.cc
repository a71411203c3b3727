#include "cluster/rebalance_schedule.h"

#include <stdexcept>

namespace parley::cluster {

RebalanceSchedule::RebalanceSchedule(std::chrono::milliseconds window) : window_(window) {
  if (window_.count() <= 0) throw std::invalid_argument("RebalanceSchedule: the window must be positive");
}

bool RebalanceSchedule::eligible(const Seen& seen, Clock::time_point now) const {
  if (now - seen.first_seen < window_) return false;  // arrived less than a window ago
  return seen.asked == Clock::time_point{} || now - seen.asked >= window_;
}

std::vector<RebalanceSchedule::Move> RebalanceSchedule::due(Clock::time_point now, const std::vector<Device>& devices) {
  // Where each connected device belongs now; closed connections drop out.
  std::map<Key, std::size_t, std::owner_less<Key>> away;  // -> index in `devices`
  for (std::size_t i = 0; i < devices.size(); ++i) {
    Key key = devices[i].handle;
    seen_.try_emplace(key, Seen{now});
    if (!devices[i].home_url.empty()) away.emplace(std::move(key), i);
  }
  std::erase_if(seen_, [](const auto& entry) { return entry.first.expired(); });

  if (next_ == round_.size()) {
    // A new round: every device away from home that has waited long enough.
    round_.clear();
    next_ = 0;
    round_start_ = now;
    for (const auto& device : devices) {  // in the caller's order
      Key key = device.handle;
      if (!device.home_url.empty() && eligible(seen_.at(key), now)) round_.push_back(std::move(key));
    }
  }

  std::vector<Move> out;
  const auto count = static_cast<std::int64_t>(round_.size());
  while (next_ < round_.size()) {
    const auto at = round_start_ + window_ * static_cast<std::int64_t>(next_) / count;
    if (at > now) break;
    const Key& key = round_[next_++];
    auto it = away.find(key);
    if (it == away.end()) continue;  // gone, or at home now (the ring changed back)
    seen_.at(key).asked = now;
    out.push_back(Move{it->second, devices[it->second].home_url});
  }
  return out;
}

}  // namespace parley::cluster
