// Muting a chat (no pushes for it, the member's own setting, seen by nobody
// else) and what a member added to a group sees: what is said from when they
// joined, in history, on resume, in the chat list and its unread count.
#include "fixture.h"
#include "push_receiver.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

class MuteTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--push-retry-initial-ms", "200", "--push-allow-hosts", "127.0.0.1"});
    return f;
  }
  HttpResponse mute(Session& s, const std::string& chat, const std::optional<json::value>& body) {
    return s.call("PUT", "/v1/chats/" + chat + "/mute", body);
  }
};

auto push_for(const std::string& device_id, const std::string& chat_id, std::int64_t seq) {
  return [=](const json::object& o) {
    return str_field(o, "device_id") == device_id && str_field(o, "chat_id") == chat_id && int_field(o, "seq") == seq;
  };
}

TEST_F(MuteTest, AMutedChatIsNotPushedUntilUnmuted) {
  PushReceiver receiver;
  receiver.start();
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  bob.set_push(receiver.url());
  ChatInfo dm = ann.create_direct(bob.user_id());
  ChatInfo group = ann.create_group("g", {bob.user_id()});

  ChatInfo muted = bob.mute(dm.chat_id);
  EXPECT_GT(muted.muted_until, 0);
  ann.send(dm.chat_id, cmid(), "muted");
  auto loud = ann.send(group.chat_id, cmid(), "not muted");
  auto post = receiver.wait_for(push_for(bob.device_id(), group.chat_id, loud.seq));
  ASSERT_TRUE(post) << "the other chat is still pushed";
  EXPECT_EQ(int_field(*post, "count"), 1);
  for (const auto& r : receiver.requests()) {
    EXPECT_NE(str_field(r.json, "chat_id"), dm.chat_id) << "a muted chat was pushed";
  }

  EXPECT_EQ(bob.unmute(dm.chat_id).muted_until, 0);
  auto after = ann.send(dm.chat_id, cmid(), "unmuted");
  ASSERT_TRUE(receiver.wait_for(push_for(bob.device_id(), dm.chat_id, after.seq))) << "pushed again once unmuted";
}

TEST_F(MuteTest, AMuteThatHasEndedPushesAgain) {
  PushReceiver receiver;
  receiver.start();
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  bob.set_push(receiver.url());
  ChatInfo dm = ann.create_direct(bob.user_id());
  auto r = mute(bob, dm.chat_id, json::value(json::object{{"until", 1000}}));  // 1970: over long ago
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.json.as_object().contains("muted_until")) << "no mute in force";
  auto sent = ann.send(dm.chat_id, cmid(), "hello");
  ASSERT_TRUE(receiver.wait_for(push_for(bob.device_id(), dm.chat_id, sent.seq)));
}

TEST_F(MuteTest, AMuteIsSeenByTheMembersOwnDevicesOnly) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session bob2 = another_device(bob);
  ChatInfo group = ann.create_group("g", {bob.user_id()});
  auto a = connect(ann);
  auto b2 = connect(bob2);
  const std::int64_t until = 4'102'444'800'000;  // 2100-01-01
  ChatInfo muted = bob.mute(group.chat_id, until);
  EXPECT_EQ(muted.muted_until, until);
  auto heard = b2->next_matching(
      [&](const json::object& o) { return str_field(o, "type") == "chat" && str_field(o, "event") == "muted"; });
  ASSERT_TRUE(heard) << "the member's other devices hear of it";
  const auto& chat = heard->at("chat").as_object();
  EXPECT_EQ(int_field(chat, "muted_until"), until);

  EXPECT_EQ(bob.find_chat(group.chat_id)->muted_until, until);
  EXPECT_EQ(ann.find_chat(group.chat_id)->muted_until, 0) << "nobody else sees it";
  EXPECT_FALSE(ann.find_chat(group.chat_id)->raw.contains("muted_until"));
  // Ann's devices hear nothing of it: the next frame she gets is Bob's message.
  bob.send(group.chat_id, cmid(), "after muting");
  ASSERT_TRUE(a->next_message(kWait, group.chat_id));
  for (const auto& frame : a->history()) {
    EXPECT_NE(str_field(frame.as_object(), "event"), "muted") << json::serialize(frame);
  }
  for (const auto& listed : bob.list_chats()) {
    if (listed.chat_id == group.chat_id) {
      EXPECT_EQ(listed.muted_until, until);
    }
  }
}

TEST_F(MuteTest, BadMutesAreRefusedAndChangeNothing) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session eve = new_session("eve");
  ChatInfo dm = ann.create_direct(bob.user_id());
  for (const json::value& body :
       {json::value(json::object{{"until", -1}}), json::value(json::object{{"until", "tomorrow"}}),
        json::value(json::object{{"until", 1.5}}), json::value(json::object{{"until", nullptr}}),
        json::value(json::object{{"until", 253'402'300'800'000}}), json::value(json::array{}), json::value(7)}) {
    EXPECT_TRUE(is_error(mute(bob, dm.chat_id, body), 400, "invalid_request")) << json::serialize(body);
  }
  EXPECT_TRUE(is_error(mute(eve, dm.chat_id, std::nullopt), 403, "forbidden"));
  EXPECT_TRUE(is_error(eve.call("DELETE", "/v1/chats/" + dm.chat_id + "/mute"), 403, "forbidden"));
  EXPECT_TRUE(is_error(mute(bob, "nope", std::nullopt), 404, "not_found"));
  EXPECT_TRUE(is_error(mute(bob, "..%2F..%2Fetc", std::nullopt), 404, "not_found"));
  EXPECT_EQ(bob.find_chat(dm.chat_id)->muted_until, 0);
  EXPECT_EQ(mute(bob, dm.chat_id, std::nullopt).status, 200) << "no body: until unmuted";
  EXPECT_EQ(bob.find_chat(dm.chat_id)->muted_until, 253'402'300'799'999);
}

class JoiningTest : public ParleyTest {};

TEST_F(JoiningTest, AMemberSeesWhatIsSaidFromWhenTheyJoined) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session cy = new_session("cy");
  // Cy's device has a cursor from before she is in the group.
  auto c = connect(cy);
  const std::string cursor = str_field(c->welcome(), "cursor");
  c->close();

  ChatInfo group = ann.create_group("g", {bob.user_id()});
  for (int i = 0; i < 3; ++i) ann.send(group.chat_id, cmid(), "before cy " + std::to_string(i));
  ann.add_member(group.chat_id, cy.user_id());
  auto after = ann.send(group.chat_id, cmid(), "after cy");

  // History: the line that added her, then what followed.
  auto history = cy.history(group.chat_id, {.after = 0, .limit = 50});
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].event->type, "member_added");
  EXPECT_EQ(history[1].text, "after cy");
  auto newest = cy.history(group.chat_id, {.limit = 50});
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_TRUE(cy.history(group.chat_id, {.before = history[0].seq, .limit = 50}).empty());
  EXPECT_EQ(bob.history(group.chat_id, {.after = 0, .limit = 50}).size(), 5u) << "others still see everything";

  // The chat list: one unread message, nothing from before.
  auto listed = cy.find_chat(group.chat_id);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->unread, 1);
  EXPECT_EQ(listed->read_seq, after.seq - 2) << "read up to when she joined";

  // Resuming from the old cursor replays only what is hers.
  auto back = connect(cy, cursor);
  auto backlog = back->collect_backlog(kWait);
  ASSERT_TRUE(backlog);
  std::vector<std::int64_t> seqs;
  for (const auto& m : backlog->messages) {
    if (str_field(m, "chat_id") == group.chat_id) seqs.push_back(int_field(m, "seq"));
  }
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{after.seq - 1, after.seq}));
}

TEST_F(JoiningTest, UnreadCountsOthersTextMessagesOnly) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo dm = ann.create_direct(bob.user_id());
  auto first = ann.send(dm.chat_id, cmid(), "one");
  ann.send(dm.chat_id, cmid(), "two");
  ann.send_body(dm.chat_id, {{"client_msg_id", cmid()}, {"kind", "edit"}, {"target_seq", first.seq}, {"text", "1"}});
  ann.send_body(dm.chat_id,
                {{"client_msg_id", cmid()}, {"kind", "reaction"}, {"target_seq", first.seq}, {"text", "👍"}});
  EXPECT_EQ(bob.find_chat(dm.chat_id)->unread, 2) << "two messages of Ann's; not her edit or reaction";
  EXPECT_EQ(ann.find_chat(dm.chat_id)->unread, 0) << "her own";
  bob.send(dm.chat_id, cmid(), "mine");
  EXPECT_EQ(bob.find_chat(dm.chat_id)->unread, 0) << "a send reads what came before it";
  EXPECT_EQ(ann.find_chat(dm.chat_id)->unread, 1);
}

}  // namespace
}  // namespace parley::testing
