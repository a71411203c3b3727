// Chats: direct-chat uniqueness, groups, admin rights, membership changes and
// the `chat` events they produce.
#include "fixture.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

class ChatsTest : public ParleyTest {};

TEST_F(ChatsTest, DirectChatIsOnePerPairWhoeverCreatesIt) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo first = alice.create_direct(bob.user_id());
  EXPECT_EQ(first.http_status, 201);
  EXPECT_FALSE(first.chat_id.empty());
  EXPECT_EQ(first.kind, "direct");
  EXPECT_TRUE(first.has_member(alice.user_id()));
  EXPECT_TRUE(first.has_member(bob.user_id()));
  EXPECT_EQ(first.members.size(), 2u);

  ChatInfo again = alice.create_direct(bob.user_id());
  EXPECT_EQ(again.http_status, 200);
  EXPECT_EQ(again.chat_id, first.chat_id);
  ChatInfo reverse = bob.create_direct(alice.user_id());
  EXPECT_EQ(reverse.http_status, 200);
  EXPECT_EQ(reverse.chat_id, first.chat_id);

  for (Session* s : {&alice, &bob}) {
    auto chats = s->list_chats();
    ASSERT_EQ(chats.size(), 1u);
    EXPECT_EQ(chats[0].chat_id, first.chat_id);
    EXPECT_EQ(chats[0].kind, "direct");
    EXPECT_EQ(chats[0].last_seq, 0);
    EXPECT_EQ(chats[0].read_seq, 0);
    ASSERT_EQ(chats[0].members.size(), 2u);
    for (const auto& m : chats[0].members) EXPECT_FALSE(m.display_name.empty());
  }
}

TEST_F(ChatsTest, ChatListCarriesTheLastMessage) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  EXPECT_TRUE(bob.list_chats()[0].raw.at("last_message").is_null());
  alice.send(chat.chat_id, cmid(), "first");
  alice.send(chat.chat_id, cmid(), "second");
  auto chats = bob.list_chats();
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(chats[0].last_seq, 2);
  const auto& last = chats[0].raw.at("last_message").as_object();
  EXPECT_EQ(str_field(last, "text"), "second");
  EXPECT_EQ(int_field(last, "seq"), 2);
  EXPECT_EQ(str_field(last, "sender_id"), alice.user_id());
}

// A sender has read what it sent: its read marker moves with each send, so
// its own messages never count as unread; everyone else's do.
TEST_F(ChatsTest, OwnMessagesAreNeverUnread) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session cy = new_session("cy");
  auto unread = [](Session& s, const std::string& chat_id) -> std::int64_t {
    for (const auto& c : s.list_chats()) {
      if (c.chat_id == chat_id) return c.last_seq - c.read_seq;
    }
    ADD_FAILURE() << "chat " << chat_id << " not listed";
    return -1;
  };
  ChatInfo chat = ann.create_direct(bob.user_id());
  for (const char* text : {"one", "two", "three"}) ann.send(chat.chat_id, cmid(), text);
  EXPECT_EQ(ann.list_chats()[0].read_seq, 3);
  EXPECT_EQ(unread(ann, chat.chat_id), 0);
  EXPECT_EQ(unread(bob, chat.chat_id), 3);

  // Bob answers without having read: his marker moves past Ann's messages
  // too (he answered them), and only his answer is new to Ann.
  bob.send(chat.chat_id, cmid(), "four");
  EXPECT_EQ(unread(bob, chat.chat_id), 0);
  EXPECT_EQ(unread(ann, chat.chat_id), 1);

  // In a group each sender's marker moves on its own.
  ChatInfo group = ann.create_group("trio", {bob.user_id(), cy.user_id()});
  ann.send(group.chat_id, cmid(), "hi all");
  cy.send(group.chat_id, cmid(), "hi");
  cy.send(group.chat_id, cmid(), "hello");
  EXPECT_EQ(unread(ann, group.chat_id), 2);
  EXPECT_EQ(unread(bob, group.chat_id), 3);
  EXPECT_EQ(unread(cy, group.chat_id), 0);
}

TEST_F(ChatsTest, ConcurrentDirectCreatesYieldOneChat) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session alice2 = another_device(alice);
  Session bob2 = another_device(bob);
  std::vector<std::string> ids(4);
  std::vector<std::thread> threads;
  Session* sessions[] = {&alice, &bob, &alice2, &bob2};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      const std::string peer = i % 2 == 0 ? bob.user_id() : alice.user_id();
      ids[i] = sessions[i]->create_direct(peer).chat_id;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(alice.list_chats().size(), 1u);
}

TEST_F(ChatsTest, DirectChatWithUnknownUserFails) {
  Session alice = new_session("alice");
  auto r = alice.call("POST", "/v1/chats", json::object{{"kind", "direct"}, {"peer_id", "nobody"}});
  EXPECT_TRUE(r.status == 404 || r.status == 400) << r.raw;
  EXPECT_TRUE(alice.list_chats().empty());
}

TEST_F(ChatsTest, GroupCreatorIsAdmin) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  ChatInfo g = alice.create_group("friends", {bob.user_id(), carol.user_id()});
  EXPECT_EQ(g.http_status, 201);
  EXPECT_EQ(g.kind, "group");
  EXPECT_EQ(g.name, "friends");
  EXPECT_EQ(g.members.size(), 3u);
  EXPECT_EQ(g.role_of(alice.user_id()), "admin");
  EXPECT_EQ(g.role_of(bob.user_id()), "member");
  EXPECT_EQ(g.role_of(carol.user_id()), "member");
  for (Session* s : {&bob, &carol}) {
    auto c = s->find_chat(g.chat_id);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->name, "friends");
    EXPECT_EQ(c->members.size(), 3u);
  }
  // Two groups with the same members are two chats.
  ChatInfo g2 = alice.create_group("friends", {bob.user_id(), carol.user_id()});
  EXPECT_NE(g2.chat_id, g.chat_id);
}

TEST_F(ChatsTest, OnlyAdminAddsMembers) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session dave = new_session("dave");
  ChatInfo g = alice.create_group("team", {bob.user_id()});
  EXPECT_API_ERROR(bob.add_member(g.chat_id, dave.user_id()), 403, "forbidden");
  EXPECT_FALSE(dave.find_chat(g.chat_id).has_value());
  EXPECT_API_ERROR(dave.add_member(g.chat_id, dave.user_id()), 403, "forbidden");

  alice.add_member(g.chat_id, dave.user_id());
  auto seen = dave.find_chat(g.chat_id);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->role_of(dave.user_id()), "member");
  EXPECT_EQ(seen->members.size(), 3u);
}

TEST_F(ChatsTest, MembershipOfUnknownChatOrUserFails) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  EXPECT_API_ERROR(alice.add_member("no-such-chat", bob.user_id()), 404, "not_found");
  ChatInfo g = alice.create_group("team", {});
  auto r = alice.call("POST", "/v1/chats/" + g.chat_id + "/members", json::object{{"user_id", "no-such-user"}});
  EXPECT_TRUE(r.status == 404 || r.status == 400) << r.raw;
  EXPECT_EQ(alice.find_chat(g.chat_id)->members.size(), 1u);
}

TEST_F(ChatsTest, AdminRemovesMembersAndMembersLeave) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  ChatInfo g = alice.create_group("team", {bob.user_id(), carol.user_id()});
  // A plain member cannot remove another member.
  EXPECT_API_ERROR(bob.remove_member(g.chat_id, carol.user_id()), 403, "forbidden");
  EXPECT_TRUE(carol.find_chat(g.chat_id).has_value());

  // On a cluster each session may ask another node, whose chat cache hears
  // of a change made elsewhere through Redis a moment later.
  // The group has ended for those gone: still theirs to read, no longer to act in.
  alice.remove_member(g.chat_id, bob.user_id());
  EXPECT_TRUE(eventually([&] { return bob.find_chat(g.chat_id).value_or(ChatInfo{}).ended; }));
  carol.leave(g.chat_id);
  EXPECT_TRUE(eventually([&] { return carol.find_chat(g.chat_id).value_or(ChatInfo{}).ended; }));
  EXPECT_TRUE(eventually([&] {
    auto left = alice.find_chat(g.chat_id);
    return left.has_value() && left->members.size() == 1u;
  })) << "alice still sees the members who left";
  // A removed member can no longer act on the chat.
  EXPECT_API_ERROR(bob.leave(g.chat_id), 403, "forbidden");
}

TEST_F(ChatsTest, ChatEventsReachAffectedMembers) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  auto ws_a = connect(alice);
  auto ws_b = connect(bob);
  auto ws_c = connect(carol);
  auto event_for = [](WsConnection& ws, const std::string& event, const std::string& chat_id) {
    return ws.next_matching(
        [&](const json::object& o) {
          if (str_field(o, "type") != "chat" || str_field(o, "event") != event) return false;
          const auto* chat = o.if_contains("chat");
          return chat && chat->is_object() && str_field(chat->as_object(), "chat_id") == chat_id;
        },
        kWait);
  };

  ChatInfo g = alice.create_group("team", {bob.user_id()});
  EXPECT_TRUE(event_for(*ws_a, "created", g.chat_id)) << "creator got no created event";
  auto created = event_for(*ws_b, "created", g.chat_id);
  ASSERT_TRUE(created) << "member got no created event";
  EXPECT_EQ(str_field(created->at("chat").as_object(), "kind"), "group");

  alice.add_member(g.chat_id, carol.user_id());
  EXPECT_TRUE(event_for(*ws_a, "member_added", g.chat_id));
  EXPECT_TRUE(event_for(*ws_b, "member_added", g.chat_id));
  EXPECT_TRUE(event_for(*ws_c, "member_added", g.chat_id)) << "added member not told";

  alice.remove_member(g.chat_id, bob.user_id());
  EXPECT_TRUE(event_for(*ws_a, "member_removed", g.chat_id));
  EXPECT_TRUE(event_for(*ws_c, "member_removed", g.chat_id));
  EXPECT_TRUE(event_for(*ws_b, "member_removed", g.chat_id)) << "removed member not told";

  ChatInfo d = carol.create_direct(alice.user_id());
  EXPECT_TRUE(event_for(*ws_a, "created", d.chat_id)) << "peer not told of new direct chat";
  EXPECT_TRUE(event_for(*ws_c, "created", d.chat_id));
}

class GroupSizeTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--max-group-size", "3"});
    return f;
  }
};

TEST_F(GroupSizeTest, GroupOverMaxSizeIsRejected) {
  Session alice = new_session("alice");
  std::vector<std::string> others;
  for (int i = 0; i < 3; ++i) others.push_back(make_user("u" + std::to_string(i)).user_id);
  // Creator + 3 = 4 > 3.
  EXPECT_API_ERROR(alice.create_group("big", others), 400, "group_too_large");
  EXPECT_TRUE(alice.list_chats().empty());
  // Creator + 2 = 3 is allowed; a 4th member is not.
  ChatInfo g = alice.create_group("ok", {others[0], others[1]});
  EXPECT_EQ(g.members.size(), 3u);
  EXPECT_API_ERROR(alice.add_member(g.chat_id, others[2]), 400, "group_too_large");
  EXPECT_EQ(alice.find_chat(g.chat_id)->members.size(), 3u);
}

}  // namespace
}  // namespace parley::testing
