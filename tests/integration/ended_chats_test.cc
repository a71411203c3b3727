// A group that ended for a member: removed or gone, they still read what was
// said while they were in it (list, GET, history, read markers, resume), and
// nothing after; they act in it no more; DELETE /v1/chats/{id} forgets it,
// on every device of theirs. On one node and on the cluster.
#include "fixture.h"

namespace parley::testing {
namespace {

using client::str_field;

class EndedChatsTest : public ParleyTest {
 protected:
  std::optional<ChatInfo> listed(Session& s, const std::string& chat_id) {
    for (auto& c : s.list_chats()) {
      if (c.chat_id == chat_id) return c;
    }
    return std::nullopt;
  }
  static std::vector<std::string> texts(const std::vector<MessageInfo>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) {
      if (m.kind == "text") out.push_back(m.text);
    }
    return out;
  }
  HttpResponse post_text(Session& s, const std::string& chat_id, const std::string& text) {
    return s.call("POST", "/v1/chats/" + chat_id + "/messages",
                  json::value(json::object{{"client_msg_id", cmid()}, {"text", text}}));
  }
};

TEST_F(EndedChatsTest, ARemovedMemberKeepsWhatWasSaidUntilTheRemovalAndNothingAfter) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session cy = new_session("cy");
  ChatInfo g = ann.create_group("plans", {bob.user_id(), cy.user_id()});
  ann.send(g.chat_id, cmid(), "one");
  const auto two = ann.send(g.chat_id, cmid(), "two");
  auto b = connect(bob);
  ann.remove_member(g.chat_id, bob.user_id());
  // Bob's device hears the removal, then nothing of the group.
  ASSERT_TRUE(b->next_matching([&](const json::object& o) {
    return str_field(o, "type") == "chat" && str_field(o, "event") == "member_removed";
  }));
  ann.send(g.chat_id, cmid(), "after");

  auto seen = listed(bob, g.chat_id);
  ASSERT_TRUE(seen) << "the group stays in bob's list";
  EXPECT_EQ(seen->ended_seq, two.seq);
  EXPECT_TRUE(seen->ended);
  EXPECT_EQ(seen->last_seq, two.seq);
  EXPECT_EQ(seen->unread, 2);
  EXPECT_EQ(str_field(seen->raw.at("last_message").as_object(), "text"), "two");
  EXPECT_FALSE(seen->has_member(bob.user_id()));
  auto got = bob.call("GET", "/v1/chats/" + g.chat_id);
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.json.as_object().at("ended_seq").as_int64(), two.seq);
  EXPECT_FALSE(ann.find_chat(g.chat_id)->raw.contains("ended"));

  EXPECT_EQ(texts(bob.history(g.chat_id)), (std::vector<std::string>{"two", "one"}));
  EXPECT_EQ(texts(bob.history(g.chat_id, {.after = 0})), (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(bob.history(g.chat_id, {.after = two.seq}).empty());
  // Resumed from the start, bob's device replays the two, never "after".
  auto again = connect(bob, "o0");
  std::vector<std::string> replayed;
  while (auto m = again->next_message(std::chrono::milliseconds(1500), g.chat_id)) {
    if (!m->contains("kind")) replayed.push_back(str_field(*m, "text"));
  }
  EXPECT_EQ(replayed, (std::vector<std::string>{"one", "two"}));
  EXPECT_FALSE(b->next_message(std::chrono::milliseconds(300), g.chat_id)) << "nothing live after the removal";

  // Reading works (up to the end); acting does not, and changes nothing.
  b->send(json::object{{"type", "read"}, {"chat_id", g.chat_id}, {"seq", 1'000}});
  EXPECT_TRUE(eventually([&] { return listed(bob, g.chat_id)->unread == 0; }, kWait));
  EXPECT_EQ(listed(bob, g.chat_id)->read_seq, two.seq);
  EXPECT_TRUE(is_error(post_text(bob, g.chat_id, "still here?"), 403, "forbidden"));
  EXPECT_TRUE(is_error(bob.call("GET", "/v1/chats/" + g.chat_id + "/receipts"), 403, "forbidden"));
  EXPECT_TRUE(
      is_error(bob.call("PUT", "/v1/chats/" + g.chat_id + "/mute", json::value(json::object{})), 403, "forbidden"));
  b->send(json::object{{"type", "typing"}, {"chat_id", g.chat_id}});
  expect_error_frame(*b, "forbidden");
  b->send(json::object{{"type", "send"}, {"chat_id", g.chat_id}, {"client_msg_id", cmid()}, {"text", "x"}});
  expect_error_frame(*b, "forbidden");
  EXPECT_EQ(texts(ann.history(g.chat_id)), (std::vector<std::string>{"after", "two", "one"}));
}

TEST_F(EndedChatsTest, ForgettingDropsTheGroupOnEveryDeviceAndOnlyAFormerMemberMay) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session eve = new_session("eve");
  Session bob2 = resume(bob);
  ChatInfo g = ann.create_group("plans", {bob.user_id()});
  ann.send(g.chat_id, cmid(), "one");
  bob.leave(g.chat_id);
  ASSERT_TRUE(listed(bob, g.chat_id));

  // Refused, and nothing changes: a member, a stranger, no such chat, hostile spellings, no token.
  EXPECT_TRUE(is_error(ann.call("DELETE", "/v1/chats/" + g.chat_id), 400, "invalid_request"));
  EXPECT_TRUE(is_error(eve.call("DELETE", "/v1/chats/" + g.chat_id), 403, "forbidden"));
  EXPECT_TRUE(is_error(bob.call("DELETE", "/v1/chats/no-such-chat"), 404, "not_found"));
  EXPECT_TRUE(is_error(bob.call("DELETE", "/v1/chats/..%2F" + g.chat_id), 404, "not_found"));
  EXPECT_TRUE(is_error(bob.call("DELETE", "/v1/chats/" + std::string(5000, 'c')), 404, "not_found"));
  EXPECT_TRUE(is_error(bob.call("DELETE", "/v1/chats/%ff%fe"), 404, "not_found"));
  EXPECT_TRUE(is_error(server().http().request("DELETE", "/v1/chats/" + g.chat_id), 401, "unauthorized"));
  ASSERT_TRUE(listed(bob, g.chat_id));
  EXPECT_EQ(texts(bob.history(g.chat_id)), (std::vector<std::string>{"one"}));

  auto other_device = connect(bob2);
  auto forgot = bob.call("DELETE", "/v1/chats/" + g.chat_id);
  EXPECT_EQ(forgot.status, 204) << forgot.raw;
  auto told = other_device->next_matching(
      [&](const json::object& o) { return str_field(o, "type") == "chat" && str_field(o, "event") == "forgotten"; });
  ASSERT_TRUE(told) << "the user's other device hears it";
  EXPECT_EQ(str_field(told->at("chat").as_object(), "chat_id"), g.chat_id);
  EXPECT_FALSE(listed(bob, g.chat_id));
  EXPECT_FALSE(listed(bob2, g.chat_id));
  EXPECT_TRUE(is_error(bob.call("GET", "/v1/chats/" + g.chat_id + "/messages"), 403, "forbidden"));
  EXPECT_TRUE(is_error(bob.call("DELETE", "/v1/chats/" + g.chat_id), 403, "forbidden"));
  // The group goes on for the others.
  EXPECT_EQ(texts(ann.history(g.chat_id)), (std::vector<std::string>{"one"}));
}

TEST_F(EndedChatsTest, AddedAgainIsAMemberFromThenOn) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo g = ann.create_group("plans", {bob.user_id()});
  ann.send(g.chat_id, cmid(), "before");
  ann.remove_member(g.chat_id, bob.user_id());
  ann.send(g.chat_id, cmid(), "while away");
  ann.add_member(g.chat_id, bob.user_id());
  ann.send(g.chat_id, cmid(), "welcome back");
  auto seen = listed(bob, g.chat_id);
  ASSERT_TRUE(seen);
  EXPECT_FALSE(seen->ended);
  EXPECT_EQ(texts(bob.history(g.chat_id)), (std::vector<std::string>{"welcome back"}));
  EXPECT_EQ(post_text(bob, g.chat_id, "thanks").status, 200);
}

}  // namespace
}  // namespace parley::testing
