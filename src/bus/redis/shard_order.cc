#include "bus/redis/shard_order.h"

#include <algorithm>
#include <utility>

namespace parley::bus {

ShardOrder::ShardOrder(ShardId shard, LogOffset delivered, ShardOrderLimits limits)
    : shard_(shard), limits_(limits), delivered_(delivered), max_known_(delivered) {}

bool ShardOrder::hold(const Message& message, const std::vector<Recipient>& recipients, TimePoint now) {
  const LogOffset offset = message.offset;
  if (offset <= done_up_to()) {
    ++duplicates_;
    return false;
  }
  max_known_ = std::max(max_known_, offset);
  auto it = held_.find(offset);
  if (it == held_.end()) {
    if (held_.size() >= limits_.max_held) {
      overflowed_ = true;  // max_known_ covers it: the repair reads it from the store
      return false;
    }
    it = held_.emplace(offset, HeldMessage{message, {}}).first;
  }
  bool added = false;
  for (const auto& r : recipients) {
    if (std::find(it->second.recipients.begin(), it->second.recipients.end(), r) != it->second.recipients.end()) {
      continue;
    }
    it->second.recipients.push_back(r);
    added = true;
  }
  if (!added) ++duplicates_;
  if (!waiting_since_) waiting_since_ = now;
  return added;
}

void ShardOrder::notice(LogOffset first, LogOffset last, TimePoint now) {
  if (first == 0 || last < first || last <= done_up_to()) return;
  max_known_ = std::max(max_known_, last);
  auto [it, inserted] = notices_.emplace(first, last);
  if (!inserted) {
    it->second = std::max(it->second, last);
  } else if (notices_.size() > limits_.max_held) {
    notices_.erase(it);
    overflowed_ = true;
  }
  advance(now, false);
}

void ShardOrder::learn_head(LogOffset head, TimePoint now) {
  if (head <= max_known_) return;
  max_known_ = head;
  if (!waiting_since_) waiting_since_ = now;
}

void ShardOrder::force_repair_to(LogOffset head) {
  max_known_ = std::max(max_known_, head);
  if (max_known_ > delivered_) forced_ = true;
}

void ShardOrder::advance(TimePoint now, bool progressed) {
  while (!repair_ && !notices_.empty() && notices_.begin()->first <= delivered_ + 1) {
    const LogOffset last = notices_.begin()->second;
    notices_.erase(notices_.begin());
    if (last <= delivered_) continue;
    const auto end = held_.upper_bound(last);
    for (auto it = held_.begin(); it != end; it = held_.erase(it)) {
      if (it->first > delivered_) ready_.push_back(std::move(it->second));
    }
    delivered_ = last;
    progressed = true;
  }
  if (max_known_ <= delivered_) {
    waiting_since_.reset();
  } else if (progressed || !waiting_since_) {
    waiting_since_ = now;
  }
}

std::vector<HeldMessage> ShardOrder::take_ready() {
  return std::exchange(ready_, {});
}

std::optional<RepairRange> ShardOrder::start_repair(TimePoint now) {
  if (repair_ || max_known_ <= delivered_) return std::nullopt;
  const bool waited = waiting_since_ && now - *waiting_since_ >= limits_.gap_wait;
  if (!overflowed_ && !forced_ && !waited) return std::nullopt;
  LogOffset up_to = max_known_;
  if (!overflowed_ && !forced_ && !notices_.empty() && notices_.begin()->first > delivered_ + 1) {
    up_to = notices_.begin()->first - 1;  // only the hole: what follows it is held here
  }
  overflowed_ = false;
  forced_ = false;
  repair_ = RepairRange{shard_, delivered_, up_to};
  held_.erase(held_.begin(), held_.upper_bound(up_to));
  for (auto it = notices_.begin(); it != notices_.end();) {
    it = it->second <= up_to ? notices_.erase(it) : std::next(it);
  }
  return repair_;
}

void ShardOrder::finish_repair(LogOffset reached, TimePoint now) {
  if (!repair_) return;
  reached = std::min(reached, repair_->up_to);
  const bool progressed = reached > delivered_;
  delivered_ = std::max(delivered_, reached);
  repair_.reset();
  held_.erase(held_.begin(), held_.upper_bound(delivered_));
  // An incomplete repair waits again before it retries (the store may be down).
  if (!progressed) waiting_since_ = now;
  advance(now, progressed);
}

}  // namespace parley::bus
