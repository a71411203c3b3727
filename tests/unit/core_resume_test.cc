// ResumeReader: exactly the missed messages, merged across chats in offset
// order, paged, with read-ahead memory bounded whatever the backlog.
#include <algorithm>
#include <map>
#include <set>

#include "core/resume_reader.h"
#include "core_fixture.h"

namespace parley::testing {
namespace {

class ResumeReaderTest : public CoreTest {
 protected:
  // Ann and `peers` friends, one direct chat each with Ann; `rounds` rounds
  // of one message per chat, interleaved so that offsets alternate chats.
  void fill(std::size_t peers, std::size_t rounds) {
    ann_ = make_user("ann");
    auto writer = login("ann");
    for (std::size_t p = 0; p < peers; ++p) chats_.push_back(direct(ann_, make_user("peer" + std::to_string(p))));
    for (std::size_t r = 0; r < rounds; ++r) {
      for (std::size_t c = 0; c < chats_.size(); ++c) {
        ASSERT_TRUE(send(writer, chats_[c], "m" + std::to_string(r) + "-" + std::to_string(c), "hi").ok());
      }
    }
  }

  ResumeReader open(LogOffset cursor, ResumeLimits limits, std::optional<LogOffset> head = std::nullopt) {
    auto reader = ResumeReader::open(
        core->conversations, ann_, LogPosition({cursor}),
        [&] { return LogPosition({head.value_or(core->pipeline.committed_offset())}); }, limits);
    EXPECT_TRUE(reader.ok());
    return std::move(*reader);
  }

  // Every page until done; checks each page's size bound and the read-ahead bound.
  std::vector<Message> drain(ResumeReader& reader, ResumeLimits limits, std::size_t max_held) {
    std::vector<Message> all;
    while (!reader.done()) {
      EXPECT_LE(reader.held(), max_held);
      auto page = reader.next_page();
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      EXPECT_LE(page->size(), limits.page);
      EXPECT_FALSE(page->empty()) << "a reader that is not done returns messages";
      all.insert(all.end(), page->begin(), page->end());
    }
    return all;
  }

  UserId ann_;
  std::vector<ChatId> chats_;
};

TEST_F(ResumeReaderTest, YieldsEveryMissedMessageOnceInOffsetOrder) {
  fill(7, 30);
  ResumeLimits limits{16, 32};
  auto reader = open(0, limits);
  EXPECT_EQ(reader.start().at(0), 0u);
  EXPECT_EQ(reader.head().at(0), core->pipeline.committed_offset());
  auto all = drain(reader, limits, limits.budget + chats_.size());
  ASSERT_EQ(all.size(), 7u * 30u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].offset, i + 1) << "offset order, no gap, no repeat";
  std::map<ChatId, Seq> last;
  for (const auto& m : all) EXPECT_EQ(m.seq, ++last[m.chat_id]) << "seq order within each chat";
  EXPECT_TRUE(reader.next_page()->empty());
}

TEST_F(ResumeReaderTest, StartsAfterTheCursorAndStopsAtTheHead) {
  fill(3, 10);
  LogOffset cursor = 11, head = 25;
  ResumeLimits limits{4, 8};
  auto reader = open(cursor, limits, head);
  auto all = drain(reader, limits, 8 + chats_.size());
  ASSERT_EQ(all.size(), head - cursor);
  EXPECT_EQ(all.front().offset, cursor + 1);
  EXPECT_EQ(all.back().offset, head);
  EXPECT_TRUE(reader.covered(0, head));
  EXPECT_TRUE(reader.covered(0, 1));
  EXPECT_FALSE(reader.covered(0, head + 1));
  EXPECT_FALSE(reader.covered(0, 0)) << "offset 0 marks frames that are not messages";
  EXPECT_FALSE(reader.covered(1, 1)) << "a shard the head does not know is all ahead";
}

TEST_F(ResumeReaderTest, ACursorAheadOfTheHeadOrNoBacklogIsDoneAtOnce) {
  fill(2, 3);
  auto head = core->pipeline.committed_offset();
  auto ahead = open(head + 1000, {});
  EXPECT_EQ(ahead.start().at(0), head) << "a cursor from the future resumes at the head";
  EXPECT_TRUE(ahead.done());
  auto live_only = open(~LogOffset{0}, {});
  EXPECT_TRUE(live_only.done());
  auto current = open(head, {});
  EXPECT_TRUE(current.done());
}

// The bound that keeps many resuming devices from eating the machine: the
// reader never holds more than its budget (or one message per chat).
TEST_F(ResumeReaderTest, ReadAheadStaysWithinTheBudgetWithManyChats) {
  fill(60, 5);
  ResumeLimits limits{10, 20};
  auto reader = open(0, limits);
  EXPECT_LE(reader.held(), limits.budget + chats_.size()) << "one message per chat when chats outnumber the budget";
  auto all = drain(reader, limits, limits.budget + chats_.size());
  EXPECT_EQ(all.size(), 300u);
  EXPECT_EQ(reader.held(), 0u);

  ResumeLimits roomy{50, 600};
  auto few = open(0, roomy);
  EXPECT_LE(few.held(), roomy.budget + chats_.size());
  EXPECT_EQ(drain(few, roomy, roomy.budget + chats_.size()).size(), 300u);
}

TEST_F(ResumeReaderTest, ChatsWithoutBacklogHoldNothing) {
  fill(5, 2);
  auto head = core->pipeline.committed_offset();
  // Only the last chat gets new messages after the cursor.
  auto writer = login("ann");
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(send(writer, chats_.back(), "late" + std::to_string(i), "x").ok());
  ResumeLimits limits{4, 100};
  auto reader = open(head, limits);
  EXPECT_LE(reader.held(), 9u);
  auto all = drain(reader, limits, 100);
  ASSERT_EQ(all.size(), 9u);
  for (const auto& m : all) EXPECT_EQ(m.chat_id, chats_.back());
}

// A sharded log (the cluster's): each shard resumes from its own offset,
// shards are replayed one after the other in offset order, and the cursor
// advanced through the replay is exact wherever the device stops.
TEST_F(ResumeReaderTest, EachShardResumesFromItsOwnOffset) {
  store.set_shard_count(2);
  fill(8, 6);
  std::map<ShardId, std::vector<Message>> by_shard;
  for (const auto& chat : chats_) {
    auto all = core->conversations.backlog(chat, 0, core->pipeline.committed_offset(), 1000);
    ASSERT_TRUE(all.ok());
    for (const auto& m : *all) by_shard[m.shard].push_back(m);
  }
  ASSERT_EQ(by_shard.size(), 2u) << "the chats landed on one shard; pick other ids";
  for (auto& [shard, messages] : by_shard) {
    std::sort(messages.begin(), messages.end(), [](const Message& a, const Message& b) { return a.offset < b.offset; });
  }
  // The device has seen the first third of shard 0 and the first half of shard 1.
  const LogOffset head = core->pipeline.committed_offset();
  const LogPosition cursor({by_shard[0][by_shard[0].size() / 3].offset, by_shard[1][by_shard[1].size() / 2].offset});
  auto expected = [&](const LogPosition& from) {
    std::vector<std::pair<ShardId, LogOffset>> out;
    for (const auto& [shard, messages] : by_shard) {
      for (const auto& m : messages) {
        if (!from.covers(shard, m.offset)) out.emplace_back(shard, m.offset);
      }
    }
    return out;
  };
  ResumeLimits limits{5, 8};
  auto opened = ResumeReader::open(
      core->conversations, ann_, cursor,
      [&] {
        return LogPosition({head, head});
      },
      limits);
  ASSERT_TRUE(opened.ok());
  auto all = drain(*opened, limits, 8 + chats_.size());
  std::vector<std::pair<ShardId, LogOffset>> got;
  for (const auto& m : all) got.emplace_back(m.shard, m.offset);
  EXPECT_EQ(got, expected(cursor));

  // Stopping after any message and resuming with the cursor advanced to it
  // yields exactly the rest.
  LogPosition position = cursor;
  for (std::size_t stop = 0; stop < all.size(); stop += 7) {
    position = cursor;
    for (std::size_t i = 0; i <= stop; ++i) position.advance(all[i].shard, all[i].offset);
    auto rest = ResumeReader::open(
        core->conversations, ann_, position,
        [&] {
          return LogPosition({head, head});
        },
        limits);
    ASSERT_TRUE(rest.ok());
    auto again = drain(*rest, limits, 8 + chats_.size());
    std::vector<std::pair<ShardId, LogOffset>> rest_got;
    for (const auto& m : again) rest_got.emplace_back(m.shard, m.offset);
    const std::vector<std::pair<ShardId, LogOffset>> rest_expected(got.begin() + static_cast<std::ptrdiff_t>(stop) + 1,
                                                                   got.end());
    EXPECT_EQ(rest_got, rest_expected);
  }
}

TEST_F(ResumeReaderTest, WithoutACursorNothingIsReplayed) {
  fill(3, 3);
  auto reader = ResumeReader::open(
      core->conversations, ann_, std::nullopt, [&] { return core->pipeline.committed_position(); }, ResumeLimits{});
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE(reader->done());
  EXPECT_EQ(reader->start(), reader->head());
}

}  // namespace
}  // namespace parley::testing
