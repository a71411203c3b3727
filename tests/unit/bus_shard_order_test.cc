// ShardOrder, the per-shard ordering buffer of the Redis event bus: messages
// wait for the notice that covers them and leave in offset order; a hole is
// repaired from the store after the wait, at once after a reconnect, and
// when too much is held; nothing is released twice.

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "bus/redis/shard_order.h"

namespace parley::bus {
namespace {

using namespace std::chrono_literals;
using TimePoint = ShardOrder::TimePoint;

const TimePoint t0{};

Message message(LogOffset offset) {
  Message m;
  m.chat_id = "c" + std::to_string(offset % 3);
  m.seq = offset;
  m.offset = offset;
  m.shard = 2;
  m.text = "m" + std::to_string(offset);
  return m;
}

std::vector<Recipient> to(const UserId& user) {
  return {Recipient{user, {}}};
}

std::vector<LogOffset> offsets(const std::vector<HeldMessage>& released) {
  std::vector<LogOffset> out;
  for (const auto& h : released) out.push_back(h.message.offset);
  return out;
}

ShardOrder order(LogOffset delivered = 0, std::size_t max_held = 100) {
  return ShardOrder(2, delivered, ShardOrderLimits{100ms, max_held});
}

TEST(ShardOrder, HoldsMessagesUntilTheirNoticeThenReleasesThemInOffsetOrder) {
  auto o = order();
  EXPECT_TRUE(o.hold(message(2), to("a"), t0));
  EXPECT_TRUE(o.hold(message(1), to("a"), t0));
  EXPECT_TRUE(o.take_ready().empty());
  o.notice(1, 2, t0);
  EXPECT_EQ(offsets(o.take_ready()), (std::vector<LogOffset>{1, 2}));
  EXPECT_EQ(o.delivered(), 2u);
  EXPECT_FALSE(o.waiting());
}

TEST(ShardOrder, ANoticeAheadOfTheNextOffsetWaitsForTheOneBeforeIt) {
  auto o = order();
  for (LogOffset i = 1; i <= 4; ++i) o.hold(message(i), to("a"), t0);
  o.notice(3, 4, t0);  // another node's batch 1..2 is still on its way
  EXPECT_TRUE(o.take_ready().empty());
  EXPECT_FALSE(o.start_repair(t0 + 50ms));
  o.notice(1, 2, t0 + 50ms);
  EXPECT_EQ(offsets(o.take_ready()), (std::vector<LogOffset>{1, 2, 3, 4}));
  EXPECT_FALSE(o.start_repair(t0 + 1s));
}

TEST(ShardOrder, ALostNoticeIsRepairedFromTheStoreAfterTheWaitThenTheRestFollows) {
  auto o = order();
  o.hold(message(1), to("a"), t0);
  o.hold(message(3), to("a"), t0);
  o.notice(3, 3, t0);  // the notice of 1..2 was lost
  EXPECT_FALSE(o.start_repair(t0 + 99ms));
  auto range = o.start_repair(t0 + 100ms);
  ASSERT_TRUE(range);
  EXPECT_EQ(*range, (RepairRange{2, 0, 2}));  // only the hole: 3 is held here
  EXPECT_TRUE(o.repairing());
  EXPECT_FALSE(o.hold(message(2), to("a"), t0 + 101ms));  // inside the repair: the store delivers it
  o.finish_repair(2, t0 + 110ms);
  EXPECT_EQ(offsets(o.take_ready()), (std::vector<LogOffset>{3}));
  EXPECT_EQ(o.delivered(), 3u);
  EXPECT_FALSE(o.waiting());
}

TEST(ShardOrder, MessagesWhoseNoticeNeverComesAreRepairedAfterTheWait) {
  auto o = order(10);
  o.hold(message(11), to("a"), t0);
  o.hold(message(12), to("a"), t0);
  EXPECT_FALSE(o.start_repair(t0 + 10ms));
  auto range = o.start_repair(t0 + 100ms);
  ASSERT_TRUE(range);
  EXPECT_EQ(*range, (RepairRange{2, 10, 12}));
  EXPECT_EQ(o.held_count(), 0u);
  o.finish_repair(12, t0 + 120ms);
  EXPECT_TRUE(o.take_ready().empty());
  o.notice(11, 12, t0 + 130ms);  // late: already repaired
  EXPECT_TRUE(o.take_ready().empty());
}

TEST(ShardOrder, DuplicatesNeverLeaveTwice) {
  auto o = order();
  EXPECT_TRUE(o.hold(message(1), to("a"), t0));
  EXPECT_FALSE(o.hold(message(1), to("a"), t0));  // the same user's channel twice
  EXPECT_TRUE(o.hold(message(1), to("b"), t0));   // another user on this node: merged
  o.notice(1, 1, t0);
  o.notice(1, 1, t0);
  auto released = o.take_ready();
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].recipients.size(), 2u);
  EXPECT_FALSE(o.hold(message(1), to("c"), t0));  // delivered already
  o.notice(1, 1, t0);
  EXPECT_TRUE(o.take_ready().empty());
  EXPECT_EQ(o.duplicates(), 2u);
}

TEST(ShardOrder, ANodeBeginsAtTheHeadItWasGiven) {
  auto o = order(100);
  EXPECT_FALSE(o.hold(message(100), to("a"), t0));
  o.notice(90, 100, t0);
  EXPECT_TRUE(o.take_ready().empty());
  EXPECT_FALSE(o.waiting());
  EXPECT_FALSE(o.start_repair(t0 + 1h));
}

TEST(ShardOrder, AReconnectRepairsUpToTheHeadAtOnceAndLiveTrafficResumesAfterIt) {
  auto o = order(5);
  o.force_repair_to(9);
  auto range = o.start_repair(t0);  // no wait: pub/sub lost what was published meanwhile
  ASSERT_TRUE(range);
  EXPECT_EQ(*range, (RepairRange{2, 5, 9}));
  EXPECT_FALSE(o.hold(message(8), to("a"), t0));  // published again? the repair has it
  EXPECT_TRUE(o.hold(message(10), to("a"), t0));
  o.notice(10, 10, t0);  // held while the repair runs
  EXPECT_TRUE(o.take_ready().empty());
  o.finish_repair(9, t0 + 5ms);
  EXPECT_EQ(offsets(o.take_ready()), (std::vector<LogOffset>{10}));
  EXPECT_EQ(o.delivered(), 10u);
}

TEST(ShardOrder, AReconnectWithNothingMissedRepairsNothing) {
  auto o = order(5);
  o.force_repair_to(5);
  EXPECT_FALSE(o.start_repair(t0));
  o.force_repair_to(3);
  EXPECT_FALSE(o.start_repair(t0));
}

TEST(ShardOrder, AFailedRepairIsRetriedAfterTheWaitFromWhereItStopped) {
  auto o = order();
  o.force_repair_to(10);
  ASSERT_TRUE(o.start_repair(t0));
  o.finish_repair(4, t0);  // the store failed after offset 4
  EXPECT_EQ(o.delivered(), 4u);
  EXPECT_FALSE(o.start_repair(t0 + 50ms));
  auto again = o.start_repair(t0 + 100ms);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, (RepairRange{2, 4, 10}));
  o.finish_repair(10, t0 + 100ms);
  EXPECT_FALSE(o.waiting());
}

TEST(ShardOrder, PastTheBoundMessagesAreDroppedAndTheWholeRangeRepairedAtOnce) {
  auto o = order(0, 3);
  for (LogOffset i = 1; i <= 3; ++i) EXPECT_TRUE(o.hold(message(i), to("a"), t0));
  EXPECT_FALSE(o.hold(message(4), to("a"), t0));
  EXPECT_FALSE(o.hold(message(5), to("a"), t0));
  EXPECT_EQ(o.held_count(), 3u);
  auto range = o.start_repair(t0);  // no wait
  ASSERT_TRUE(range);
  EXPECT_EQ(*range, (RepairRange{2, 0, 5}));
  EXPECT_EQ(o.held_count(), 0u);
  o.finish_repair(5, t0);
  o.notice(1, 5, t0);
  EXPECT_TRUE(o.take_ready().empty());
  EXPECT_EQ(o.delivered(), 5u);
}

TEST(ShardOrder, NoticesAreBoundedToo) {
  auto o = order(0, 4);
  for (LogOffset i = 2; i <= 20; i += 2) o.notice(i, i, t0);  // every other notice lost
  auto range = o.start_repair(t0);
  ASSERT_TRUE(range);
  EXPECT_EQ(range->up_to, 20u);
}

TEST(ShardOrder, AHeadLearnedElsewhereIsRepairedOnlyIfItsNoticeDoesNotCome) {
  auto o = order();
  o.learn_head(2, t0);
  o.hold(message(1), to("a"), t0);
  o.hold(message(2), to("a"), t0);
  o.notice(1, 2, t0 + 10ms);
  EXPECT_EQ(offsets(o.take_ready()), (std::vector<LogOffset>{1, 2}));
  EXPECT_FALSE(o.start_repair(t0 + 1s));
  o.learn_head(4, t0 + 1s);
  EXPECT_FALSE(o.start_repair(t0 + 1s + 50ms));
  auto range = o.start_repair(t0 + 1s + 100ms);
  ASSERT_TRUE(range);
  EXPECT_EQ(*range, (RepairRange{2, 2, 4}));
}

TEST(ShardOrder, ManyInterleavedBatchesFromTwoNodesLeaveInOrder) {
  auto o = order();
  // Node A commits odd batches, node B even ones; B's notices arrive late.
  std::vector<LogOffset> seen;
  for (LogOffset batch = 0; batch < 50; ++batch) {
    const LogOffset first = batch * 3 + 1;
    for (LogOffset i = first; i < first + 3; ++i) o.hold(message(i), to(batch % 2 ? "a" : "b"), t0);
    if (batch % 2 == 1) {
      o.notice(first, first + 2, t0);
      o.notice(first - 3, first - 1, t0);  // B's, after A's
    }
    for (auto off : offsets(o.take_ready())) seen.push_back(off);
  }
  ASSERT_EQ(seen.size(), 150u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
}

}  // namespace
}  // namespace parley::bus
