// Read receipts (read_seq never goes backwards) and typing indicators.
#include "fixture.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

class ReceiptsTypingTest : public ParleyTest {};

std::optional<json::object> receipt(WsConnection& ws, const std::string& chat_id, const std::string& user_id,
                                    std::int64_t read_seq) {
  return ws.next_matching(
      [&](const json::object& o) {
        return str_field(o, "type") == "receipt" && str_field(o, "chat_id") == chat_id &&
               str_field(o, "user_id") == user_id && int_field(o, "read_seq") == read_seq;
      },
      kWait);
}

void send_read(WsConnection& ws, const std::string& chat_id, std::int64_t seq) {
  ws.send(json::object{{"type", "read"}, {"chat_id", chat_id}, {"seq", seq}});
}

TEST_F(ReceiptsTypingTest, ReadReceiptsReachMembersAndOwnOtherDevices) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session bob2 = another_device(bob, "bob-laptop");
  Session carol = new_session("carol");
  ChatInfo g = alice.create_group("g", {bob.user_id(), carol.user_id()});
  for (int i = 0; i < 5; ++i) alice.send(g.chat_id, cmid(), "m");
  auto a = connect(alice);
  auto b1 = connect(bob);
  auto b2 = connect(bob2);
  auto c = connect(carol);

  send_read(*b1, g.chat_id, 3);
  EXPECT_TRUE(receipt(*a, g.chat_id, bob.user_id(), 3)) << "other member not told";
  EXPECT_TRUE(receipt(*c, g.chat_id, bob.user_id(), 3)) << "other member not told";
  EXPECT_TRUE(receipt(*b2, g.chat_id, bob.user_id(), 3)) << "reader's other device not told";
  EXPECT_TRUE(eventually([&] { return bob.find_chat(g.chat_id)->read_seq == 3; }, kWait));
  EXPECT_EQ(carol.find_chat(g.chat_id)->read_seq, 0) << "read_seq is per user";
  EXPECT_EQ(alice.find_chat(g.chat_id)->read_seq, 5) << "a sender has read what it sent";

  // Going backwards changes nothing.
  send_read(*b1, g.chat_id, 2);
  send_read(*b1, g.chat_id, 5);
  EXPECT_TRUE(receipt(*a, g.chat_id, bob.user_id(), 5));
  EXPECT_EQ(bob.find_chat(g.chat_id)->read_seq, 5);
  for (const auto& f : a->history()) {
    if (client::frame_type(f) != "receipt") continue;
    EXPECT_NE(int_field(f.as_object(), "read_seq"), 2) << "a receipt went backwards: " << json::serialize(f);
  }
  send_read(*b2, g.chat_id, 4);
  // Barrier: a later receipt of carol's; bob's read_seq must still be 5.
  send_read(*c, g.chat_id, 1);
  EXPECT_TRUE(receipt(*a, g.chat_id, carol.user_id(), 1));
  EXPECT_EQ(bob.find_chat(g.chat_id)->read_seq, 5);
  EXPECT_EQ(bob2.find_chat(g.chat_id)->read_seq, 5);
}

TEST_F(ReceiptsTypingTest, ReadMarkerSurvivesRestart) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = accepted_direct(alice, bob);
  for (int i = 0; i < 3; ++i) alice.send(chat.chat_id, cmid(), "m");
  auto a = connect(alice);
  auto b = connect(bob);
  send_read(*b, chat.chat_id, 2);
  ASSERT_TRUE(receipt(*a, chat.chat_id, bob.user_id(), 2));
  a.reset();
  b.reset();
  EXPECT_EQ(terminate_servers(), 0);
  start_servers();
  EXPECT_EQ(resume(bob).find_chat(chat.chat_id)->read_seq, 2);
}

TEST_F(ReceiptsTypingTest, BadReads) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session eve = new_session("eve");
  ChatInfo chat = accepted_direct(alice, bob);
  alice.send(chat.chat_id, cmid(), "m");
  auto e = connect(eve);
  auto b = connect(bob);
  expect_bad_position_reports_refused(*b, *e, "read", chat.chat_id);
  EXPECT_EQ(bob.find_chat(chat.chat_id)->read_seq, 0);
}

TEST_F(ReceiptsTypingTest, TypingReachesOtherOnlineMembers) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  ChatInfo g = alice.create_group("g", {bob.user_id(), carol.user_id()});
  auto a = connect(alice);
  auto b = connect(bob);
  auto c = connect(carol);
  b->send(json::object{{"type", "typing"}, {"chat_id", g.chat_id}});
  for (WsConnection* ws : {a.get(), c.get()}) {
    auto t = ws->next_of_type("typing", kWait);
    ASSERT_TRUE(t) << "member got no typing frame";
    EXPECT_EQ(str_field(*t, "chat_id"), g.chat_id);
    EXPECT_EQ(str_field(*t, "user_id"), bob.user_id());
  }
}

TEST_F(ReceiptsTypingTest, TypingInAChatYouAreNotInIsForbidden) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session eve = new_session("eve");
  ChatInfo chat = accepted_direct(alice, bob);
  auto e = connect(eve);
  e->send(json::object{{"type", "typing"}, {"chat_id", chat.chat_id}});
  expect_error_frame(*e, "forbidden");
  e->send(json::object{{"type", "typing"}, {"chat_id", "no-such-chat"}});
  expect_error_frame(*e, "not_found");
  e->send(json::object{{"type", "typing"}});
  expect_error_frame(*e, "invalid_request");
  EXPECT_TRUE(e->is_open());
}

}  // namespace
}  // namespace parley::testing
