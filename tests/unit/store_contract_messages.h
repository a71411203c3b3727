#pragma once
// Store contract, message log: the tests every MessageLog adapter must pass,
// as a gtest type-parameterized suite. A test binary includes this once and
// instantiates it for its adapters, each with a ScratchStore specialization
// (store_contract_fixture.h):
//   INSTANTIATE_TYPED_TEST_SUITE_P(Store, MessageLogContract, Types, Names);
// Unit tests run it on MemoryStore and RocksStore, tests/cluster on the
// MariaDB message log (one shard: the suite writes offsets of one log).
// A new test must also be named in the REGISTER line at the end.
#include <limits>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "store_contract_fixture.h"

namespace parley::testing {

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
TYPED_TEST_SUITE_P(MessageLogContract);

inline constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

TYPED_TEST_P(MessageLogContract, EmptyLogHasNothing) {
  EXPECT_EQ(must(this->log().last_seq("c")), 0u);
  EXPECT_EQ(must(this->log().last_offset()), 0u);
  EXPECT_FALSE(must(this->log().find("c", 1)).has_value());
  EXPECT_TRUE(must(this->log().read_before("c", 0, 10)).empty());
  EXPECT_TRUE(must(this->log().read_after("c", 0, 10)).empty());
  EXPECT_TRUE(must(this->log().read_offset_range("c", 0, kMax, 10)).empty());
  EXPECT_FALSE(must(this->log().find_by_client_msg_id("c", "alice", "m-1")).has_value());
}

TYPED_TEST_P(MessageLogContract, AppendedMessagesAreFoundWithEveryField) {
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

TYPED_TEST_P(MessageLogContract, EmptyBatchChangesNothing) {
  ASSERT_TRUE(this->log().append({}).ok());
  EXPECT_EQ(must(this->log().last_offset()), 0u);
}

TYPED_TEST_P(MessageLogContract, ReadBeforeIsNewestFirst) {
  this->append_range("c", 1, 10, 1);
  EXPECT_EQ(seqs(must(this->log().read_before("c", 0, 3))), (std::vector<Seq>{10, 9, 8}));
  EXPECT_EQ(seqs(must(this->log().read_before("c", 5, 10))), (std::vector<Seq>{4, 3, 2, 1}));
  EXPECT_EQ(seqs(must(this->log().read_before("c", 5, 2))), (std::vector<Seq>{4, 3}));
  EXPECT_EQ(seqs(must(this->log().read_before("c", 11, 1))), (std::vector<Seq>{10}));
  EXPECT_EQ(seqs(must(this->log().read_before("c", kMax, 1))), (std::vector<Seq>{10}));
  EXPECT_TRUE(must(this->log().read_before("c", 1, 10)).empty());
  EXPECT_TRUE(must(this->log().read_before("c", 0, 0)).empty());
}

TYPED_TEST_P(MessageLogContract, ReadAfterIsOldestFirst) {
  this->append_range("c", 1, 10, 1);
  EXPECT_EQ(seqs(must(this->log().read_after("c", 0, 3))), (std::vector<Seq>{1, 2, 3}));
  EXPECT_EQ(seqs(must(this->log().read_after("c", 7, 10))), (std::vector<Seq>{8, 9, 10}));
  EXPECT_TRUE(must(this->log().read_after("c", 10, 10)).empty());
  EXPECT_TRUE(must(this->log().read_after("c", kMax, 10)).empty());
  EXPECT_TRUE(must(this->log().read_after("c", 0, 0)).empty());
}

TYPED_TEST_P(MessageLogContract, SeqsOrderNumericallyPastOneByte) {
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

TYPED_TEST_P(MessageLogContract, ChatIdsThatArePrefixesStaySeparate) {
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

TYPED_TEST_P(MessageLogContract, ReadOffsetRangeKeepsToTheChatAndTheRange) {
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

TYPED_TEST_P(MessageLogContract, LastOffsetNeverMovesBackwards) {
  ASSERT_TRUE(this->log().append({make_message("a", 1, 10)}).ok());
  ASSERT_TRUE(this->log().append({make_message("b", 1, 4)}).ok());
  EXPECT_EQ(must(this->log().last_offset()), 10u);
  ASSERT_TRUE(this->log().append({make_message("b", 2, 12), make_message("a", 2, 11)}).ok());
  EXPECT_EQ(must(this->log().last_offset()), 12u);
}

TYPED_TEST_P(MessageLogContract, ClientMsgIdIsScopedToChatAndSender) {
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

TYPED_TEST_P(MessageLogContract, MessageWithoutClientMsgIdIsNotIndexed) {
  ASSERT_TRUE(this->log().append({make_message("c", 1, 1, "alice", "")}).ok());
  EXPECT_FALSE(must(this->log().find_by_client_msg_id("c", "alice", "")).has_value());
  EXPECT_TRUE(must(this->log().find("c", 1)).has_value());
}

TYPED_TEST_P(MessageLogContract, ConcurrentAppendsToDifferentChatsAllLand) {
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

TYPED_TEST_P(MessageLogContract, ReadLogIsEveryChatInOffsetOrder) {
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

// An action's entry and its target's new state are one write; the target
// keeps its indexes (seq, offset, idempotency key).
TYPED_TEST_P(MessageLogContract, AppendReplacesTheStateOfChangedMessages) {
  Message target = make_message("c", 1, 1, "alice", "cm-1");
  ASSERT_TRUE(this->log().append({target}).ok());
  Message edit = make_message("c", 2, 2, "alice", "cm-2");
  edit.kind = MessageKind::edit;
  edit.target_seq = 1;
  edit.text = "new text";
  target.text = "new text";
  target.edited_at = 77;
  target.edit_seqs = {2};
  target.reactions = {{"bob", "👍"}, {"cy", "🇫🇷"}};
  ASSERT_TRUE(this->log().append({edit}, {target}).ok());
  const Message stored = must(this->log().find("c", 1)).value();
  EXPECT_EQ(fields(stored), fields(target));
  EXPECT_EQ(stored.edited_at, 77);
  EXPECT_EQ(stored.edit_seqs, (std::vector<Seq>{2}));
  EXPECT_EQ(stored.reactions, target.reactions);
  EXPECT_EQ(must(this->log().find_by_client_msg_id("c", "alice", "cm-1")).value().text, "new text");
  const Message entry = must(this->log().find("c", 2)).value();
  EXPECT_EQ(entry.kind, MessageKind::edit);
  EXPECT_EQ(entry.target_seq, 1u);
  // Deleted: the text and the edit entry's text are gone; the seqs stay.
  target.text.clear();
  target.deleted = true;
  target.reactions.clear();
  edit.text.clear();
  Message del = make_message("c", 3, 3, "alice", "cm-3");
  del.kind = MessageKind::deletion;
  del.target_seq = 1;
  del.text.clear();
  ASSERT_TRUE(this->log().append({del}, {target, edit}).ok());
  auto all = must(this->log().read_after("c", 0, 10));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(all[0].deleted);
  EXPECT_EQ(all[0].text, "");
  EXPECT_TRUE(all[0].reactions.empty());
  EXPECT_EQ(all[1].text, "");
  EXPECT_EQ(all[2].kind, MessageKind::deletion);
  EXPECT_EQ(must(this->log().read_offset_range("c", 0, kMax, 10)).size(), 3u);
  EXPECT_EQ(must(this->log().last_offset()), 3u);
}

TYPED_TEST_P(MessageLogContract, WithheldIsStoredAndKeptByAStateChange) {
  Message open = make_message("c", 1, 1, "alice", "cm-1");
  Message withheld = make_message("c", 2, 2, "alice", "cm-2");
  withheld.withheld = true;
  ASSERT_TRUE(this->log().append({open, withheld}).ok());
  EXPECT_FALSE(must(this->log().find("c", 1)).value().withheld);
  EXPECT_TRUE(must(this->log().find("c", 2)).value().withheld);
  withheld.text = "edited";
  withheld.edited_at = 9;
  Message edit = make_message("c", 3, 3, "alice", "cm-3");
  edit.kind = MessageKind::edit;
  edit.target_seq = 2;
  edit.withheld = true;
  ASSERT_TRUE(this->log().append({edit}, {withheld}).ok());
  auto all = must(this->log().read_after("c", 0, 10));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(all[1].withheld);
  EXPECT_EQ(all[1].text, "edited");
  EXPECT_TRUE(must(this->log().read_offset_range("c", 0, kMax, 10)).back().withheld);
}

// A log that keeps the chats' read markers raises them in the messages'
// own write, by max; any other refuses them and stores nothing.
TYPED_TEST_P(MessageLogContract, ReadMarkersRideInTheAppendOrAreRefused) {
  const std::vector<ReadMarker> markers{{"c", "alice", 2}, {"d", "bob", 7}};
  const Message first = make_message("c", 1, 1, "alice", "cm-1");
  if constexpr (std::is_base_of_v<ChatStore, TypeParam>) {
    ASSERT_TRUE(this->log().keeps_read_markers());
    ASSERT_TRUE(this->log().append({first}, {}, markers).ok());
    EXPECT_EQ(must(this->chats().read_marker("c", "alice")), 2u);
    EXPECT_EQ(must(this->chats().read_marker("d", "bob")), 7u);
    const std::vector<ReadMarker> lower{{"c", "alice", 1}};
    ASSERT_TRUE(this->log().append({make_message("c", 2, 2, "alice", "cm-2")}, {}, lower).ok());
    EXPECT_EQ(must(this->chats().read_marker("c", "alice")), 2u) << "a marker never moves back";
    EXPECT_EQ(must(this->log().last_seq("c")), 2u);
  } else {
    EXPECT_FALSE(this->log().keeps_read_markers());
    auto refused = this->log().append({first}, {}, markers);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_request);
    EXPECT_FALSE(must(this->log().find("c", 1)).has_value()) << "a refused append stores nothing";
    EXPECT_EQ(must(this->log().last_offset()), 0u);
  }
}

REGISTER_TYPED_TEST_SUITE_P(MessageLogContract, EmptyLogHasNothing, AppendedMessagesAreFoundWithEveryField,
                            EmptyBatchChangesNothing, ReadBeforeIsNewestFirst, ReadAfterIsOldestFirst,
                            SeqsOrderNumericallyPastOneByte, ChatIdsThatArePrefixesStaySeparate,
                            ReadOffsetRangeKeepsToTheChatAndTheRange, LastOffsetNeverMovesBackwards,
                            ClientMsgIdIsScopedToChatAndSender, MessageWithoutClientMsgIdIsNotIndexed,
                            ConcurrentAppendsToDifferentChatsAllLand, ReadLogIsEveryChatInOffsetOrder,
                            AppendReplacesTheStateOfChangedMessages, WithheldIsStoredAndKeptByAStateChange,
                            ReadMarkersRideInTheAppendOrAreRefused);

}  // namespace parley::testing
