// Push: a webhook POST for every registered device of a user with no
// connected device; retries while the receiver is down or failing; pending
// pushes survive a restart.
#include "fixture.h"
#include "push_receiver.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

class PushTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    // The receiver is on loopback, which webhooks may not reach by default.
    f.insert(f.end(), {"--push-retry-initial-ms", "200", "--push-allow-hosts", "127.0.0.1"});
    return f;
  }
};

auto push_for(const std::string& device_id, std::int64_t seq) {
  return [=](const json::object& o) { return str_field(o, "device_id") == device_id && int_field(o, "seq") == seq; };
}

TEST_F(PushTest, OfflineUserWithRegistrationGetsAPost) {
  PushReceiver receiver;
  receiver.start();
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  bob.set_push(receiver.url("/hook/bob"));
  ChatInfo chat = alice.create_direct(bob.user_id());
  std::string text;
  for (int i = 0; i < 15; ++i) text += "0123456789";  // 150 characters
  auto sent = alice.send(chat.chat_id, cmid(), text);

  auto post = receiver.wait_for(push_for(bob.device_id(), sent.seq));
  ASSERT_TRUE(post) << "no push POST received";
  EXPECT_EQ(str_field(*post, "user_id"), bob.user_id());
  EXPECT_EQ(str_field(*post, "device_id"), bob.device_id());
  EXPECT_EQ(str_field(*post, "chat_id"), chat.chat_id);
  EXPECT_EQ(str_field(*post, "sender_id"), alice.user_id());
  EXPECT_EQ(str_field(*post, "preview"), text.substr(0, 100));
  auto requests = receiver.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/hook/bob");
}

TEST_F(PushTest, PreviewCountsCharactersNotBytes) {
  PushReceiver receiver;
  receiver.start();
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  bob.set_push(receiver.url());
  ChatInfo chat = alice.create_direct(bob.user_id());
  std::string text;
  for (int i = 0; i < 120; ++i) text += "\xC3\xA9";  // "é" x 120
  auto sent = alice.send(chat.chat_id, cmid(), text);
  auto post = receiver.wait_for(push_for(bob.device_id(), sent.seq));
  ASSERT_TRUE(post);
  EXPECT_EQ(str_field(*post, "preview"), text.substr(0, 200)) << "100 characters, never a split character";
}

TEST_F(PushTest, EveryRegisteredDeviceGetsOne) {
  PushReceiver receiver;
  receiver.start();
  Session alice = new_session("alice");
  Session phone = new_session("bob");
  Session tablet = another_device(phone, "tablet");
  Session laptop = another_device(phone, "laptop");  // no registration
  phone.set_push(receiver.url("/phone"));
  tablet.set_push(receiver.url("/tablet"));
  ChatInfo chat = alice.create_direct(phone.user_id());
  auto sent = alice.send(chat.chat_id, cmid(), "ping");
  EXPECT_TRUE(receiver.wait_for(push_for(phone.device_id(), sent.seq)));
  EXPECT_TRUE(receiver.wait_for(push_for(tablet.device_id(), sent.seq)));
  EXPECT_TRUE(receiver.accepted(push_for(laptop.device_id(), sent.seq)).empty());
}

TEST_F(PushTest, NoPushWhileADeviceIsConnected) {
  PushReceiver receiver;
  receiver.start();
  Session alice = new_session("alice");
  Session phone = new_session("bob");
  Session laptop = another_device(phone, "laptop");
  phone.set_push(receiver.url());
  ChatInfo chat = alice.create_direct(phone.user_id());
  auto a = connect(alice);
  std::int64_t while_online = 0;
  {
    auto l = connect(laptop);
    auto sent = a->send_and_wait(chat.chat_id, cmid(), "laptop is online");
    ASSERT_TRUE(sent.ok());
    while_online = sent.ack->seq;
    ASSERT_TRUE(l->next_message(kWait, chat.chat_id));
    l->close();
  }
  // The laptop's socket is gone now; the next message is pushed. The
  // connection must be seen closed by the server first: poll by sending.
  std::int64_t pushed_seq = 0;
  ASSERT_TRUE(eventually(
      [&] {
        auto sent = a->send_and_wait(chat.chat_id, cmid(), "laptop is offline");
        pushed_seq = sent.ack ? sent.ack->seq : 0;
        return receiver.wait_for(push_for(phone.device_id(), pushed_seq), Ms(2000)).has_value();
      },
      Ms(20000)));
  EXPECT_TRUE(receiver.accepted(push_for(phone.device_id(), while_online)).empty())
      << "pushed although a device was connected";
}

TEST_F(PushTest, DeletedRegistrationGetsNoMorePushes) {
  PushReceiver receiver;
  receiver.start();
  Session alice = new_session("alice");
  Session phone = new_session("bob");
  Session tablet = another_device(phone, "tablet");
  phone.set_push(receiver.url("/phone"));
  tablet.set_push(receiver.url("/tablet"));
  phone.delete_push();
  ChatInfo chat = alice.create_direct(phone.user_id());
  auto sent = alice.send(chat.chat_id, cmid(), "ping");
  // Barrier: the tablet's push of the same message.
  ASSERT_TRUE(receiver.wait_for(push_for(tablet.device_id(), sent.seq)));
  EXPECT_TRUE(receiver.accepted(push_for(phone.device_id(), sent.seq)).empty());
}

TEST_F(PushTest, BadRegistrationsAreRejected) {
  Session bob = new_session("bob");
  auto r = bob.call("PUT", "/v1/devices/current/push", json::object{{"provider", "webhook"}});
  EXPECT_TRUE(is_error(r, 400, "invalid_request"));
  r = bob.call("PUT", "/v1/devices/current/push", json::object{{"provider", "carrier-pigeon"}, {"url", "http://x/"}});
  EXPECT_TRUE(is_error(r, 400, "invalid_request"));
  r = bob.call("PUT", "/v1/devices/current/push", json::object{{"provider", "webhook"}, {"url", "not a url"}});
  EXPECT_TRUE(is_error(r, 400, "invalid_request"));
  r = server().http().put("/v1/devices/current/push", json::object{{"provider", "webhook"}, {"url", "http://x/"}});
  EXPECT_TRUE(is_error(r, 401, "unauthorized"));
}

TEST_F(PushTest, RetriedWhileTheReceiverIsDown) {
  PushReceiver receiver;  // port reserved, not listening: connections refused
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  bob.set_push(receiver.url());
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto sent = alice.send(chat.chat_id, cmid(), "are you there?");
  receiver.start();
  auto post = receiver.wait_for(push_for(bob.device_id(), sent.seq), Ms(30000));
  ASSERT_TRUE(post) << "push not retried after the receiver came up";
  EXPECT_EQ(str_field(*post, "preview"), "are you there?");
}

TEST_F(PushTest, RetriedAfterServerErrors) {
  PushReceiver receiver;
  receiver.fail_next(3, 503);
  receiver.start();
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  bob.set_push(receiver.url());
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto sent = alice.send(chat.chat_id, cmid(), "retry me");
  auto post = receiver.wait_for(push_for(bob.device_id(), sent.seq), Ms(30000));
  ASSERT_TRUE(post) << "push not retried after 5xx answers";
  std::size_t attempts = 0;
  for (const auto& r : receiver.requests()) attempts += int_field(r.json, "seq") == sent.seq ? 1 : 0;
  EXPECT_EQ(attempts, 4u) << "3 failures then one success; no retry after success";
}

TEST_F(PushTest, PendingPushSurvivesRestart) {
  PushReceiver receiver;  // down
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  bob.set_push(receiver.url());
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto sent = alice.send(chat.chat_id, cmid(), "survive");
  EXPECT_EQ(terminate_servers(), 0);
  receiver.start();
  EXPECT_TRUE(receiver.requests().empty());
  start_servers();
  auto post = receiver.wait_for(push_for(bob.device_id(), sent.seq), Ms(30000));
  ASSERT_TRUE(post) << "pending push lost across a restart";
  EXPECT_EQ(str_field(*post, "preview"), "survive");
}

TEST_F(PushTest, PendingPushSurvivesKillNine) {
  PushReceiver receiver;  // down
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  bob.set_push(receiver.url());
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto sent = alice.send(chat.chat_id, cmid(), "survive a crash");
  kill_servers();
  receiver.start();
  start_servers();
  auto post = receiver.wait_for(push_for(bob.device_id(), sent.seq), Ms(30000));
  ASSERT_TRUE(post) << "push of an acked message lost by kill -9";
}

// A long coalescing window, so that a burst of sends falls inside one window.
class PushCoalescingTest : public PushTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = PushTest::server_flags();
    f.insert(f.end(), {"--push-coalesce-ms", "2000"});
    return f;
  }
};

TEST_F(PushCoalescingTest, GroupMessagesToManyOfflineMembersPushEachOnceCoalesced) {
  PushReceiver receiver;
  receiver.start();
  Session alice = new_session("alice");
  alice.set_push(receiver.url("/alice"));  // the sender: never pushed her own messages
  constexpr int kMembers = 40;
  std::vector<Session> members;
  std::vector<std::string> ids;
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(new_session("member" + std::to_string(i)));
    members.back().set_push(receiver.url("/m" + std::to_string(i)));
    ids.push_back(members.back().user_id());
  }
  ChatInfo group = alice.create_group("everyone", ids);
  auto a = connect(alice);

  // One message: one push per member.
  auto first = a->send_and_wait(group.chat_id, cmid(), "hello everyone");
  ASSERT_TRUE(first.ok());
  for (const auto& m : members) {
    ASSERT_TRUE(receiver.wait_for(push_for(m.device_id(), first.ack->seq))) << "no push for " << m.user_id();
  }

  // A burst: every send is acked before any push for it is even planned
  // (the acks never wait for push work), and each member gets ONE push
  // standing for the whole burst.
  constexpr int kBurst = 5;
  std::int64_t last_seq = 0;
  for (int i = 0; i < kBurst; ++i) {
    auto sent = a->send_and_wait(group.chat_id, cmid(), "burst " + std::to_string(i));
    ASSERT_TRUE(sent.ok());
    last_seq = sent.ack->seq;
  }
  auto after_first = [&](const json::object& o) { return int_field(o, "seq") > first.ack->seq; };
  EXPECT_TRUE(receiver.accepted(after_first).empty()) << "a push was sent before the burst's acks";
  for (const auto& m : members) {
    ASSERT_TRUE(receiver.wait_for(push_for(m.device_id(), last_seq))) << "no push for " << m.user_id();
  }
  for (const auto& m : members) {
    auto pushes = receiver.accepted([&](const json::object& o) {
      return str_field(o, "device_id") == m.device_id() && int_field(o, "seq") > first.ack->seq;
    });
    ASSERT_EQ(pushes.size(), 1u) << m.user_id() << " got the burst in several pushes";
    EXPECT_EQ(int_field(pushes[0], "count"), kBurst);
    EXPECT_EQ(str_field(pushes[0], "preview"), "burst " + std::to_string(kBurst - 1));
    auto all = receiver.accepted([&](const json::object& o) { return str_field(o, "device_id") == m.device_id(); });
    EXPECT_EQ(all.size(), 2u) << m.user_id() << ": pushed twice for one message";
  }
  EXPECT_TRUE(
      receiver.accepted([&](const json::object& o) { return str_field(o, "user_id") == alice.user_id(); }).empty());
}

}  // namespace
}  // namespace parley::testing
