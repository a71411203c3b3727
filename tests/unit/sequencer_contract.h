#pragma once
// The MessageSequencer contract, as typed tests any sequencer can run.
// A harness type H provides:
//   H()                                  a fresh, empty log
//   MessageSequencer& sequencer()        the node under test
//   MessageLog& log()                    its log, to read back what was stored
//   static constexpr bool kManyNodes     whether other_node() exists
//   std::unique_ptr<MessageSequencer> other_node()   another node on the same log
// Instantiate with INSTANTIATE_TYPED_TEST_SUITE_P(Name, SequencerContract, Types).

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/ports.h"

namespace parley::testing {

inline NewMessage new_message(const ChatId& chat, const std::string& client_msg_id, const UserId& sender = "ann") {
  return NewMessage{chat, sender, "dev-" + sender, client_msg_id, "text of " + client_msg_id, 1000};
}

// The values of a commit that must have worked.
inline std::vector<CommitOutcome> committed(std::vector<Result<CommitOutcome>> outcomes) {
  std::vector<CommitOutcome> out;
  for (auto& o : outcomes) {
    EXPECT_TRUE(o.ok()) << (o.ok() ? "" : o.error().message);
    if (o.ok()) out.push_back(std::move(*o));
  }
  return out;
}

template <typename H>
class SequencerContract : public ::testing::Test {
 protected:
  H harness;
};
TYPED_TEST_SUITE_P(SequencerContract);

TYPED_TEST_P(SequencerContract, SeqStartsAtOnePerChatAndOffsetsFollowCommitOrder) {
  auto& seq = this->harness.sequencer();
  auto first = committed(seq.commit({new_message("c1", "a"), new_message("c2", "b"), new_message("c1", "c")}));
  auto second = committed(seq.commit({new_message("c2", "d"), new_message("c1", "e")}));
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(first[0].message.seq, 1u);
  EXPECT_EQ(first[1].message.seq, 1u);
  EXPECT_EQ(first[2].message.seq, 2u);
  EXPECT_EQ(second[0].message.seq, 2u);
  EXPECT_EQ(second[1].message.seq, 3u);
  // Per shard, offsets grow in the order of the commits.
  std::map<ShardId, LogOffset> last;
  for (const auto* batch : {&first, &second}) {
    for (const auto& o : *batch) {
      EXPECT_FALSE(o.duplicate);
      EXPECT_GT(o.message.offset, last[o.message.shard]);
      last[o.message.shard] = o.message.offset;
      EXPECT_EQ(o.message.shard, this->harness.log().shard_of(o.message.chat_id));
    }
  }
  // Everything committed is covered by the head and readable.
  const LogPosition head = seq.committed_head();
  for (const auto* batch : {&first, &second}) {
    for (const auto& o : *batch) {
      EXPECT_TRUE(head.covers(o.message.shard, o.message.offset));
      auto stored = this->harness.log().find(o.message.chat_id, o.message.seq);
      ASSERT_TRUE(stored.ok());
      ASSERT_TRUE(stored->has_value());
      EXPECT_EQ((*stored)->client_msg_id, o.message.client_msg_id);
      EXPECT_EQ((*stored)->text, o.message.text);
      EXPECT_EQ((*stored)->offset, o.message.offset);
    }
  }
}

TYPED_TEST_P(SequencerContract, AResendIsTheStoredMessageAndTakesNoSeq) {
  auto& seq = this->harness.sequencer();
  auto first = committed(seq.commit({new_message("c1", "a")}));
  // Again in a later batch, twice in one batch, and the same id from another sender (a different message).
  auto again = committed(seq.commit(
      {new_message("c1", "a"), new_message("c1", "b"), new_message("c1", "b"), new_message("c1", "a", "bob")}));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(again.size(), 4u);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].message.seq, first[0].message.seq);
  EXPECT_EQ(again[0].message.offset, first[0].message.offset);
  EXPECT_FALSE(again[1].duplicate);
  EXPECT_EQ(again[1].message.seq, 2u);
  EXPECT_TRUE(again[2].duplicate);
  EXPECT_EQ(again[2].message.seq, 2u);
  EXPECT_FALSE(again[3].duplicate);
  EXPECT_EQ(again[3].message.seq, 3u);
  auto last = this->harness.log().last_seq("c1");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 3u);
}

TYPED_TEST_P(SequencerContract, EmptyBatchChangesNothing) {
  auto& seq = this->harness.sequencer();
  const LogPosition before = seq.committed_head();
  EXPECT_TRUE(seq.commit({}).empty());
  EXPECT_EQ(seq.committed_head(), before);
}

// Several nodes commit into the same chats at once: every chat is 1..N with
// no gap and no seq used twice, every id is stored once.
TYPED_TEST_P(SequencerContract, ConcurrentNodesKeepEveryChatGapFree) {
  if constexpr (!TypeParam::kManyNodes) {
    GTEST_SKIP() << "one node owns this log";
  } else {
    constexpr int kNodes = 3, kBatches = 20, kPerBatch = 10;
    const std::vector<ChatId> chats = {"c1", "c2", "c3"};
    std::vector<std::unique_ptr<MessageSequencer>> nodes;
    for (int n = 0; n < kNodes; ++n) nodes.push_back(this->harness.other_node());
    std::vector<std::thread> threads;
    for (int n = 0; n < kNodes; ++n) {
      threads.emplace_back([&, n] {
        for (int b = 0; b < kBatches; ++b) {
          std::vector<NewMessage> batch;
          for (int i = 0; i < kPerBatch; ++i) {
            batch.push_back(new_message(chats[static_cast<std::size_t>(i) % chats.size()],
                                        "n" + std::to_string(n) + "-" + std::to_string(b) + "-" + std::to_string(i)));
          }
          for (auto& o : nodes[static_cast<std::size_t>(n)]->commit(batch)) EXPECT_TRUE(o.ok());
        }
      });
    }
    for (auto& t : threads) t.join();
    std::size_t total = 0;
    for (const auto& chat : chats) {
      auto all = this->harness.log().read_after(chat, 0, 100000);
      ASSERT_TRUE(all.ok());
      std::set<std::string> ids;
      for (std::size_t i = 0; i < all->size(); ++i) {
        EXPECT_EQ((*all)[i].seq, i + 1) << chat;
        ids.insert((*all)[i].client_msg_id);
        if (i > 0) {
          EXPECT_GT((*all)[i].offset, (*all)[i - 1].offset) << "offsets follow seq inside a chat";
        }
      }
      EXPECT_EQ(ids.size(), all->size());
      total += all->size();
    }
    EXPECT_EQ(total, static_cast<std::size_t>(kNodes * kBatches * kPerBatch));
  }
}

inline NewMessage validated_at(NewMessage m, std::uint64_t chat_version) {
  m.chat_version = chat_version;
  return m;
}

// After chat_changed(v), a message validated against an older version is
// refused with `conflict` and takes no seq; one validated against v or later,
// or not checked (0), is stored; a resend of a stored message is still that
// message; a lower version later changes nothing.
TYPED_TEST_P(SequencerContract, AMessageValidatedAgainstAnOlderChatVersionIsRefusedAndTakesNoSeq) {
  auto& seq = this->harness.sequencer();
  auto first = committed(seq.commit({validated_at(new_message("c1", "a"), 1)}));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(seq.chat_changed("c1", 3).ok());
  ASSERT_TRUE(seq.chat_changed("c1", 2).ok());  // late and lower: c1 stays at 3
  auto outcomes = seq.commit({validated_at(new_message("c1", "old"), 2), validated_at(new_message("c1", "a"), 1),
                              validated_at(new_message("c1", "new"), 3), validated_at(new_message("c2", "other"), 1),
                              validated_at(new_message("c1", "old"), 2), new_message("c1", "unchecked")});
  ASSERT_EQ(outcomes.size(), 6u);
  ASSERT_FALSE(outcomes[0].ok());
  EXPECT_EQ(outcomes[0].error().code, ErrorCode::conflict);
  ASSERT_TRUE(outcomes[1].ok());  // the resend: what was stored
  EXPECT_TRUE(outcomes[1]->duplicate);
  EXPECT_EQ(outcomes[1]->message.seq, 1u);
  ASSERT_TRUE(outcomes[2].ok());
  EXPECT_EQ(outcomes[2]->message.seq, 2u) << "the refused message took no seq";
  ASSERT_TRUE(outcomes[3].ok()) << "another chat's version is its own";
  ASSERT_FALSE(outcomes[4].ok()) << "the same old message again in the batch";
  EXPECT_EQ(outcomes[4].error().code, ErrorCode::conflict);
  ASSERT_TRUE(outcomes[5].ok());
  EXPECT_EQ(outcomes[5]->message.seq, 3u);
  auto stored = this->harness.log().read_after("c1", 0, 100);
  ASSERT_TRUE(stored.ok());
  std::vector<std::string> ids;
  for (const auto& m : *stored) ids.push_back(m.client_msg_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "new", "unchecked"}));
  // Validated again against the new version, it goes through.
  auto resent = committed(seq.commit({validated_at(new_message("c1", "old"), 3)}));
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].message.seq, 4u);
}

// The change is seen by every node sharing the log, also for a chat that has
// no message yet.
TYPED_TEST_P(SequencerContract, AChatChangeHeardByOneNodeHoldsOnEveryNode) {
  if constexpr (!TypeParam::kManyNodes) {
    GTEST_SKIP() << "one node owns this log";
  } else {
    auto a = this->harness.other_node();
    auto b = this->harness.other_node();
    ASSERT_TRUE(a->chat_changed("fresh", 2).ok());
    ASSERT_TRUE(a->chat_changed("busy", 5).ok());
    committed(b->commit({validated_at(new_message("busy", "x"), 5)}));
    auto outcomes = b->commit({validated_at(new_message("fresh", "f1"), 1), validated_at(new_message("busy", "y"), 4)});
    ASSERT_EQ(outcomes.size(), 2u);
    ASSERT_FALSE(outcomes[0].ok());
    EXPECT_EQ(outcomes[0].error().code, ErrorCode::conflict);
    ASSERT_FALSE(outcomes[1].ok());
    EXPECT_EQ(outcomes[1].error().code, ErrorCode::conflict);
    auto fresh = committed(b->commit({validated_at(new_message("fresh", "f1"), 2)}));
    ASSERT_EQ(fresh.size(), 1u);
    EXPECT_EQ(fresh[0].message.seq, 1u);
  }
}

REGISTER_TYPED_TEST_SUITE_P(SequencerContract, SeqStartsAtOnePerChatAndOffsetsFollowCommitOrder,
                            AResendIsTheStoredMessageAndTakesNoSeq, EmptyBatchChangesNothing,
                            ConcurrentNodesKeepEveryChatGapFree,
                            AMessageValidatedAgainstAnOlderChatVersionIsRefusedAndTakesNoSeq,
                            AChatChangeHeardByOneNodeHoldsOnEveryNode);

}  // namespace parley::testing
