#pragma once
// ShardOrder: the ordering buffer of one log shard on a receiving node.
// Messages of the shard are held until a commit notice covers their offsets,
// then released in offset order. A hole (a notice or a message past the next
// expected offset that stays unfilled for `gap_wait`), too many held
// messages, or a reconnect to Redis asks for a repair: the caller reads the
// range from the store, delivers it, and reports how far it got.
//
// Pure logic with the time passed in; not thread-safe (RedisEventBus holds
// one mutex per shard around it). Every offset is released at most once:
// whatever is at or below what was released or repaired is dropped.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "bus/redis/envelope.h"
#include "core/model.h"

namespace parley::bus {

// A user on this node a message goes to, and which of their devices.
struct Recipient {
  UserId user;
  DeviceTarget target;
  friend bool operator==(const Recipient& a, const Recipient& b) {
    return a.user == b.user && a.target.only == b.target.only && a.target.except == b.target.except;
  }
};

struct HeldMessage {
  Message message;
  std::vector<Recipient> recipients;
};

// Read after < offset <= up_to of `shard` from the store.
struct RepairRange {
  ShardId shard = 0;
  LogOffset after = 0;
  LogOffset up_to = 0;
  friend bool operator==(const RepairRange&, const RepairRange&) = default;
};

struct ShardOrderLimits {
  // How long a hole may stay open before it is read from the store: a notice
  // from another node may simply still be on its way.
  std::chrono::milliseconds gap_wait{100};
  // Messages (and notices) held at once; past it they are dropped and the
  // range is read from the store instead, so memory stays bounded.
  std::size_t max_held = 10'000;
};

class ShardOrder {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `delivered`: everything at or below it is done (the shard's head at start).
  ShardOrder(ShardId shard, LogOffset delivered, ShardOrderLimits limits);

  // A message for `recipients` (merged with those it already has). False
  // when dropped: delivered already, being repaired, every recipient already
  // noted (a duplicate), or over the bound (then it is repaired later).
  bool hold(const Message& message, const std::vector<Recipient>& recipients, TimePoint now);
  // A commit notice of first..last; the messages it completes become ready.
  void notice(LogOffset first, LogOffset last, TimePoint now);
  // The shard has committed up to `head`: what is missing above the
  // delivered offset is repaired after the wait unless it arrives.
  void learn_head(LogOffset head, TimePoint now);
  // Repairs up to `head` without waiting (Redis lost what was published
  // while this node's subscription was down).
  void force_repair_to(LogOffset head);

  // Released messages, in offset order; the caller delivers them in that order.
  std::vector<HeldMessage> take_ready();
  // The range to repair now, if one is due; it is then in progress (messages
  // and notices inside it are dropped) until finish_repair.
  std::optional<RepairRange> start_repair(TimePoint now);
  // The repair delivered every message up to `reached` (its up_to when it
  // completed; less when a read failed: the rest is repaired after a wait).
  void finish_repair(LogOffset reached, TimePoint now);

  LogOffset delivered() const { return delivered_; }
  bool repairing() const { return repair_.has_value(); }
  std::size_t held_count() const { return held_.size(); }
  // Whether something is expected that has not been released yet.
  bool waiting() const { return max_known_ > delivered_; }
  // Messages dropped because they were delivered or noted already.
  std::size_t duplicates() const { return duplicates_; }

 private:
  void advance(TimePoint now, bool progressed);
  LogOffset done_up_to() const { return repair_ ? std::max(delivered_, repair_->up_to) : delivered_; }

  ShardId shard_;
  ShardOrderLimits limits_;
  LogOffset delivered_;
  LogOffset max_known_;  // highest offset this node knows exists on the shard
  std::map<LogOffset, HeldMessage> held_;
  std::map<LogOffset, LogOffset> notices_;  // first -> last, not yet applied
  std::vector<HeldMessage> ready_;
  std::optional<TimePoint> waiting_since_;
  std::optional<RepairRange> repair_;
  bool overflowed_ = false;
  bool forced_ = false;
  std::size_t duplicates_ = 0;
};

}  // namespace parley::bus
