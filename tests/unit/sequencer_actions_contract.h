#pragma once
// The MessageSequencer contract for message actions (edit, delete, reaction)
// and replies, as typed tests any sequencer can run, with the harness of
// sequencer_contract.h. Each action is an entry of the log that takes the
// next seq; committing it changes its target's stored state in the same
// write, or it is refused with a rule's error and takes no seq.
// Instantiate with INSTANTIATE_TYPED_TEST_SUITE_P(Name, SequencerActionsContract, Types).

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/ports.h"
#include "sequencer_contract.h"

namespace parley::testing {

inline NewMessage action(MessageKind kind, const ChatId& chat, const std::string& client_msg_id, Seq target,
                         const std::string& text, const UserId& sender = "ann") {
  NewMessage m = new_message(chat, client_msg_id, sender);
  m.kind = kind;
  m.target_seq = target;
  m.text = text;
  return m;
}

template <typename H>
class SequencerActionsContract : public ::testing::Test {
 protected:
  H harness;

  Message stored(const ChatId& chat, Seq seq) {
    auto found = harness.log().find(chat, seq);
    EXPECT_TRUE(found.ok());
    EXPECT_TRUE(found.ok() && found->has_value()) << "no message " << seq;
    return found.ok() && found->has_value() ? **found : Message{};
  }
  // The seqs the log's search index has under `term` in `chat`, newest first.
  std::vector<Seq> postings(const ChatId& chat, const std::string& term) {
    auto found = harness.log().search_postings(
        chat, term, {std::numeric_limits<TimeMs>::max(), std::numeric_limits<Seq>::max()}, 100);
    EXPECT_TRUE(found.ok());
    std::vector<Seq> out;
    if (found.ok()) {
      for (const SearchPosting& p : *found) out.push_back(p.seq);
    }
    return out;
  }
  // The one outcome of committing `m` alone.
  Result<CommitOutcome> commit_one(const NewMessage& m) {
    auto outcomes = harness.sequencer().commit({m});
    EXPECT_EQ(outcomes.size(), 1u);
    return outcomes.at(0);
  }
  void expect_refused(const NewMessage& m, ErrorCode code) {
    auto outcome = commit_one(m);
    ASSERT_FALSE(outcome.ok()) << m.client_msg_id << " was stored";
    EXPECT_EQ(outcome.error().code, code) << m.client_msg_id << ": " << outcome.error().message;
  }
};
TYPED_TEST_SUITE_P(SequencerActionsContract);

TYPED_TEST_P(SequencerActionsContract, AnEditTakesTheNextSeqAndReplacesTheText) {
  committed(this->harness.sequencer().commit({new_message("c", "m1")}));
  auto edit = committed(this->harness.sequencer().commit({action(MessageKind::edit, "c", "e1", 1, "fixed")}));
  ASSERT_EQ(edit.size(), 1u);
  EXPECT_EQ(edit[0].message.seq, 2u);
  EXPECT_EQ(edit[0].message.kind, MessageKind::edit);
  EXPECT_EQ(edit[0].message.target_seq, 1u);
  EXPECT_EQ(edit[0].message.text, "fixed");
  const Message target = this->stored("c", 1);
  EXPECT_EQ(target.text, "fixed");
  EXPECT_EQ(target.edited_at, edit[0].message.ts);
  EXPECT_EQ(target.kind, MessageKind::text);
  EXPECT_EQ(target.client_msg_id, "m1");
  const Message entry = this->stored("c", 2);
  EXPECT_EQ(entry.kind, MessageKind::edit);
  EXPECT_EQ(entry.target_seq, 1u);
  EXPECT_EQ(entry.text, "fixed");
  // The search index follows in the same commit: the new text finds it, the old one no longer.
  EXPECT_EQ(this->postings("c", "wfixed"), (std::vector<Seq>{1}));
  EXPECT_TRUE(this->postings("c", "wm1").empty());
}

// Nothing of a deleted message's text stays: not in the message, not in its
// edit entries; its seq stays, marked deleted, without reactions.
TYPED_TEST_P(SequencerActionsContract, ADeleteRemovesTheTextAndEveryEditOfIt) {
  auto& seq = this->harness.sequencer();
  committed(seq.commit({new_message("c", "m1")}));
  committed(seq.commit({action(MessageKind::edit, "c", "e1", 1, "secret one")}));
  committed(seq.commit({action(MessageKind::edit, "c", "e2", 1, "secret two"),
                        action(MessageKind::reaction, "c", "r1", 1, "👍", "bob")}));
  auto del = committed(seq.commit({action(MessageKind::deletion, "c", "d1", 1, "")}));
  ASSERT_EQ(del.size(), 1u);
  EXPECT_EQ(del[0].message.seq, 5u);
  const Message target = this->stored("c", 1);
  EXPECT_TRUE(target.deleted);
  EXPECT_EQ(target.text, "");
  EXPECT_TRUE(target.reactions.empty());
  EXPECT_EQ(this->stored("c", 2).text, "");
  EXPECT_EQ(this->stored("c", 3).text, "");
  EXPECT_EQ(this->stored("c", 5).kind, MessageKind::deletion);
  auto all = this->harness.log().read_after("c", 0, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  for (const Message& m : *all) {
    EXPECT_EQ(m.text.find("secret"), std::string::npos) << m.seq;
    EXPECT_EQ(m.text.find("text of m1"), std::string::npos) << m.seq;
  }
  // Nor in the search index.
  for (const char* term : {"wsecret", "wone", "wtwo", "wtext", "wm1", "pse", "pt"}) {
    EXPECT_TRUE(this->postings("c", term).empty()) << term;
  }
}

// One reaction per user: a new one replaces it, an empty one removes it.
TYPED_TEST_P(SequencerActionsContract, ReactionsArePerUserAndCanBeChangedAndRemoved) {
  auto& seq = this->harness.sequencer();
  committed(seq.commit({new_message("c", "m1")}));
  committed(seq.commit({action(MessageKind::reaction, "c", "r1", 1, "👍", "bob"),
                        action(MessageKind::reaction, "c", "r2", 1, "❤️", "cy")}));
  EXPECT_EQ(this->stored("c", 1).reactions, (std::vector<Reaction>{{"bob", "👍"}, {"cy", "❤️"}}));
  committed(seq.commit({action(MessageKind::reaction, "c", "r3", 1, "😂", "bob")}));
  EXPECT_EQ(this->stored("c", 1).reactions, (std::vector<Reaction>{{"bob", "😂"}, {"cy", "❤️"}}));
  committed(seq.commit({action(MessageKind::reaction, "c", "r4", 1, "", "cy")}));
  EXPECT_EQ(this->stored("c", 1).reactions, (std::vector<Reaction>{{"bob", "😂"}}));
  EXPECT_EQ(this->stored("c", 4).text, "😂");
  EXPECT_EQ(this->stored("c", 5).kind, MessageKind::reaction);
}

// Refusals take no seq and change nothing; the next entry takes the next seq.
TYPED_TEST_P(SequencerActionsContract, ActionsOnWhatTheyMayNotTouchAreRefusedAndTakeNoSeq) {
  auto& seq = this->harness.sequencer();
  committed(seq.commit({new_message("c", "m1"), new_message("c", "m2", "bob")}));
  committed(seq.commit({action(MessageKind::reaction, "c", "r1", 1, "👍", "bob")}));
  this->expect_refused(action(MessageKind::edit, "c", "x1", 2, "not mine"), ErrorCode::forbidden);
  this->expect_refused(action(MessageKind::deletion, "c", "x2", 2, ""), ErrorCode::forbidden);
  this->expect_refused(action(MessageKind::edit, "c", "x3", 9, "nothing there"), ErrorCode::not_found);
  this->expect_refused(action(MessageKind::edit, "other", "x4", 1, "other chat"), ErrorCode::not_found);
  this->expect_refused(action(MessageKind::edit, "c", "x5", 3, "an action"), ErrorCode::invalid_request);
  this->expect_refused(action(MessageKind::reaction, "c", "x6", 3, "👍"), ErrorCode::invalid_request);
  NewMessage reply = new_message("c", "x7");
  reply.reply_to = 3;
  this->expect_refused(reply, ErrorCode::invalid_request);
  reply.client_msg_id = "x8";
  reply.reply_to = 42;
  this->expect_refused(reply, ErrorCode::not_found);
  committed(seq.commit({action(MessageKind::deletion, "c", "d1", 1, "")}));
  this->expect_refused(action(MessageKind::edit, "c", "x9", 1, "too late"), ErrorCode::not_found);
  this->expect_refused(action(MessageKind::deletion, "c", "x10", 1, ""), ErrorCode::not_found);
  this->expect_refused(action(MessageKind::reaction, "c", "x11", 1, "👍", "bob"), ErrorCode::not_found);
  reply.client_msg_id = "x12";
  reply.reply_to = 1;
  this->expect_refused(reply, ErrorCode::not_found);
  auto last = this->harness.log().last_seq("c");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 4u);
  EXPECT_EQ(this->stored("c", 2).text, "text of m2");
  auto next = committed(seq.commit({new_message("c", "m5")}));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].message.seq, 5u);
}

// A group admin may delete anyone's message (may_delete_any, decided at validation).
TYPED_TEST_P(SequencerActionsContract, AnAdminMayDeleteAnotherMembersMessage) {
  committed(this->harness.sequencer().commit({new_message("c", "m1", "bob")}));
  NewMessage del = action(MessageKind::deletion, "c", "d1", 1, "");
  del.may_delete_any = true;
  committed(this->harness.sequencer().commit({del}));
  EXPECT_TRUE(this->stored("c", 1).deleted);
}

// A reply names its quoted message; within one batch, actions see the
// entries before them: the target is as the batch leaves it.
TYPED_TEST_P(SequencerActionsContract, RepliesAndActionsInOneBatchFollowTheirOrder) {
  NewMessage reply = new_message("c", "m2", "bob");
  reply.reply_to = 1;
  auto out = committed(this->harness.sequencer().commit({new_message("c", "m1"), reply,
                                                         action(MessageKind::edit, "c", "e1", 1, "edited"),
                                                         action(MessageKind::reaction, "c", "r1", 2, "🎉")}));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1].message.reply_to, 1u);
  EXPECT_EQ(this->stored("c", 1).text, "edited");
  EXPECT_EQ(this->stored("c", 2).reply_to, 1u);
  EXPECT_EQ(this->stored("c", 2).reactions, (std::vector<Reaction>{{"ann", "🎉"}}));
  // Deleted in the same batch as sent: stored without its text.
  auto gone = committed(
      this->harness.sequencer().commit({new_message("c", "m5"), action(MessageKind::deletion, "c", "d1", 5, "")}));
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_TRUE(this->stored("c", 5).deleted);
  EXPECT_EQ(this->stored("c", 5).text, "");
}

// A resent action is the stored entry: applied once.
TYPED_TEST_P(SequencerActionsContract, AResentActionIsAppliedOnce) {
  auto& seq = this->harness.sequencer();
  committed(seq.commit({new_message("c", "m1")}));
  committed(seq.commit({action(MessageKind::edit, "c", "e1", 1, "once")}));
  auto again = committed(seq.commit({action(MessageKind::edit, "c", "e1", 1, "once")}));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].message.seq, 2u);
  EXPECT_EQ(this->stored("c", 1).edit_seqs, (std::vector<Seq>{2}));
  auto last = this->harness.log().last_seq("c");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 2u);
}

REGISTER_TYPED_TEST_SUITE_P(SequencerActionsContract, AnEditTakesTheNextSeqAndReplacesTheText,
                            ADeleteRemovesTheTextAndEveryEditOfIt, ReactionsArePerUserAndCanBeChangedAndRemoved,
                            ActionsOnWhatTheyMayNotTouchAreRefusedAndTakeNoSeq, AnAdminMayDeleteAnotherMembersMessage,
                            RepliesAndActionsInOneBatchFollowTheirOrder, AResentActionIsAppliedOnce);

}  // namespace parley::testing
