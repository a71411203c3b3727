// Live messaging: ack then delivery to every device of every member, group
// fanout, idempotent resend, gap-free seq under concurrent senders, and a
// removed member receiving nothing more.
#include <algorithm>
#include <set>

#include "fixture.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

class MessagingTest : public ParleyTest {};

// Every `message` frame of one chat currently received on `ws` (popped).
std::vector<json::object> drain_messages(WsConnection& ws, const std::string& chat_id, std::size_t expected) {
  std::vector<json::object> out;
  while (out.size() < expected) {
    auto m = ws.next_message(kWait, chat_id);
    if (!m) break;
    out.push_back(std::move(*m));
  }
  return out;
}

TEST_F(MessagingTest, AckThenMessageToEveryDeviceOfEveryMember) {
  Session alice = new_session("alice");
  Session alice2 = another_device(alice);
  Session bob = new_session("bob");
  Session bob2 = another_device(bob);
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto a1 = connect(alice);
  auto a2 = connect(alice2);
  auto b1 = connect(bob);
  auto b2 = connect(bob2);

  const std::string id = cmid();
  auto sent = a1->send_and_wait(chat.chat_id, id, "hello bob");
  ASSERT_TRUE(sent.ok()) << json::serialize(sent.frame);
  EXPECT_EQ(sent.ack->seq, 1);
  EXPECT_GT(sent.ack->ts, 0);
  EXPECT_EQ(sent.ack->chat_id, chat.chat_id);

  for (WsConnection* ws : {a1.get(), a2.get(), b1.get(), b2.get()}) {
    auto m = ws->next_message(kWait, chat.chat_id);
    ASSERT_TRUE(m.has_value()) << "a device got no message frame";
    EXPECT_EQ(int_field(*m, "seq"), 1);
    EXPECT_EQ(str_field(*m, "sender_id"), alice.user_id());
    EXPECT_EQ(str_field(*m, "text"), "hello bob");
    EXPECT_EQ(str_field(*m, "client_msg_id"), id);
    EXPECT_EQ(int_field(*m, "ts"), sent.ack->ts);
    EXPECT_FALSE(str_field(*m, "cursor").empty());
  }
  // On the sending device the ack comes before the message.
  auto seen = a1->history();
  auto pos = [&](const std::string& type) {
    return std::find_if(seen.begin(), seen.end(), [&](const json::value& v) { return client::frame_type(v) == type; });
  };
  EXPECT_LT(pos("ack"), pos("message"));
  EXPECT_EQ(alice.find_chat(chat.chat_id)->last_seq, 1);
}

TEST_F(MessagingTest, RestSendIsDeliveredLikeAWebSocketSend) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto b = connect(bob);
  const std::string id = cmid();
  auto r = alice.send(chat.chat_id, id, "via rest");
  EXPECT_EQ(r.seq, 1);
  EXPECT_GT(r.ts, 0);
  auto m = b->next_message(kWait, chat.chat_id);
  ASSERT_TRUE(m);
  EXPECT_EQ(str_field(*m, "text"), "via rest");
  EXPECT_EQ(str_field(*m, "client_msg_id"), id);
  EXPECT_EQ(int_field(*m, "seq"), 1);
}

TEST_F(MessagingTest, GroupFanoutInSeqOrderExactlyOnce) {
  constexpr int kUsers = 4;
  constexpr int kPerUser = 5;
  std::vector<Session> users;
  for (int i = 0; i < kUsers; ++i) users.push_back(new_session("u" + std::to_string(i)));
  std::vector<std::string> ids;
  for (int i = 1; i < kUsers; ++i) ids.push_back(users[i].user_id());
  ChatInfo g = users[0].create_group("fanout", ids);
  std::vector<std::unique_ptr<WsConnection>> conns;
  for (auto& u : users) conns.push_back(connect(u));

  for (int round = 0; round < kPerUser; ++round) {
    for (int i = 0; i < kUsers; ++i) conns[i]->send_message(g.chat_id, cmid(), "hi");
  }
  const std::size_t total = kUsers * kPerUser;
  for (auto& ws : conns) {
    auto got = drain_messages(*ws, g.chat_id, total);
    EXPECT_EQ(seqs_of(got), range_seq(1, total));
  }
  EXPECT_EQ(users[0].find_chat(g.chat_id)->last_seq, static_cast<std::int64_t>(total));
}

TEST_F(MessagingTest, ResendWithSameClientMsgIdIsOneMessageOneDelivery) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto a = connect(alice);
  auto b = connect(bob);

  const std::string dup = cmid("dup");
  auto first = a->send_and_wait(chat.chat_id, dup, "once");
  auto second = a->send_and_wait(chat.chat_id, dup, "once");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first.ack->seq, second.ack->seq);
  // Over REST too.
  EXPECT_EQ(alice.send(chat.chat_id, dup, "once").seq, first.ack->seq);
  // A marker sent afterwards: deliveries are in seq order, so when it arrives
  // any duplicate delivery would have arrived before it.
  const std::string marker = cmid("marker");
  auto after = a->send_and_wait(chat.chat_id, marker, "after");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.ack->seq, first.ack->seq + 1);

  for (WsConnection* ws : {a.get(), b.get()}) {
    auto got = drain_messages(*ws, chat.chat_id, 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(str_field(got[0], "client_msg_id"), dup);
    EXPECT_EQ(str_field(got[1], "client_msg_id"), marker);
  }
  EXPECT_EQ(alice.history(chat.chat_id).size(), 2u);
}

TEST_F(MessagingTest, SameClientMsgIdFromAnotherUserIsAnotherMessage) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  EXPECT_EQ(alice.send(chat.chat_id, "same-id", "from alice").seq, 1);
  EXPECT_EQ(bob.send(chat.chat_id, "same-id", "from bob").seq, 2);
  // And the same id in another chat of the same user is another message.
  Session carol = new_session("carol");
  ChatInfo other = alice.create_direct(carol.user_id());
  EXPECT_EQ(alice.send(other.chat_id, "same-id", "to carol").seq, 1);
}

TEST_F(MessagingTest, ConcurrentSendersGetGapFreeSeq) {
  constexpr int kWsSenders = 4;
  constexpr int kRestSenders = 2;
  constexpr int kPerSender = 60;
  std::vector<Session> users;
  for (int i = 0; i < kWsSenders + kRestSenders; ++i) {
    users.push_back(new_session("s" + std::to_string(i)));
  }
  std::vector<std::string> ids;
  for (std::size_t i = 1; i < users.size(); ++i) ids.push_back(users[i].user_id());
  ChatInfo g = users[0].create_group("busy", ids);
  Session listener = another_device(users[0], "listener");
  auto listen_ws = connect(listener);

  std::vector<std::vector<std::int64_t>> acked(users.size());
  std::vector<std::thread> threads;
  for (int i = 0; i < kWsSenders; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto ws = connect(users[i]);
        std::vector<std::string> sent;
        for (int k = 0; k < kPerSender; ++k) {  // pipelined: no wait between sends
          sent.push_back(cmid("ws" + std::to_string(i)));
          ws->send_message(g.chat_id, sent.back(), "msg " + std::to_string(k));
        }
        for (const auto& id : sent) {
          auto ack = ws->next_matching(
              [&](const json::object& o) {
                return (str_field(o, "type") == "ack" && str_field(o, "client_msg_id") == id) ||
                       (str_field(o, "type") == "error" && str_field(o, "ref") == id);
              },
              kWait);
          if (ack && str_field(*ack, "type") == "ack") acked[i].push_back(int_field(*ack, "seq"));
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "ws sender " << i << ": " << e.what();
      }
    });
  }
  for (int i = kWsSenders; i < kWsSenders + kRestSenders; ++i) {
    threads.emplace_back([&, i] {
      try {
        for (int k = 0; k < kPerSender; ++k) {
          acked[i].push_back(users[i].send(g.chat_id, cmid("rest"), "rest " + std::to_string(k)).seq);
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "rest sender " << i << ": " << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();

  std::vector<std::int64_t> all;
  for (const auto& v : acked) {
    EXPECT_EQ(v.size(), static_cast<std::size_t>(kPerSender)) << "a sender lost acks";
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end())) << "one sender's seqs went backwards";
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  const std::int64_t n = (kWsSenders + kRestSenders) * kPerSender;
  EXPECT_EQ(all, range_seq(1, n)) << "seq must be 1..N with no gap and no reuse";

  auto live = drain_messages(*listen_ws, g.chat_id, n);
  EXPECT_EQ(seqs_of(live), range_seq(1, n)) << "live delivery not in seq order exactly once";
  std::vector<MessageInfo> stored;
  for (std::int64_t after = 0;;) {
    auto page = users[0].history(g.chat_id, {.after = after, .limit = 200});
    if (page.empty()) break;
    stored.insert(stored.end(), page.begin(), page.end());
    after = page.back().seq;
  }
  EXPECT_EQ(seqs_of(stored), range_seq(1, n));
  std::set<std::string> distinct;
  for (const auto& m : stored) distinct.insert(m.client_msg_id);
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(n));
}

TEST_F(MessagingTest, RemovedMemberGetsNothingMoreLiveOrFromHistory) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  ChatInfo g = alice.create_group("team", {bob.user_id(), carol.user_id()});
  ChatInfo direct = alice.create_direct(bob.user_id());
  auto b = connect(bob);
  auto a = connect(alice);
  ASSERT_TRUE(a->send_and_wait(g.chat_id, cmid(), "before removal").ok());
  ASSERT_TRUE(b->next_message(kWait, g.chat_id)) << "bob should get messages while a member";

  alice.remove_member(g.chat_id, bob.user_id());
  auto secret = a->send_and_wait(g.chat_id, cmid(), "after removal");
  ASSERT_TRUE(secret.ok());
  EXPECT_TRUE(carol.history(g.chat_id, {.limit = 1}).at(0).text == "after removal");
  // Barrier: a later message to bob in another chat. Once it arrives, any
  // delivery of `secret` to bob would have been produced before it.
  ASSERT_TRUE(a->send_and_wait(direct.chat_id, cmid(), "barrier").ok());
  ASSERT_TRUE(b->next_message(kWait, direct.chat_id)) << "barrier message not delivered";
  for (const auto& f : b->history()) {
    if (!f.is_object() || client::frame_type(f) != "message") continue;
    EXPECT_FALSE(str_field(f.as_object(), "chat_id") == g.chat_id && int_field(f.as_object(), "seq") >= secret.ack->seq)
        << "removed member received " << json::serialize(f);
  }

  // Bob reads the group up to his removal, never past it.
  for (const auto& page : {bob.history(g.chat_id), bob.history(g.chat_id, {.after = 0})}) {
    ASSERT_FALSE(page.empty());
    for (const auto& m : page) EXPECT_LT(m.seq, secret.ack->seq) << m.text;
  }
  EXPECT_API_ERROR(bob.send(g.chat_id, cmid(), "let me in"), 403, "forbidden");
  auto denied = b->send_and_wait(g.chat_id, cmid(), "let me in");
  EXPECT_EQ(denied.error_code, "forbidden");
  auto ended = bob.find_chat(g.chat_id);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->ended);
  EXPECT_LT(ended->last_seq, secret.ack->seq);
  EXPECT_EQ(alice.find_chat(g.chat_id)->last_seq, secret.ack->seq);
}

}  // namespace
}  // namespace parley::testing
