// Store contract, message log and push jobs: runs against MemoryStore and
// RocksStore.
#include <limits>
#include <thread>

#include "store_contract_fixture.h"

namespace parley::testing {
namespace {

template <typename S>
class MessageLogContract : public StoreContractTest<S> {
 protected:
  // Appends seqs first..last of `chat` as one batch, offsets from `offset`.
  void append_range(const ChatId& chat, Seq first, Seq last, LogOffset offset) {
    std::vector<Message> batch;
    for (Seq s = first; s <= last; ++s) batch.push_back(make_message(chat, s, offset++));
    ASSERT_TRUE(this->log().append(batch).ok());
  }
};
TYPED_TEST_SUITE(MessageLogContract, StoreTypes, StoreTypeNames);

template <typename S>
class PushJobStoreContract : public StoreContractTest<S> {};
TYPED_TEST_SUITE(PushJobStoreContract, StoreTypes, StoreTypeNames);

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

TYPED_TEST(MessageLogContract, EmptyLogHasNothing) {
  EXPECT_EQ(must(this->log().last_seq("c")), 0u);
  EXPECT_EQ(must(this->log().last_offset()), 0u);
  EXPECT_FALSE(must(this->log().find("c", 1)).has_value());
  EXPECT_TRUE(must(this->log().read_before("c", 0, 10)).empty());
  EXPECT_TRUE(must(this->log().read_after("c", 0, 10)).empty());
  EXPECT_TRUE(must(this->log().read_offset_range("c", 0, kMax, 10)).empty());
  EXPECT_FALSE(must(this->log().find_by_client_msg_id("c", "alice", "m-1")).has_value());
}

TYPED_TEST(MessageLogContract, AppendedMessagesAreFoundWithEveryField) {
  Message first = make_message("c", 1, 11, "alice", "cm-1");
  Message second = make_message("c", 2, 12, "bob", "cm-2");
  constexpr char kAwkwardText[] = "multi\nline \xF0\x9F\x98\x80 and a \0 byte";
  second.text = std::string(kAwkwardText, sizeof kAwkwardText - 1);
  ASSERT_TRUE(this->log().append({first, second}).ok());

  auto a = must(this->log().find("c", 1));
  auto b = must(this->log().find("c", 2));
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(fields(*a), fields(first));
  EXPECT_EQ(fields(*b), fields(second));
  EXPECT_EQ(must(this->log().last_seq("c")), 2u);
  EXPECT_EQ(must(this->log().last_offset()), 12u);
  EXPECT_FALSE(must(this->log().find("c", 3)).has_value());
}

TYPED_TEST(MessageLogContract, EmptyBatchChangesNothing) {
  ASSERT_TRUE(this->log().append({}).ok());
  EXPECT_EQ(must(this->log().last_offset()), 0u);
}

TYPED_TEST(MessageLogContract, ReadBeforeIsNewestFirst) {
  this->append_range("c", 1, 10, 1);
  EXPECT_EQ(seqs(must(this->log().read_before("c", 0, 3))), (std::vector<Seq>{10, 9, 8}));
  EXPECT_EQ(seqs(must(this->log().read_before("c", 5, 10))), (std::vector<Seq>{4, 3, 2, 1}));
  EXPECT_EQ(seqs(must(this->log().read_before("c", 5, 2))), (std::vector<Seq>{4, 3}));
  EXPECT_EQ(seqs(must(this->log().read_before("c", 11, 1))), (std::vector<Seq>{10}));
  EXPECT_EQ(seqs(must(this->log().read_before("c", kMax, 1))), (std::vector<Seq>{10}));
  EXPECT_TRUE(must(this->log().read_before("c", 1, 10)).empty());
  EXPECT_TRUE(must(this->log().read_before("c", 0, 0)).empty());
}

TYPED_TEST(MessageLogContract, ReadAfterIsOldestFirst) {
  this->append_range("c", 1, 10, 1);
  EXPECT_EQ(seqs(must(this->log().read_after("c", 0, 3))), (std::vector<Seq>{1, 2, 3}));
  EXPECT_EQ(seqs(must(this->log().read_after("c", 7, 10))), (std::vector<Seq>{8, 9, 10}));
  EXPECT_TRUE(must(this->log().read_after("c", 10, 10)).empty());
  EXPECT_TRUE(must(this->log().read_after("c", kMax, 10)).empty());
  EXPECT_TRUE(must(this->log().read_after("c", 0, 0)).empty());
}

TYPED_TEST(MessageLogContract, SeqsOrderNumericallyPastOneByte) {
  // Little-endian or textual keys would put 256 before 2.
  this->append_range("c", 1, 150, 1);
  this->append_range("c", 151, 300, 151);
  EXPECT_EQ(must(this->log().last_seq("c")), 300u);
  EXPECT_EQ(seqs(must(this->log().read_before("c", 0, 2))), (std::vector<Seq>{300, 299}));
  EXPECT_EQ(seqs(must(this->log().read_after("c", 254, 3))), (std::vector<Seq>{255, 256, 257}));
  EXPECT_EQ(seqs(must(this->log().read_before("c", 257, 2))), (std::vector<Seq>{256, 255}));
  auto all = must(this->log().read_after("c", 0, 1000));
  ASSERT_EQ(all.size(), 300u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, i + 1);
}

TYPED_TEST(MessageLogContract, ChatIdsThatArePrefixesStaySeparate) {
  this->append_range("ab", 1, 3, 1);
  this->append_range("abc", 1, 5, 4);
  this->append_range("a", 1, 1, 9);

  EXPECT_EQ(must(this->log().last_seq("ab")), 3u);
  EXPECT_EQ(must(this->log().last_seq("abc")), 5u);
  EXPECT_EQ(must(this->log().last_seq("a")), 1u);
  EXPECT_EQ(must(this->log().last_seq("abcd")), 0u);
  EXPECT_EQ(seqs(must(this->log().read_before("ab", 0, 10))), (std::vector<Seq>{3, 2, 1}));
  EXPECT_EQ(seqs(must(this->log().read_after("ab", 0, 10))), (std::vector<Seq>{1, 2, 3}));
  EXPECT_EQ(seqs(must(this->log().read_after("abc", 3, 10))), (std::vector<Seq>{4, 5}));
  for (const Message& m : must(this->log().read_after("abc", 0, 10))) EXPECT_EQ(m.chat_id, "abc");
  EXPECT_EQ(seqs(must(this->log().read_offset_range("ab", 0, kMax, 10))), (std::vector<Seq>{1, 2, 3}));
  EXPECT_EQ(seqs(must(this->log().read_offset_range("a", 0, kMax, 10))), (std::vector<Seq>{1}));
}

TYPED_TEST(MessageLogContract, ReadOffsetRangeKeepsToTheChatAndTheRange) {
  // Two chats interleaved in the commit log: a at offsets 1,3,5,7; b at 2,4,6.
  ASSERT_TRUE(this->log().append({make_message("a", 1, 1), make_message("b", 1, 2)}).ok());
  ASSERT_TRUE(this->log().append({make_message("a", 2, 3), make_message("b", 2, 4)}).ok());
  ASSERT_TRUE(this->log().append({make_message("a", 3, 5), make_message("b", 3, 6), make_message("a", 4, 7)}).ok());

  EXPECT_EQ(seqs(must(this->log().read_offset_range("a", 0, 7, 10))), (std::vector<Seq>{1, 2, 3, 4}));
  EXPECT_EQ(seqs(must(this->log().read_offset_range("a", 1, 5, 10))),
            (std::vector<Seq>{2, 3}));  // after < offset <= up_to
  EXPECT_EQ(seqs(must(this->log().read_offset_range("a", 2, 4, 10))), (std::vector<Seq>{2}));
  EXPECT_EQ(seqs(must(this->log().read_offset_range("b", 0, 6, 2))), (std::vector<Seq>{1, 2}));
  EXPECT_EQ(seqs(must(this->log().read_offset_range("b", 3, kMax, 10))), (std::vector<Seq>{2, 3}));
  EXPECT_TRUE(must(this->log().read_offset_range("a", 7, 100, 10)).empty());
  EXPECT_TRUE(must(this->log().read_offset_range("a", 5, 5, 10)).empty());
  EXPECT_TRUE(must(this->log().read_offset_range("a", 6, 2, 10)).empty());
  EXPECT_TRUE(must(this->log().read_offset_range("a", 0, 7, 0)).empty());
  for (const Message& m : must(this->log().read_offset_range("b", 0, 6, 10))) EXPECT_EQ(m.chat_id, "b");
  EXPECT_EQ(must(this->log().last_offset()), 7u);
}

TYPED_TEST(MessageLogContract, LastOffsetNeverMovesBackwards) {
  ASSERT_TRUE(this->log().append({make_message("a", 1, 10)}).ok());
  ASSERT_TRUE(this->log().append({make_message("b", 1, 4)}).ok());
  EXPECT_EQ(must(this->log().last_offset()), 10u);
  ASSERT_TRUE(this->log().append({make_message("b", 2, 12), make_message("a", 2, 11)}).ok());
  EXPECT_EQ(must(this->log().last_offset()), 12u);
}

TYPED_TEST(MessageLogContract, ClientMsgIdIsScopedToChatAndSender) {
  ASSERT_TRUE(this->log()
                  .append({make_message("c", 1, 1, "alice", "m-1"), make_message("c", 2, 2, "bob", "m-1"),
                           make_message("d", 1, 3, "alice", "m-1")})
                  .ok());
  auto alice_c = must(this->log().find_by_client_msg_id("c", "alice", "m-1"));
  auto bob_c = must(this->log().find_by_client_msg_id("c", "bob", "m-1"));
  auto alice_d = must(this->log().find_by_client_msg_id("d", "alice", "m-1"));
  ASSERT_TRUE(alice_c && bob_c && alice_d);
  EXPECT_EQ(alice_c->seq, 1u);
  EXPECT_EQ(bob_c->seq, 2u);
  EXPECT_EQ(alice_d->chat_id, "d");
  EXPECT_FALSE(must(this->log().find_by_client_msg_id("c", "alice", "m-2")).has_value());
  EXPECT_FALSE(must(this->log().find_by_client_msg_id("c", "carol", "m-1")).has_value());
  // ("c","alice","x") must not collide with ("c","alicex","") or ("ca","lice","x").
  EXPECT_FALSE(must(this->log().find_by_client_msg_id("c", "alicem", "-1")).has_value());
}

TYPED_TEST(MessageLogContract, MessageWithoutClientMsgIdIsNotIndexed) {
  ASSERT_TRUE(this->log().append({make_message("c", 1, 1, "alice", "")}).ok());
  EXPECT_FALSE(must(this->log().find_by_client_msg_id("c", "alice", "")).has_value());
  EXPECT_TRUE(must(this->log().find("c", 1)).has_value());
}

TYPED_TEST(MessageLogContract, ConcurrentAppendsToDifferentChatsAllLand) {
  constexpr int kChats = 4;
  constexpr Seq kPerChat = 40;
  std::vector<std::thread> writers;
  for (int c = 0; c < kChats; ++c) {
    writers.emplace_back([this, c] {
      const ChatId chat = "chat-" + std::to_string(c);
      for (Seq s = 1; s <= kPerChat; ++s) {
        // Offsets interleave across chats but grow within each.
        EXPECT_TRUE(this->log().append({make_message(chat, s, s * kChats + c)}).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  for (int c = 0; c < kChats; ++c) {
    const ChatId chat = "chat-" + std::to_string(c);
    EXPECT_EQ(must(this->log().last_seq(chat)), kPerChat);
    EXPECT_EQ(must(this->log().read_after(chat, 0, 1000)).size(), kPerChat);
  }
  EXPECT_EQ(must(this->log().last_offset()), kPerChat * kChats + kChats - 1);
}

// ---- Push jobs ------------------------------------------------------------------

TYPED_TEST(PushJobStoreContract, StartsEmpty) {
  EXPECT_TRUE(must(this->push_jobs().load_push_jobs()).empty());
}

TYPED_TEST(PushJobStoreContract, JobsLoadWithEveryFieldInIdOrder) {
  // 256 sorts before 2 unless ids are keyed big-endian.
  ASSERT_TRUE(this->push_jobs().put_push_jobs({make_push_job(256), make_push_job(2), make_push_job(1)}).ok());
  auto jobs = must(this->push_jobs().load_push_jobs());
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(fields(jobs[0]), fields(make_push_job(1)));
  EXPECT_EQ(fields(jobs[1]), fields(make_push_job(2)));
  EXPECT_EQ(fields(jobs[2]), fields(make_push_job(256)));
}

TYPED_TEST(PushJobStoreContract, PutReplacesById) {
  ASSERT_TRUE(this->push_jobs().put_push_jobs({make_push_job(1)}).ok());
  PushJob retry = make_push_job(1);
  retry.attempts = 5;
  retry.next_attempt_at = 99'000;
  ASSERT_TRUE(this->push_jobs().put_push_jobs({retry}).ok());
  auto jobs = must(this->push_jobs().load_push_jobs());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(fields(jobs[0]), fields(retry));
}

TYPED_TEST(PushJobStoreContract, DeleteRemovesOnlyThatJob) {
  ASSERT_TRUE(this->push_jobs().put_push_jobs({make_push_job(1), make_push_job(2)}).ok());
  ASSERT_TRUE(this->push_jobs().delete_push_job(1).ok());
  ASSERT_TRUE(this->push_jobs().delete_push_job(42).ok());  // absent: still fine
  auto jobs = must(this->push_jobs().load_push_jobs());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, 2u);
}

TYPED_TEST(MessageLogContract, ReadLogIsEveryChatInOffsetOrder) {
  ASSERT_TRUE(this->log().append({make_message("b", 1, 1), make_message("a", 1, 2)}).ok());
  ASSERT_TRUE(this->log().append({make_message("a", 2, 3), make_message("c", 1, 4), make_message("b", 2, 5)}).ok());
  auto all = must(this->log().read_log(0, 0, kMax, 100));
  std::vector<LogOffset> offsets;
  for (const auto& m : all) offsets.push_back(m.offset);
  EXPECT_EQ(offsets, (std::vector<LogOffset>{1, 2, 3, 4, 5}));
  EXPECT_EQ(fields(all[3]), fields(make_message("c", 1, 4)));
  EXPECT_EQ(must(this->log().read_log(0, 1, 3, 100)).size(), 2u);       // after is exclusive, up_to inclusive
  EXPECT_EQ(must(this->log().read_log(0, 0, 5, 2)).back().offset, 2u);  // limit
  EXPECT_TRUE(must(this->log().read_log(0, 5, 9, 100)).empty());
  EXPECT_TRUE(must(this->log().read_log(0, 3, 3, 100)).empty());
  EXPECT_TRUE(must(this->log().read_log(0, 0, 5, 0)).empty());
}

TYPED_TEST(PushJobStoreContract, PlannedOffsetMovesWithItsJobsAndNeverBack) {
  EXPECT_FALSE(must(this->push_jobs().push_planned_offset()).has_value());
  ASSERT_TRUE(this->push_jobs().put_planned_push_jobs({}, 0).ok());
  EXPECT_EQ(must(this->push_jobs().push_planned_offset()), std::optional<LogOffset>(0));
  ASSERT_TRUE(this->push_jobs().put_planned_push_jobs({make_push_job(1), make_push_job(2)}, 10).ok());
  EXPECT_EQ(must(this->push_jobs().push_planned_offset()), std::optional<LogOffset>(10));
  EXPECT_EQ(must(this->push_jobs().load_push_jobs()).size(), 2u);
  ASSERT_TRUE(this->push_jobs().put_planned_push_jobs({make_push_job(3)}, 4).ok());
  EXPECT_EQ(must(this->push_jobs().push_planned_offset()), std::optional<LogOffset>(10));
  EXPECT_EQ(must(this->push_jobs().load_push_jobs()).size(), 3u);
}

TYPED_TEST(PushJobStoreContract, EmptyPutIsFine) {
  ASSERT_TRUE(this->push_jobs().put_push_jobs({}).ok());
  EXPECT_TRUE(must(this->push_jobs().load_push_jobs()).empty());
}

}  // namespace
}  // namespace parley::testing
