// Delivery receipts: a device reports what it received ("delivered"), the
// other members hear it as one "delivered" frame per chat, and
// GET /v1/chats/{id}/receipts shows every member's read and delivery
// positions ("read by 2 of 3") after a reload or a restart.
#include "fixture.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::ReceiptInfo;
using client::str_field;

class DeliveryReceiptsTest : public ParleyTest {};

void send_delivered(WsConnection& ws, const std::string& chat_id, const json::value& seq) {
  ws.send(json::object{{"type", "delivered"}, {"chat_id", chat_id}, {"seq", seq}});
}

// The next "delivered" frame of the chat naming `user_id` at `seq`.
bool heard_delivered(WsConnection& ws, const std::string& chat_id, const std::string& user_id, std::int64_t seq) {
  return ws
      .next_matching(
          [&](const json::object& o) {
            if (str_field(o, "type") != "delivered" || str_field(o, "chat_id") != chat_id) return false;
            const auto* list = o.if_contains("receipts");
            if (!list || !list->is_array()) return false;
            for (const auto& r : list->as_array()) {
              if (r.is_object() && str_field(r.as_object(), "user_id") == user_id &&
                  int_field(r.as_object(), "delivered_seq") == seq) {
                return true;
              }
            }
            return false;
          },
          kWait)
      .has_value();
}

std::optional<ReceiptInfo> receipt_of(Session& viewer, const std::string& chat_id, const std::string& user_id) {
  for (auto& r : viewer.receipts(chat_id)) {
    if (r.user_id == user_id) return r;
  }
  return std::nullopt;
}

TEST_F(DeliveryReceiptsTest, TheSenderHearsDeliveredThenRead) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = accepted_direct(alice, bob);
  auto a = connect(alice);
  auto b = connect(bob);
  alice.send(chat.chat_id, cmid(), "one");
  alice.send(chat.chat_id, cmid(), "two");
  ASSERT_TRUE(b->next_matching([](const json::object& o) { return int_field(o, "seq") == 2; }, kWait));

  send_delivered(*b, chat.chat_id, 2);
  EXPECT_TRUE(heard_delivered(*a, chat.chat_id, bob.user_id(), 2));
  auto seen = receipt_of(alice, chat.chat_id, bob.user_id());
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->delivered_seq, 2);
  EXPECT_EQ(seen->read_seq, 0);

  b->send(json::object{{"type", "read"}, {"chat_id", chat.chat_id}, {"seq", 1}});
  EXPECT_TRUE(eventually([&] { return receipt_of(alice, chat.chat_id, bob.user_id())->read_seq == 1; }, kWait));
  EXPECT_EQ(receipt_of(alice, chat.chat_id, bob.user_id())->delivered_seq, 2);
  // Bob's own view lists Alice, not himself.
  auto for_bob = bob.receipts(chat.chat_id);
  ASSERT_EQ(for_bob.size(), 1u);
  EXPECT_EQ(for_bob[0].user_id, alice.user_id());
  EXPECT_EQ(for_bob[0].read_seq, 2) << "a sender has read what it sent";
  EXPECT_EQ(for_bob[0].delivered_seq, 2) << "reading implies receiving";
}

TEST_F(DeliveryReceiptsTest, AGroupShowsHowManyHaveReceivedAndReadAfterARestart) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  ChatInfo g = alice.create_group("g", {bob.user_id(), carol.user_id()});
  const std::int64_t seq = alice.send(g.chat_id, cmid(), "hello all").seq;
  {
    auto a = connect(alice);
    auto b = connect(bob);
    auto c = connect(carol);
    send_delivered(*b, g.chat_id, seq);
    send_delivered(*c, g.chat_id, seq);
    c->send(json::object{{"type", "read"}, {"chat_id", g.chat_id}, {"seq", seq}});
    EXPECT_TRUE(heard_delivered(*a, g.chat_id, bob.user_id(), seq));
    EXPECT_TRUE(eventually(
        [&] {
          auto r = receipt_of(alice, g.chat_id, carol.user_id());
          return r && r->delivered_seq == seq && r->read_seq == seq;
        },
        kWait));
  }
  ASSERT_TRUE(eventually([&] { return receipt_of(alice, g.chat_id, bob.user_id())->delivered_seq == seq; }, kWait));
  EXPECT_EQ(terminate_servers(), 0);
  start_servers();
  Session again = resume(alice);
  auto receipts = again.receipts(g.chat_id);
  ASSERT_EQ(receipts.size(), 2u);
  int delivered = 0;
  int read = 0;
  for (const auto& r : receipts) {
    delivered += r.delivered_seq >= seq ? 1 : 0;
    read += r.read_seq >= seq ? 1 : 0;
  }
  EXPECT_EQ(delivered, 2) << "delivered to 2 of 2";
  EXPECT_EQ(read, 1) << "read by 1 of 2";
}

TEST_F(DeliveryReceiptsTest, BadReportsAreRefusedAndChangeNothing) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session eve = new_session("eve");
  ChatInfo chat = accepted_direct(alice, bob);
  alice.send(chat.chat_id, cmid(), "m");
  auto e = connect(eve);
  auto b = connect(bob);
  expect_bad_position_reports_refused(*b, *e, "delivered", chat.chat_id);
  EXPECT_EQ(receipt_of(alice, chat.chat_id, bob.user_id())->delivered_seq, 0);
  // A position past the end is the end: no device can have received more.
  send_delivered(*b, chat.chat_id, json::value(std::uint64_t{1} << 62));
  EXPECT_TRUE(eventually([&] { return receipt_of(alice, chat.chat_id, bob.user_id())->delivered_seq == 1; }, kWait));

  // Nobody else's receipts, whatever the spelling of the chat id.
  EXPECT_TRUE(is_error(eve.call("GET", "/v1/chats/" + chat.chat_id + "/receipts"), 403, "forbidden"));
  EXPECT_TRUE(is_error(eve.call("GET", "/v1/chats/no-such-chat/receipts"), 404, "not_found"));
  EXPECT_TRUE(is_error(eve.call("GET", "/v1/chats/..%2F" + chat.chat_id + "/receipts"), 404, "not_found"));
  EXPECT_TRUE(is_error(eve.call("GET", "/v1/chats/" + std::string(5000, 'c') + "/receipts"), 404, "not_found"));
  EXPECT_TRUE(is_error(server().http().request("GET", "/v1/chats/" + chat.chat_id + "/receipts"), 401, "unauthorized"));
}

TEST_F(DeliveryReceiptsTest, AMessageRequestShowsTheOpenerNoReceipts) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  alice.send(chat.chat_id, cmid(), "hi, it's alice");
  auto b = connect(bob);
  send_delivered(*b, chat.chat_id, 1);
  b->send(json::object{{"type", "read"}, {"chat_id", chat.chat_id}, {"seq", 1}});
  // Barrier: the read is handled after the delivered report, and both are
  // kept back from Alice while the request stands.
  EXPECT_TRUE(eventually([&] { return bob.find_chat(chat.chat_id)->read_seq == 1; }, kWait));
  EXPECT_TRUE(alice.receipts(chat.chat_id).empty());
  bob.accept(chat.chat_id);
  EXPECT_TRUE(eventually(
      [&] {
        auto r = receipt_of(alice, chat.chat_id, bob.user_id());
        return r && r->delivered_seq == 1 && r->read_seq == 1;
      },
      kWait));
}

}  // namespace
}  // namespace parley::testing
