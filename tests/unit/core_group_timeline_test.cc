// The group timeline in the core: each change of a group is written as a
// `kind: event` entry of its log after the change, in order with the
// messages; the encoding of an event round-trips; refused changes write
// nothing; a store that cannot store the change writes no line either.
#include "core/group_events.h"
#include "unit/core_fixture.h"

namespace parley::testing {
namespace {

HistoryQuery after_seq(Seq seq) {
  HistoryQuery q;
  q.after = seq;
  return q;
}

HistoryQuery before_seq(Seq seq) {
  HistoryQuery q;
  q.before = seq;
  return q;
}

class GroupTimelineTest : public CoreTest {
 protected:
  // The chat's log as the store has it, oldest first.
  std::vector<Message> log_of(const ChatId& chat) {
    auto messages = store.read_after(chat, 0, 100);
    EXPECT_TRUE(messages.ok());
    return messages.ok() ? *messages : std::vector<Message>{};
  }
  std::vector<GroupEvent> lines_of(const ChatId& chat) {
    std::vector<GroupEvent> out;
    for (const Message& m : log_of(chat)) {
      if (m.kind != MessageKind::event) continue;
      auto e = decode_group_event(m.text);
      EXPECT_TRUE(e) << m.text;
      if (e) out.push_back(*e);
    }
    return out;
  }
};

TEST(GroupEventCodec, RoundTripsEveryTypeAndNamesWithNewlines) {
  for (const GroupEvent& e :
       {GroupEvent{GroupEventType::member_added, "u-1", ""}, GroupEvent{GroupEventType::member_removed, "u-2", ""},
        GroupEvent{GroupEventType::member_left, "u-3", ""}, GroupEvent{GroupEventType::renamed, "", "two\nlines\n"},
        GroupEvent{GroupEventType::role_changed, "u-4", "admin"}}) {
    auto decoded = decode_group_event(encode_group_event(e));
    ASSERT_TRUE(decoded) << to_string(e.type);
    EXPECT_EQ(*decoded, e);
  }
  for (const char* junk : {"", "created", "created\nu", "nope\nu\nv", "Created\n\nx", "\n\n"}) {
    EXPECT_FALSE(decode_group_event(junk)) << junk;
  }
}

TEST_F(GroupTimelineTest, EveryChangeIsALineInOrderWithTheMessages) {
  UserId ann = make_user("ann"), bob = make_user("bob"), cy = make_user("cy");
  AuthContext wa = login("ann");
  auto group = core->chats.create_group(ann, "plans", {bob});
  ASSERT_TRUE(group.ok());
  const ChatId chat = (*group)->id;
  ASSERT_TRUE(send(wa, chat, "m1", "hello").ok());
  ASSERT_TRUE(core->chats.rename_group(ann, chat, "holiday").ok());
  ASSERT_TRUE(core->chats.add_member(ann, chat, cy).ok());
  ASSERT_TRUE(core->chats.set_role(ann, chat, cy, MemberRole::admin).ok());
  ASSERT_TRUE(core->chats.remove_member(cy, chat, bob).ok());
  ASSERT_TRUE(core->chats.remove_member(ann, chat, ann).ok());
  ASSERT_TRUE(eventually([&] { return log_of(chat).size() == 6; }));

  auto log = log_of(chat);
  for (std::size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].seq, i + 1);
  EXPECT_EQ(log[0].kind, MessageKind::text) << "a group's creation is no line: its first entry is its first message";
  EXPECT_EQ(log[1].sender_id, ann);
  EXPECT_EQ(log[4].sender_id, cy) << "who made the change";
  EXPECT_EQ(lines_of(chat), (std::vector<GroupEvent>{{GroupEventType::renamed, "", "holiday"},
                                                     {GroupEventType::member_added, cy, ""},
                                                     {GroupEventType::role_changed, cy, "admin"},
                                                     {GroupEventType::member_removed, bob, ""},
                                                     {GroupEventType::member_left, ann, ""}}));
  auto found = core->chats.find(chat);
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->name, "holiday");
  auto listed = core->chats.view(**found);
  ASSERT_TRUE(listed.ok());
  ASSERT_TRUE(listed->last_message);
  EXPECT_EQ(listed->last_message->text, "hello") << "a line is never the last message";
}

TEST_F(GroupTimelineTest, TheLastAdminLeavingHandsOverOnTheTimeline) {
  UserId ann = make_user("ann"), bob = make_user("bob"), cy = make_user("cy");
  auto group = core->chats.create_group(ann, "g", {bob, cy});
  ASSERT_TRUE(group.ok());
  const ChatId chat = (*group)->id;
  ASSERT_TRUE(core->chats.remove_member(ann, chat, ann).ok());
  ASSERT_TRUE(eventually([&] { return log_of(chat).size() == 2; }));
  EXPECT_EQ(lines_of(chat)[0], (GroupEvent{GroupEventType::member_left, ann, ""}));
  EXPECT_EQ(lines_of(chat)[1], (GroupEvent{GroupEventType::role_changed, bob, "admin"}));
}

TEST_F(GroupTimelineTest, RefusedAndEmptyChangesWriteNoLine) {
  UserId ann = make_user("ann"), bob = make_user("bob"), eve = make_user("eve");
  AuthContext wa = login("ann");
  auto group = core->chats.create_group(ann, "g", {bob});
  ASSERT_TRUE(group.ok());
  const ChatId chat = (*group)->id;
  ChatId dm = direct(ann, bob);

  EXPECT_EQ(core->chats.rename_group(bob, chat, "x").error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->chats.rename_group(eve, chat, "x").error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->chats.rename_group(ann, chat, "").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->chats.rename_group(ann, chat, std::string(201, 'x')).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->chats.rename_group(ann, chat, "\xFF").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->chats.rename_group(ann, dm, "x").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->chats.rename_group(ann, "nope", "x").error().code, ErrorCode::not_found);
  EXPECT_EQ(core->chats.set_role(bob, chat, bob, MemberRole::admin).error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->chats.set_role(ann, chat, ann, MemberRole::member).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->chats.set_role(ann, chat, eve, MemberRole::admin).error().code, ErrorCode::not_found);
  EXPECT_EQ(core->chats.set_role(ann, dm, bob, MemberRole::admin).error().code, ErrorCode::invalid_request);
  ASSERT_TRUE(core->chats.rename_group(ann, chat, "g").ok()) << "the same name: no change";
  ASSERT_TRUE(core->chats.set_role(ann, chat, bob, MemberRole::member).ok()) << "the same role: no change";

  // A change the store refuses is no change, and no line.
  faults.fail(StoreMethod::put_chat);
  EXPECT_FALSE(core->chats.rename_group(ann, chat, "never").ok());
  faults.heal_all();

  // The pipeline keeps order: once this is stored, so is every line queued before it.
  ASSERT_TRUE(send(wa, chat, "m1", "flush").ok());
  EXPECT_EQ(lines_of(chat).size(), 0u);
  EXPECT_EQ((*core->chats.find(chat))->name, "g");
  EXPECT_EQ(log_of(dm).size(), 0u) << "a direct chat has no timeline";
}

TEST_F(GroupTimelineTest, AnAddedMemberSeesFromWhenTheyJoined) {
  UserId ann = make_user("ann"), bob = make_user("bob"), cy = make_user("cy");
  AuthContext wa = login("ann");
  auto group = core->chats.create_group(ann, "g", {bob});
  ASSERT_TRUE(group.ok());
  const ChatId chat = (*group)->id;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(send(wa, chat, "b" + std::to_string(i), "before").ok());
  ASSERT_TRUE(core->chats.add_member(ann, chat, cy).ok());
  auto after = send(wa, chat, "a1", "after");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*core->chats.find(chat))->member(cy)->joined_seq, 3u) << "three messages before";
  EXPECT_EQ((*core->chats.find(chat))->member(bob)->joined_seq, 0u);

  auto seen = core->conversations.history(cy, chat, after_seq(0));
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 2u);
  EXPECT_EQ((*seen)[0].kind, MessageKind::event);
  EXPECT_EQ((*seen)[1].seq, after->seq);
  auto newest = core->conversations.history(cy, chat, HistoryQuery{});
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->size(), 2u);
  auto older = core->conversations.history(cy, chat, before_seq(4));
  ASSERT_TRUE(older.ok());
  EXPECT_TRUE(older->empty());
  EXPECT_EQ(core->conversations.history(bob, chat, after_seq(0))->size(), 5u);

  auto owed = core->conversations.resume_chats(cy);
  ASSERT_TRUE(owed.ok());
  EXPECT_EQ(*owed, (std::vector<Conversations::OwedChat>{{chat, 3, std::nullopt}}));
  auto view = core->chats.view(**core->chats.find(chat), &cy);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->read_seq, 3u) << "nothing from before is unread";
  EXPECT_EQ(view->unread, 1u);
}

TEST_F(GroupTimelineTest, AMuteIsTheMembersOwnAndEndsOnItsTime) {
  UserId ann = make_user("ann"), bob = make_user("bob"), eve = make_user("eve");
  auto group = core->chats.create_group(ann, "g", {bob});
  ASSERT_TRUE(group.ok());
  const ChatId chat = (*group)->id;
  const TimeMs until = clock.now_ms() + 60'000;
  ASSERT_TRUE(core->chats.set_muted(bob, chat, until).ok());
  EXPECT_EQ(core->chats.view(**core->chats.find(chat), &bob)->muted_until, until);
  EXPECT_FALSE(core->chats.view(**core->chats.find(chat), &ann)->muted_until);
  EXPECT_FALSE(core->chats.view(**core->chats.find(chat))->muted_until);
  clock.advance(60'000);
  EXPECT_FALSE(core->chats.view(**core->chats.find(chat), &bob)->muted_until) << "over";
  EXPECT_EQ(core->chats.set_muted(eve, chat, until).error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->chats.set_muted(bob, chat, -1).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->chats.set_muted(bob, chat, kMutedForever + 1).error().code, ErrorCode::invalid_request);
  ASSERT_TRUE(core->chats.set_muted(bob, chat, 0).ok());
  EXPECT_EQ((*core->chats.find(chat))->member(bob)->muted_until, 0);
}

}  // namespace
}  // namespace parley::testing
