// A group that ended for a member (removed, or left): they keep reading what
// was said while they were a member, and nothing after; they can no longer
// act in it; they may forget it; added again, they are a new member.
#include <algorithm>

#include "core/resume_reader.h"
#include "core_fixture.h"

namespace parley::testing {
namespace {

class EndedChatsTest : public CoreTest {
 protected:
  EndedChatsTest() {
    ann = make_user("ann");
    bob = make_user("bob");
    cy = make_user("cy");
    wa = login("ann");
    wb = login("bob");
    auto created = core->chats.create_group(ann, "plans", {bob, cy});
    EXPECT_TRUE(created.ok());
    if (created) group = (*created)->id;
  }

  // Every entry of the chat is stored (timeline lines are written after the change).
  void settle(Seq expected_last) {
    ASSERT_TRUE(eventually([&] { return store.last_seq(group).ok() && *store.last_seq(group) >= expected_last; }));
  }

  std::vector<std::string> texts(const std::vector<Message>& messages) {
    std::vector<std::string> out;
    for (const Message& m : messages) {
      if (m.kind == MessageKind::text) out.push_back(m.text);
    }
    return out;
  }

  std::optional<ChatView> listed(const UserId& user, const ChatId& chat) {
    auto list = core->conversations.list_chats(user);
    EXPECT_TRUE(list.ok());
    if (!list) return std::nullopt;
    for (auto& v : *list) {
      if (v.chat_id == chat) return v;
    }
    return std::nullopt;
  }

  UserId ann, bob, cy;
  AuthContext wa, wb;
  ChatId group;
};

TEST_F(EndedChatsTest, ARemovedMemberReadsUpToTheRemovalAndSeesTheChatEnded) {
  ASSERT_TRUE(send(wa, group, "a1", "one").ok());
  ASSERT_TRUE(send(wa, group, "a2", "two").ok());
  const Seq before_removal = *store.last_seq(group);
  ASSERT_TRUE(core->chats.remove_member(ann, group, bob).ok());
  settle(before_removal + 1);  // the removal's line
  ASSERT_TRUE(send(wa, group, "a3", "after").ok());
  const UserId dan = make_user("dan");
  ASSERT_TRUE(core->chats.add_member(ann, group, dan).ok());

  auto view = listed(bob, group);
  ASSERT_TRUE(view) << "the ended chat stays in the list";
  ASSERT_TRUE(view->ended_seq);
  EXPECT_EQ(*view->ended_seq, before_removal);
  EXPECT_EQ(view->last_seq, before_removal);
  ASSERT_TRUE(view->last_message);
  EXPECT_EQ(view->last_message->text, "two");
  EXPECT_EQ(view->unread, 2u);
  for (const MemberView& m : view->members) EXPECT_NE(m.user_id, dan) << "added after bob left";
  EXPECT_FALSE(listed(ann, group)->ended_seq) << "members see no end";

  // History, newest first or from a position: nothing after the removal.
  auto newest = core->conversations.history(bob, group, {});
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(texts(*newest), (std::vector<std::string>{"two", "one"}));
  for (const Message& m : *newest) EXPECT_LE(m.seq, before_removal);
  auto after = core->conversations.history(bob, group, {std::nullopt, 0, 50});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(texts(*after), (std::vector<std::string>{"one", "two"}));
  auto from_later = core->conversations.history(bob, group, {*store.last_seq(group) + 1, std::nullopt, 50});
  ASSERT_TRUE(from_later.ok());
  EXPECT_EQ(texts(*from_later), (std::vector<std::string>{"two", "one"}));
  auto past_the_end = core->conversations.history(bob, group, {std::nullopt, before_removal, 50});
  ASSERT_TRUE(past_the_end.ok());
  EXPECT_TRUE(past_the_end->empty());

  // Reading clamps at the end and tells only bob's own devices.
  sink.clear();
  auto marker = core->conversations.mark_read(wb, group, 1'000);
  ASSERT_TRUE(marker.ok());
  EXPECT_EQ(*marker, before_removal);
  EXPECT_EQ(listed(bob, group)->unread, 0u);
  for (const auto& d : sink.deliveries_of<ReceiptEvent>()) EXPECT_EQ(d.users, std::vector<UserId>{bob});

  // Nothing else: no sends, typing, receipts, delivery reports, mute.
  EXPECT_EQ(send(wb, group, "b1", "still here?").error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->conversations.typing(wb, group).error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->delivery.receipts(bob, group).error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->delivery.record(wb, group, 1).error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->chats.set_muted(bob, group, kMutedForever).error().code, ErrorCode::forbidden);
  auto shared = core->chats.shares_chat(bob, ann);
  ASSERT_TRUE(shared.ok());
  EXPECT_FALSE(*shared) << "an ended group is no shared chat (presence)";
}

TEST_F(EndedChatsTest, LeavingEndsTheChatTheSameWay) {
  ASSERT_TRUE(send(wb, group, "b1", "bye all").ok());
  const Seq left_at = *store.last_seq(group);
  ASSERT_TRUE(core->chats.remove_member(bob, group, bob).ok());
  settle(left_at + 1);
  ASSERT_TRUE(send(wa, group, "a1", "bye bob").ok());
  auto view = core->chats.find_for_reader(bob, group);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->until_seq, left_at);
  auto history = core->conversations.history(bob, group, {});
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(texts(*history), (std::vector<std::string>{"bye all"}));
  EXPECT_EQ(core->chats.find_for_member(bob, group).error().code, ErrorCode::forbidden);
}

TEST_F(EndedChatsTest, AFormerMemberForgetsTheChatForGood) {
  ASSERT_TRUE(send(wa, group, "a1", "one").ok());
  ASSERT_TRUE(core->chats.remove_member(ann, group, bob).ok());
  const UserId eve = make_user("eve");
  // A member must leave first; a stranger and an unknown chat are refused; nothing changes.
  EXPECT_EQ(core->chats.forget(ann, group).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->chats.forget(eve, group).error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->chats.forget(bob, "no-such-chat").error().code, ErrorCode::not_found);
  EXPECT_TRUE(listed(bob, group));

  sink.clear();
  ASSERT_TRUE(core->chats.forget(bob, group).ok());
  EXPECT_FALSE(listed(bob, group));
  EXPECT_EQ(core->conversations.history(bob, group, {}).error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->chats.forget(bob, group).error().code, ErrorCode::forbidden) << "once";
  auto told = sink.deliveries_of<ChatEvent>();
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].users, std::vector<UserId>{bob});
  EXPECT_EQ(told[0].event.kind, ChatEventKind::forgotten);
  EXPECT_EQ(told[0].event.chat.chat_id, group);
  EXPECT_TRUE(store.ended_chats_of_user(bob)->empty());
}

TEST_F(EndedChatsTest, AddedAgainIsANewMemberFromThen) {
  ASSERT_TRUE(send(wa, group, "a1", "before").ok());
  ASSERT_TRUE(core->chats.remove_member(ann, group, bob).ok());
  ASSERT_TRUE(send(wa, group, "a2", "while away").ok());
  ASSERT_TRUE(core->chats.add_member(ann, group, bob).ok());
  ASSERT_TRUE(send(wa, group, "a3", "welcome back").ok());
  auto view = listed(bob, group);
  ASSERT_TRUE(view);
  EXPECT_FALSE(view->ended_seq);
  auto history = core->conversations.history(bob, group, {});
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(texts(*history), (std::vector<std::string>{"welcome back"}));
  EXPECT_TRUE(store.ended_chats_of_user(bob)->empty());
  EXPECT_TRUE(send(wb, group, "b1", "hi").ok());
}

TEST_F(EndedChatsTest, AResumingDeviceIsOwedWhatWasSaidUntilTheEnd) {
  ASSERT_TRUE(send(wa, group, "a1", "one").ok());
  const Seq left_at = *store.last_seq(group);
  ASSERT_TRUE(core->chats.remove_member(ann, group, bob).ok());
  ASSERT_TRUE(send(wa, group, "a2", "after").ok());
  auto owed = core->conversations.resume_chats(bob);
  ASSERT_TRUE(owed.ok());
  EXPECT_EQ(*owed, (std::vector<Conversations::OwedChat>{{group, 0, left_at}}));

  // From the start of the log: "one", never "after".
  auto reader = ResumeReader::open(core->conversations, bob, LogPosition({0}),
                                   [&] { return LogPosition({core->pipeline.committed_offset()}); }, {});
  ASSERT_TRUE(reader.ok());
  std::vector<Message> replayed;
  while (!reader->done()) {
    auto page = reader->next_page();
    ASSERT_TRUE(page.ok());
    replayed.insert(replayed.end(), page->begin(), page->end());
  }
  EXPECT_EQ(texts(replayed), (std::vector<std::string>{"one"}));
}

}  // namespace
}  // namespace parley::testing
