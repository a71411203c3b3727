// Message actions: edit, delete for everyone, reactions and replies. Each is
// an entry of the chat's log (the next seq), delivered live to every device
// of every member and replayed on resume like a message; history answers
// each message's current state. Every refusal is checked with its code.
#include <algorithm>

#include "fixture.h"
#include "push_receiver.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

class MessageActionsTest : public ParleyTest {};

json::object action_frame(const std::string& chat, const std::string& id, const std::string& kind, std::int64_t target,
                          const std::optional<std::string>& text = std::nullopt) {
  json::object f{{"type", "send"}, {"chat_id", chat}, {"client_msg_id", id}, {"kind", kind}, {"target_seq", target}};
  if (text) f["text"] = *text;
  return f;
}

// The message with this seq in the chat's history (newest page), as Bob's
// client reads it.
MessageInfo in_history(Session& s, const std::string& chat, std::int64_t seq) {
  for (auto& m : s.history(chat, {.limit = 200})) {
    if (m.seq == seq) return m;
  }
  ADD_FAILURE() << "no message " << seq << " in history";
  return {};
}

// Each connection's next message frame of the chat.
std::vector<json::object> next_on_each(const std::vector<WsConnection*>& conns, const std::string& chat) {
  std::vector<json::object> out;
  for (WsConnection* ws : conns) {
    auto m = ws->next_message(kWait, chat);
    EXPECT_TRUE(m) << "a device got no message frame";
    out.push_back(m ? *m : json::object{});
  }
  return out;
}

TEST_F(MessageActionsTest, EditReactDeleteReachEveryDeviceOfEveryMemberLiveAndHistoryHasTheState) {
  Session ann = new_session("ann");
  Session ann2 = another_device(ann);
  Session bob = new_session("bob");
  Session cy = new_session("cy");
  Session cy2 = another_device(cy);
  ChatInfo g = ann.create_group("actions", {bob.user_id(), cy.user_id()});
  auto a1 = connect(ann);
  auto a2 = connect(ann2);
  auto b = connect(bob);
  auto c1 = connect(cy);
  auto c2 = connect(cy2);
  const std::vector<WsConnection*> all{a1.get(), a2.get(), b.get(), c1.get(), c2.get()};

  ASSERT_TRUE(a1->send_and_wait(g.chat_id, cmid(), "helo all").ok());
  next_on_each(all, g.chat_id);

  auto edit = a1->send_frame_and_wait(action_frame(g.chat_id, cmid(), "edit", 1, "hello all"));
  ASSERT_TRUE(edit.ok()) << json::serialize(edit.frame);
  EXPECT_EQ(edit.ack->seq, 2);
  for (const auto& m : next_on_each(all, g.chat_id)) {
    EXPECT_EQ(str_field(m, "kind"), "edit");
    EXPECT_EQ(int_field(m, "target_seq"), 1);
    EXPECT_EQ(int_field(m, "seq"), 2);
    EXPECT_EQ(str_field(m, "text"), "hello all");
    EXPECT_EQ(str_field(m, "sender_id"), ann.user_id());
  }
  ASSERT_TRUE(b->send_frame_and_wait(action_frame(g.chat_id, cmid(), "reaction", 1, "👍")).ok());
  ASSERT_TRUE(c1->send_frame_and_wait(action_frame(g.chat_id, cmid(), "reaction", 1, "👍🏽")).ok());
  for (WsConnection* ws : all) {
    auto r1 = ws->next_message(kWait, g.chat_id);
    auto r2 = ws->next_message(kWait, g.chat_id);
    ASSERT_TRUE(r1 && r2);
    EXPECT_EQ(str_field(*r1, "kind"), "reaction");
    EXPECT_EQ(str_field(*r1, "text"), "👍");
    EXPECT_EQ(str_field(*r2, "sender_id"), cy.user_id());
    EXPECT_EQ(str_field(*r2, "text"), "👍🏽");
  }
  MessageInfo state = in_history(bob, g.chat_id, 1);
  EXPECT_EQ(state.text, "hello all");
  EXPECT_EQ(state.edited_at, edit.ack->ts);
  EXPECT_FALSE(state.deleted);
  EXPECT_EQ(state.reactions,
            (std::vector<std::pair<std::string, std::string>>{{bob.user_id(), "👍"}, {cy.user_id(), "👍🏽"}}));

  ASSERT_TRUE(a2->send_frame_and_wait(action_frame(g.chat_id, cmid(), "delete", 1)).ok());
  for (const auto& m : next_on_each(all, g.chat_id)) {
    EXPECT_EQ(str_field(m, "kind"), "delete");
    EXPECT_EQ(int_field(m, "target_seq"), 1);
    EXPECT_EQ(str_field(m, "text"), "");
  }
  // The history is gap-free: actions are entries with their kind; nothing
  // of the deleted text is left, not even in its edit entry.
  auto history = cy.history(g.chat_id);
  EXPECT_EQ(seqs_of(history), (std::vector<std::int64_t>{5, 4, 3, 2, 1}));
  for (const auto& m : history) {
    EXPECT_EQ(m.text.find("hel"), std::string::npos) << m.seq;
  }
  state = in_history(cy, g.chat_id, 1);
  EXPECT_TRUE(state.deleted);
  EXPECT_EQ(state.text, "");
  EXPECT_TRUE(state.reactions.empty());
  EXPECT_EQ(in_history(cy, g.chat_id, 2).kind, "edit");
  EXPECT_EQ(in_history(cy, g.chat_id, 5).kind, "delete");
  // The chat list's last_seq counts the actions; its preview is the message.
  auto listed = bob.find_chat(g.chat_id);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->last_seq, 5);
}

TEST_F(MessageActionsTest, ADeviceThatWasAwayGetsTheActionsOnResumeOnceInOrder) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo chat = ann.create_direct(bob.user_id());
  auto a = connect(ann);
  auto b = connect(bob);
  ASSERT_TRUE(a->send_and_wait(chat.chat_id, cmid(), "first").ok());
  ASSERT_TRUE(b->next_message(kWait, chat.chat_id));
  const std::string cursor = b->last_cursor();
  b->close();
  b.reset();

  ASSERT_TRUE(a->send_frame_and_wait(action_frame(chat.chat_id, cmid(), "edit", 1, "first, edited")).ok());
  ASSERT_TRUE(a->send_frame_and_wait(action_frame(chat.chat_id, cmid(), "reaction", 1, "❤️")).ok());
  ASSERT_TRUE(a->send_frame_and_wait(action_frame(chat.chat_id, cmid(), "reaction", 1, "")).ok());
  json::object reply{
      {"type", "send"}, {"chat_id", chat.chat_id}, {"client_msg_id", cmid()}, {"text", "see above"}, {"reply_to", 1}};
  ASSERT_TRUE(a->send_frame_and_wait(reply).ok());

  auto back = connect(bob, cursor);
  auto backlog = back->collect_backlog(kWait);
  ASSERT_TRUE(backlog);
  EXPECT_EQ(seqs_of(backlog->messages), range_seq(2, 5));
  ASSERT_EQ(backlog->messages.size(), 4u);
  EXPECT_EQ(str_field(backlog->messages[0], "kind"), "edit");
  EXPECT_EQ(str_field(backlog->messages[0], "text"), "first, edited");
  EXPECT_EQ(str_field(backlog->messages[1], "kind"), "reaction");
  EXPECT_EQ(str_field(backlog->messages[2], "text"), "");
  EXPECT_EQ(int_field(backlog->messages[3], "reply_to"), 1);
  EXPECT_FALSE(backlog->messages[3].contains("kind"));

  MessageInfo state = in_history(bob, chat.chat_id, 1);
  EXPECT_EQ(state.text, "first, edited");
  EXPECT_GT(state.edited_at, 0);
  EXPECT_TRUE(state.reactions.empty());
  EXPECT_EQ(in_history(bob, chat.chat_id, 5).reply_to, 1);
}

TEST_F(MessageActionsTest, OnlyTheSenderEditsAndDeletesAGroupAdminDeletesToo) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session cy = new_session("cy");
  ChatInfo g = ann.create_group("rules", {bob.user_id(), cy.user_id()});
  ChatInfo direct = bob.create_direct(cy.user_id());
  auto bw = connect(bob);
  ASSERT_TRUE(bw->send_and_wait(g.chat_id, cmid(), "bob's").ok());
  ASSERT_TRUE(bw->send_and_wait(direct.chat_id, cmid(), "bob to cy").ok());

  auto body = [](const std::string& kind, std::int64_t target, const std::optional<std::string>& text = std::nullopt) {
    json::object b{{"client_msg_id", cmid()}, {"kind", kind}, {"target_seq", target}};
    if (text) b["text"] = *text;
    return b;
  };
  EXPECT_API_ERROR(cy.send_body(g.chat_id, body("edit", 1, "cy's now")), 403, "forbidden");
  EXPECT_API_ERROR(cy.send_body(g.chat_id, body("delete", 1)), 403, "forbidden");
  EXPECT_API_ERROR(cy.send_body(direct.chat_id, body("delete", 1)), 403, "forbidden");
  // The group's admin deletes bob's message, but may not edit it.
  EXPECT_API_ERROR(ann.send_body(g.chat_id, body("edit", 1, "ann's now")), 403, "forbidden");
  auto deleted = ann.send_body(g.chat_id, body("delete", 1));
  EXPECT_EQ(deleted.seq, 2);
  EXPECT_TRUE(in_history(cy, g.chat_id, 1).deleted);
  // Nothing refused took a seq.
  EXPECT_EQ(bob.find_chat(g.chat_id)->last_seq, 2);
  EXPECT_EQ(bob.find_chat(direct.chat_id)->last_seq, 1);
}

TEST_F(MessageActionsTest, RefusedActionsAnswerTheirCodeAndChangeNothing) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo chat = ann.create_direct(bob.user_id());
  auto a = connect(ann);
  ASSERT_TRUE(a->send_and_wait(chat.chat_id, cmid(), "original").ok());
  ASSERT_TRUE(a->send_frame_and_wait(action_frame(chat.chat_id, cmid(), "reaction", 1, "🙂")).ok());

  auto refused = [&](const json::object& frame, const std::string& code) {
    auto out = a->send_frame_and_wait(frame);
    EXPECT_FALSE(out.ok()) << json::serialize(frame);
    EXPECT_EQ(out.error_code, code) << json::serialize(frame) << " -> " << json::serialize(out.frame);
  };
  const std::string c = chat.chat_id;
  refused(action_frame(c, cmid(), "edit", 9, "no such"), "not_found");
  refused(action_frame(c, cmid(), "edit", 2, "an action"), "invalid_request");
  refused(action_frame(c, cmid(), "edit", 0, "no target"), "invalid_request");
  refused(action_frame(c, cmid(), "edit", 1, ""), "empty_text");
  refused(action_frame(c, cmid(), "edit", 1, std::string(4097, 'x')), "text_too_long");
  refused(action_frame(c, cmid(), "shout", 1, "x"), "invalid_request");
  refused(action_frame(c, cmid(), "delete", 1, "with text"), "invalid_request");
  json::object reply_on_action{{"type", "send"}, {"chat_id", c},   {"client_msg_id", cmid()},
                               {"text", "re"},   {"kind", "edit"}, {"target_seq", 1},
                               {"reply_to", 1}};
  refused(reply_on_action, "invalid_request");
  json::object target_on_text{
      {"type", "send"}, {"chat_id", c}, {"client_msg_id", cmid()}, {"text", "t"}, {"target_seq", 1}};
  refused(target_on_text, "invalid_request");
  json::object negative{{"type", "send"}, {"chat_id", c}, {"client_msg_id", cmid()},
                        {"kind", "edit"}, {"text", "x"},  {"target_seq", -1}};
  refused(negative, "invalid_request");
  json::object bad_reply{{"type", "send"}, {"chat_id", c}, {"client_msg_id", cmid()}, {"text", "re"}, {"reply_to", 7}};
  refused(bad_reply, "not_found");
  bad_reply["client_msg_id"] = cmid();
  bad_reply["reply_to"] = 2;
  refused(bad_reply, "invalid_request");
  // Hostile reactions: not one emoji (invalid UTF-8 cannot be a WebSocket text frame: see REST below).
  for (const std::string& emoji : {std::string("a"), std::string("👍👍"), std::string(" "), std::string("👍 "),
                                   std::string("\x01"), std::string("\u200d"), std::string("\xef\xb8\x8f"),
                                   std::string("🇫"), std::string("1"), std::string("👍\u200d"), std::string(70, '#')}) {
    refused(action_frame(c, cmid(), "reaction", 1, emoji), "invalid_request");
  }
  // Invalid UTF-8 inside a JSON string (a cut emoji), through REST's raw body.
  client::HttpRequest req;
  req.method = "POST";
  req.target = "/v1/chats/" + c + "/messages";
  req.body = std::string(R"({"client_msg_id":"bad-utf8","kind":"reaction","target_seq":1,"text":")") + "\xf0\x9f\x91" +
             R"("})";
  req.bearer_token = ann.token();
  EXPECT_TRUE(is_error(ann.http().send(req), 400, "invalid_request"));

  ASSERT_TRUE(a->send_frame_and_wait(action_frame(c, cmid(), "delete", 1)).ok());
  refused(action_frame(c, cmid(), "edit", 1, "too late"), "not_found");
  refused(action_frame(c, cmid(), "delete", 1), "not_found");
  refused(action_frame(c, cmid(), "reaction", 1, "👍"), "not_found");
  json::object late_reply{{"type", "send"}, {"chat_id", c}, {"client_msg_id", cmid()}, {"text", "re"}, {"reply_to", 1}};
  refused(late_reply, "not_found");
  EXPECT_EQ(ann.find_chat(c)->last_seq, 3);
  // A flag emoji, a keycap and a ZWJ family are one emoji each.
  ASSERT_TRUE(a->send_and_wait(c, cmid(), "again").ok());
  for (const char* emoji : {"🇫🇷", "1️⃣", "👨‍👩‍👧‍👦", "❤️", "🏳️‍🌈"}) {
    auto out = a->send_frame_and_wait(action_frame(c, cmid(), "reaction", 4, emoji));
    EXPECT_TRUE(out.ok()) << emoji << ": " << json::serialize(out.frame);
  }
}

TEST_F(MessageActionsTest, ARemovedMemberCannotActAnyMore) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo g = ann.create_group("removal", {bob.user_id()});
  auto bw = connect(bob);
  ASSERT_TRUE(bw->send_and_wait(g.chat_id, cmid(), "mine").ok());
  ann.remove_member(g.chat_id, bob.user_id());
  for (const auto& frame :
       {action_frame(g.chat_id, cmid(), "edit", 1, "changed"), action_frame(g.chat_id, cmid(), "delete", 1),
        action_frame(g.chat_id, cmid(), "reaction", 1, "👍")}) {
    auto out = bw->send_frame_and_wait(frame);
    EXPECT_EQ(out.error_code, "forbidden") << json::serialize(out.frame);
  }
  EXPECT_EQ(in_history(ann, g.chat_id, 1).text, "mine");
  // The removal's timeline line is written just after the removal: wait for
  // it. The refused actions took no seq, so nothing comes after it.
  std::int64_t last_seq = 0;
  EXPECT_TRUE(eventually(
      [&] {
        last_seq = ann.find_chat(g.chat_id)->last_seq;
        return last_seq >= 2;
      },
      kWait));
  EXPECT_EQ(last_seq, 2) << "the message and the line that removed bob: no action";
  EXPECT_EQ(in_history(ann, g.chat_id, 2).kind, "event");
}

TEST_F(MessageActionsTest, AResentActionIsAppliedAndDeliveredOnce) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo chat = ann.create_direct(bob.user_id());
  auto a = connect(ann);
  auto b = connect(bob);
  ASSERT_TRUE(a->send_and_wait(chat.chat_id, cmid(), "x").ok());
  const auto frame = action_frame(chat.chat_id, cmid(), "reaction", 1, "👍");
  auto first = a->send_frame_and_wait(frame);
  auto again = a->send_frame_and_wait(frame);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first.ack->seq, again.ack->seq);
  ASSERT_TRUE(a->send_and_wait(chat.chat_id, cmid(), "y").ok());
  std::vector<json::object> got;
  for (int i = 0; i < 3; ++i) {
    auto m = b->next_message(kWait, chat.chat_id);
    ASSERT_TRUE(m);
    got.push_back(*m);
  }
  EXPECT_EQ(seqs_of(got), range_seq(1, 3));
}

class MessageActionPushTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--push-retry-initial-ms", "200", "--push-allow-hosts", "127.0.0.1"});
    return f;
  }
};

// Edits, reactions and deletions push nothing: once the push of a later
// message arrives, every push counted covers only the two text messages.
TEST_F(MessageActionPushTest, ActionsAreNotPushed) {
  PushReceiver receiver;
  receiver.start();
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  bob.set_push(receiver.url("/hook/bob"));
  ChatInfo chat = ann.create_direct(bob.user_id());
  auto first = ann.send(chat.chat_id, cmid(), "one");
  ASSERT_TRUE(receiver.wait_for([&](const json::object& o) { return int_field(o, "seq") == first.seq; }));
  ann.send_body(chat.chat_id, {{"client_msg_id", cmid()}, {"kind", "edit"}, {"target_seq", 1}, {"text", "uno"}});
  ann.send_body(chat.chat_id, {{"client_msg_id", cmid()}, {"kind", "reaction"}, {"target_seq", 1}, {"text", "👍"}});
  ann.send_body(chat.chat_id, {{"client_msg_id", cmid()}, {"kind", "delete"}, {"target_seq", 1}});
  auto last = ann.send(chat.chat_id, cmid(), "two");
  auto post = receiver.wait_for([&](const json::object& o) { return int_field(o, "seq") == last.seq; });
  ASSERT_TRUE(post) << "no push for the last message";
  EXPECT_EQ(str_field(*post, "preview"), "two");
  std::int64_t counted = 0;
  for (const auto& o : receiver.accepted()) counted += int_field(o, "count");
  EXPECT_EQ(counted, 2);
}

}  // namespace
}  // namespace parley::testing
