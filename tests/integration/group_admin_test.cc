// Group rename, member roles and the group timeline: every change of a
// group is a `kind: "event"` entry of its log, in order with the messages,
// live to the members' devices and in history. Only admins rename and change
// roles, a group keeps an admin, and nobody sends, edits or reacts to a
// timeline line. Every refusal changes nothing.
#include "fixture.h"

namespace parley::testing {
namespace {

using client::ApiError;
using client::int_field;
using client::str_field;

class GroupAdminTest : public ParleyTest {
 protected:
  HttpResponse patch(Session& s, const std::string& target, const json::object& body) {
    return s.call("PATCH", target, json::value(body));
  }
  // A request with a body sent byte for byte (malformed JSON included).
  HttpResponse raw(Session& s, const std::string& method, const std::string& target, const std::string& body) {
    client::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.bearer_token = s.token();
    return server().http().send(req);
  }
};

// The next timeline line of the chat on this connection, with its event.
json::object next_line(WsConnection& ws, const std::string& chat) {
  auto frame = ws.next_matching([&](const json::object& o) {
    return str_field(o, "type") == "message" && str_field(o, "chat_id") == chat && str_field(o, "kind") == "event";
  });
  EXPECT_TRUE(frame) << "no timeline line arrived";
  return frame ? *frame : json::object{};
}

std::string event_type(const json::object& line) {
  const auto* e = line.if_contains("event");
  return e && e->is_object() ? str_field(e->get_object(), "type") : "";
}

std::string event_field(const json::object& line, const char* field) {
  const auto* e = line.if_contains("event");
  return e && e->is_object() ? str_field(e->get_object(), field) : "";
}

TEST_F(GroupAdminTest, RenameRolesAndMembershipAreTimelineLinesInOrderWithTheMessages) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session cy = new_session("cy");
  auto b = connect(bob);
  ChatInfo g = ann.create_group("plans", {bob.user_id()});
  const std::string chat = g.chat_id;

  auto hello = ann.send(chat, cmid(), "hello");
  ASSERT_TRUE(b->next_message(kWait, chat));

  ChatInfo renamed = ann.rename_group(chat, "holiday plans");
  EXPECT_EQ(renamed.name, "holiday plans");
  auto rename_line = next_line(*b, chat);
  EXPECT_EQ(event_type(rename_line), "renamed");
  EXPECT_EQ(str_field(rename_line, "sender_id"), ann.user_id());
  EXPECT_EQ(str_field(rename_line, "text"), "");
  EXPECT_EQ(event_field(rename_line, "name"), "holiday plans");
  auto chat_event = b->next_matching(
      [](const json::object& o) { return str_field(o, "type") == "chat" && str_field(o, "event") == "renamed"; });
  ASSERT_TRUE(chat_event) << "members hear of the new name";

  EXPECT_EQ(ann.set_role(chat, bob.user_id(), "admin").role_of(bob.user_id()), "admin");
  auto role_line = next_line(*b, chat);
  EXPECT_EQ(event_type(role_line), "role_changed");
  EXPECT_EQ(event_field(role_line, "user_id"), bob.user_id());
  EXPECT_EQ(event_field(role_line, "role"), "admin");

  // Bob is an admin now: he adds Cy, who gets the line that added her.
  auto c = connect(cy);
  bob.add_member(chat, cy.user_id());
  auto added = next_line(*c, chat);
  EXPECT_EQ(event_type(added), "member_added");
  EXPECT_EQ(event_field(added, "user_id"), cy.user_id());
  EXPECT_EQ(str_field(added, "sender_id"), bob.user_id());
  EXPECT_EQ(event_type(next_line(*b, chat)), "member_added");

  // Cy leaves; then Bob removes nobody else but steps down.
  cy.leave(chat);
  auto left = next_line(*b, chat);
  EXPECT_EQ(event_type(left), "member_left");
  EXPECT_EQ(event_field(left, "user_id"), cy.user_id());
  bob.set_role(chat, bob.user_id(), "member");
  EXPECT_EQ(event_field(next_line(*b, chat), "role"), "member");

  // History holds every line among the messages, seqs without a gap.
  auto history = bob.history(chat, {.after = 0, .limit = 50});
  std::vector<std::string> kinds;
  for (std::size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].seq, static_cast<std::int64_t>(i + 1));
    kinds.push_back(history[i].event ? history[i].event->type : history[i].text);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"hello", "renamed", "role_changed", "member_added", "member_left",
                                             "role_changed"}));
  EXPECT_EQ(history[0].seq, hello.seq) << "a group's creation is no line";

  // A timeline line is never a chat's last message.
  auto listed = bob.find_chat(chat);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->name, "holiday plans");
  const auto* last = listed->raw.if_contains("last_message");
  ASSERT_TRUE(last && last->is_object());
  EXPECT_EQ(str_field(last->get_object(), "text"), "hello");
  EXPECT_EQ(listed->last_seq, 6);
}

TEST_F(GroupAdminTest, WhenTheLastAdminLeavesTheLongestStandingMemberTakesOverOnTheTimeline) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session cy = new_session("cy");
  ChatInfo g = ann.create_group("g", {bob.user_id(), cy.user_id()});
  auto b = connect(bob);
  ann.leave(g.chat_id);
  auto left = next_line(*b, g.chat_id);
  EXPECT_EQ(event_type(left), "member_left");
  EXPECT_EQ(str_field(left, "sender_id"), ann.user_id());
  auto took_over = next_line(*b, g.chat_id);
  EXPECT_EQ(event_type(took_over), "role_changed");
  EXPECT_EQ(event_field(took_over, "user_id"), bob.user_id());
  EXPECT_EQ(event_field(took_over, "role"), "admin");
  // Bob is the admin now: he may rename.
  EXPECT_EQ(bob.rename_group(g.chat_id, "g2").name, "g2");
}

TEST_F(GroupAdminTest, ARemovedMemberDoesNotGetTheLineThatRemovedThem) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo g = ann.create_group("g", {bob.user_id()});
  auto a = connect(ann);
  auto b = connect(bob);
  ann.remove_member(g.chat_id, bob.user_id());
  EXPECT_EQ(event_type(next_line(*a, g.chat_id)), "member_removed");
  // Bob hears of the removal as a chat event, and gets no later entry.
  ASSERT_TRUE(b->next_matching([](const json::object& o) { return str_field(o, "event") == "member_removed"; }));
  ann.send(g.chat_id, cmid(), "after bob");
  ASSERT_TRUE(a->next_message(kWait, g.chat_id));
  EXPECT_FALSE(b->next_message(Ms(500), g.chat_id)) << "nothing of the chat after the removal";
}

TEST_F(GroupAdminTest, OnlyAdminsRenameAndChangeRolesAndARefusalChangesNothing) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session eve = new_session("eve");
  ChatInfo g = ann.create_group("g", {bob.user_id()});
  ChatInfo dm = ann.create_direct(bob.user_id());
  const std::string chat_path = "/v1/chats/" + g.chat_id;
  const std::string bob_path = chat_path + "/members/" + bob.user_id();
  const std::string ann_path = chat_path + "/members/" + ann.user_id();

  EXPECT_TRUE(is_error(patch(bob, chat_path, {{"name", "mine"}}), 403, "forbidden"));
  EXPECT_TRUE(is_error(patch(eve, chat_path, {{"name", "mine"}}), 403, "forbidden"));
  EXPECT_TRUE(is_error(patch(bob, ann_path, {{"role", "member"}}), 403, "forbidden"));
  EXPECT_TRUE(is_error(patch(bob, bob_path, {{"role", "admin"}}), 403, "forbidden")) << "no self-promotion";
  EXPECT_TRUE(is_error(patch(ann, ann_path, {{"role", "member"}}), 400, "invalid_request")) << "the last admin";
  EXPECT_TRUE(is_error(patch(ann, chat_path + "/members/" + eve.user_id(), {{"role", "admin"}}), 404, "not_found"));
  EXPECT_TRUE(is_error(patch(ann, "/v1/chats/" + dm.chat_id, {{"name", "dm"}}), 400, "invalid_request"));
  EXPECT_TRUE(is_error(patch(ann, "/v1/chats/" + dm.chat_id + "/members/" + bob.user_id(), {{"role", "admin"}}), 400,
                       "invalid_request"));
  EXPECT_TRUE(is_error(patch(ann, "/v1/chats/nope", {{"name", "x"}}), 404, "not_found"));

  // Hostile names and roles.
  for (const std::string& name : {std::string(), std::string(201, 'n'), std::string("\xC3\x28", 2),
                                  std::string("\xF0\x9F\x98", 3), std::string("a\0b", 3) + "\xFF"}) {
    // Refused as a bad name, or already as JSON that is not valid.
    EXPECT_EQ(raw(ann, "PATCH", chat_path, "{\"name\":\"" + name + "\"}").status, 400) << name.size();
  }
  EXPECT_EQ(raw(ann, "PATCH", chat_path, "{\"name\":\"\\ud800\"}").status, 400);
  for (const json::value& role : {json::value("owner"), json::value("ADMIN"), json::value(1), json::value(nullptr)}) {
    EXPECT_TRUE(is_error(patch(ann, bob_path, {{"role", role}}), 400, "invalid_request")) << json::serialize(role);
  }
  for (const char* body : {"", "{"}) {
    EXPECT_TRUE(is_error(raw(ann, "PATCH", chat_path, body), 400, "invalid_json")) << body;
    EXPECT_TRUE(is_error(raw(ann, "PATCH", bob_path, body), 400, "invalid_json")) << body;
  }
  for (const char* body : {"[]", "{\"name\":5,\"role\":5}", "{\"nom\":\"x\"}", "null"}) {
    EXPECT_TRUE(is_error(raw(ann, "PATCH", chat_path, body), 400, "invalid_request")) << body;
    EXPECT_TRUE(is_error(raw(ann, "PATCH", bob_path, body), 400, "invalid_request")) << body;
  }

  auto after = ann.find_chat(g.chat_id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->name, "g");
  EXPECT_EQ(after->role_of(ann.user_id()), "admin");
  EXPECT_EQ(after->role_of(bob.user_id()), "member");
  EXPECT_TRUE(ann.history(g.chat_id, {.after = 0, .limit = 50}).empty()) << "no line";

  // The same name or role again is no change and writes no line.
  EXPECT_EQ(ann.rename_group(g.chat_id, "g").name, "g");
  ann.set_role(g.chat_id, bob.user_id(), "member");
  ann.send(g.chat_id, cmid(), "still one line");
  EXPECT_EQ(ann.history(g.chat_id, {.after = 0, .limit = 50}).size(), 1u) << "the message, and no line";
}

TEST_F(GroupAdminTest, NobodySendsEditsOrReactsToATimelineLine) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo g = ann.create_group("g", {bob.user_id()});
  auto a = connect(ann);
  ann.rename_group(g.chat_id, "g2");
  ASSERT_EQ(event_type(next_line(*a, g.chat_id)), "renamed");  // seq 1

  auto forged =
      ann.call("POST", "/v1/chats/" + g.chat_id + "/messages",
               json::value(json::object{{"client_msg_id", cmid()}, {"kind", "event"}, {"text", "renamed\n\nx"}}));
  EXPECT_TRUE(is_error(forged, 400, "invalid_request"));
  a->send(json::object{{"type", "send"},
                       {"chat_id", g.chat_id},
                       {"client_msg_id", "forged"},
                       {"kind", "event"},
                       {"text", "created\n\nx"}});
  auto refused = a->next_of_type("error");
  ASSERT_TRUE(refused);
  EXPECT_EQ(str_field(*refused, "code"), "invalid_request");

  for (const char* kind : {"edit", "delete", "reaction"}) {
    json::object body{{"client_msg_id", cmid()}, {"kind", kind}, {"target_seq", 1}};
    if (std::string(kind) == "edit") body["text"] = "x";
    if (std::string(kind) == "reaction") body["text"] = "\xF0\x9F\x91\x8D";
    auto r = ann.call("POST", "/v1/chats/" + g.chat_id + "/messages", json::value(body));
    EXPECT_TRUE(is_error(r, 400, "invalid_request")) << kind;
  }
  auto reply = ann.call("POST", "/v1/chats/" + g.chat_id + "/messages",
                        json::value(json::object{{"client_msg_id", cmid()}, {"text", "re"}, {"reply_to", 1}}));
  EXPECT_TRUE(is_error(reply, 400, "invalid_request"));
  EXPECT_EQ(ann.history(g.chat_id, {.after = 0, .limit = 50}).size(), 1u) << "nothing stored";
}

TEST_F(GroupAdminTest, TimelineLinesSurviveARestartAndReplayOnResume) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo g = ann.create_group("g", {bob.user_id()});
  auto b = connect(bob);
  ann.send(g.chat_id, cmid(), "hi");
  auto hi = b->next_message(kWait, g.chat_id);
  ASSERT_TRUE(hi);
  const std::string cursor = str_field(*hi, "cursor");
  b->close();
  ann.rename_group(g.chat_id, "renamed while away");
  ASSERT_TRUE(
      eventually([&] { return ann.history(g.chat_id, {.after = 0, .limit = 50}).size() == 2; }));  // hi, the line
  restart_servers();
  Session bob_again = resume(bob);
  auto back = connect(bob_again, cursor);
  auto replayed = next_line(*back, g.chat_id);
  EXPECT_EQ(event_type(replayed), "renamed");
  EXPECT_EQ(event_field(replayed, "name"), "renamed while away");
  EXPECT_EQ(int_field(replayed, "seq"), 2);
}

}  // namespace
}  // namespace parley::testing
