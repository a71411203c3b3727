// WsSession's frames that may wait for the store or Redis run off the
// connection's strand: a real Server with one I/O thread over a Core on the
// fakes, a presence registry whose status() answers can be held (as a slow
// Redis would), and the client library's WebSocket.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <thread>

#include "bus/local/local_event_bus.h"
#include "core/core.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_credentials.h"
#include "fakes/fake_presence_registry.h"
#include "fakes/faulty_store.h"
#include "fakes/memory_store.h"
#include "fakes/recording_push_sender.h"
#include "held_call.h"
#include "lib/ws_connection.h"
#include "net/server.h"
#include "poll_until.h"
#include "protocol/frames.h"

namespace parley::testing {
namespace {

using client::WsConnection;
using std::chrono::seconds;

class WsLanesTest : public ::testing::Test {
 protected:
  WsLanesTest() {
    config.presence_sweep_ms = 0;
    config.push_coalesce_ms = 0;
    open_core();
    ann = make_user("ann");
    bob = make_user("bob");
    auto opened = core->chats.open_direct(ann, bob);
    EXPECT_TRUE(opened.ok());
    if (opened.ok()) chat = opened->chat->id;
    // Accepted: each may see the other's presence.
    EXPECT_TRUE(core->chats.accept(bob, chat).ok());
  }
  ~WsLanesTest() override {
    if (server) server->stop(std::chrono::milliseconds(0));
    if (io.joinable()) io.join();
    server.reset();
    if (core) core->stop();
  }

  // A new core over the same store: its chat cache starts empty.
  void open_core() {
    if (core) core->stop();
    core.reset();
    core = std::make_unique<Core>(
        config, CorePorts{faults, faults, faults, faults, credentials, clock, bus, push_sender, nullptr, &registry});
    core->start();
  }

  // One I/O thread: a strand that waited would stop every connection.
  void start_server() {
    ServerConfig server_config;
    server_config.host = "127.0.0.1";
    server_config.port = 0;
    server_config.threads = 1;
    server = std::make_unique<Server>(server_config, *core, bus);
    server->listen();
    io = std::thread([this] { server->run(); });
  }

  UserId make_user(const std::string& name) {
    auto id = core->accounts.signup(name + "@example.org", "password-" + name, name);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : UserId{};
  }

  std::unique_ptr<WsConnection> connect(const std::string& name) {
    auto login = core->accounts.login(name + "@example.org", "password-" + name, "test");
    EXPECT_TRUE(login.ok());
    devices[name] = login.ok() ? login->device_id : DeviceId{};
    auto ws = WsConnection::connect("127.0.0.1", server->port());
    ws->hello(login.ok() ? login->token : "");
    return ws;
  }

  // The server started, ann connected and her presence_subscribe to bob
  // sent, its status() answer now held by `held`; nullptr when it never got there.
  std::unique_ptr<WsConnection> ann_subscribing_to_bob(HoldFirstCall& held) {
    start_server();
    auto ws = connect("ann");
    registry.set_on_status(held.hook());
    ws->send(boost::json::object{{"type", "presence_subscribe"}, {"user_ids", boost::json::array{bob}}});
    return held.wait_entered() ? std::move(ws) : nullptr;
  }

  CoreConfig config;
  MemoryStore store;
  FaultyStore faults{store};
  FakeCredentials credentials;
  FakeClock clock;
  LocalEventBus bus;
  RecordingPushSender push_sender;
  FakePresenceRegistry registry{config.presence_timeout_ms};
  std::unique_ptr<Core> core;
  std::unique_ptr<Server> server;
  std::thread io;
  UserId ann, bob;
  ChatId chat;
  std::map<std::string, DeviceId> devices;
};

TEST_F(WsLanesTest, ASubscriptionWaitingForItsAnswerHoldsNoOtherFrameBack) {
  HoldFirstCall held;
  auto ws = ann_subscribing_to_bob(held);
  ASSERT_TRUE(ws);

  // The same connection's sends and typing are answered meanwhile...
  auto sent = ws->send_and_wait(chat, "m1", "while presence waits", client::Ms(5000));
  EXPECT_TRUE(sent.ok()) << sent.error_code;
  ws->send(boost::json::object{{"type", "typing"}, {"chat_id", "no-such-chat"}});
  auto typing_error = ws->next_of_type("error");
  ASSERT_TRUE(typing_error);
  EXPECT_EQ(client::str_field(*typing_error, "code"), "not_found");
  // ...and so are other connections on the only I/O thread.
  auto other = connect("bob");
  EXPECT_EQ(client::str_field(other->welcome(), "type"), "welcome");
  EXPECT_TRUE(held.holding()) << "answered only after the subscription was";

  held.release();
  auto answer = ws->next_of_type("presence");
  ASSERT_TRUE(answer);
  EXPECT_EQ(client::str_field(*answer, "user_id"), bob);
  EXPECT_TRUE(held.released_in_time());
}

TEST_F(WsLanesTest, AChangeArrivingWhileASubscriptionIsAnsweredComesAfterTheAnswer) {
  HoldFirstCall held;
  auto ws = ann_subscribing_to_bob(held);
  ASSERT_TRUE(ws);  // the answer is read: bob is offline

  // Bob comes online; ann, his contact, is told at once.
  core->presence.heartbeat(AuthContext{bob, "bobs-phone"});
  // The ack is posted to the connection after the change: once it arrived,
  // the change has been handled by the connection too.
  ASSERT_TRUE(ws->send_and_wait(chat, "m1", "after the change", client::Ms(5000)).ok());
  held.release();

  auto first = ws->next_of_type("presence");
  auto second = ws->next_of_type("presence");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(client::str_field(*first, "status"), "offline") << "the answer comes first";
  EXPECT_EQ(client::str_field(*second, "status"), "online") << "the last word is the current state";
}

TEST_F(WsLanesTest, ASubscriptionAnsweredAfterItsConnectionClosedIsDroppedToo) {
  HoldFirstCall held;
  auto ws = ann_subscribing_to_bob(held);
  ASSERT_TRUE(ws);
  EXPECT_EQ(registry.watches(bob), 1);
  ws->close();
  ASSERT_TRUE(poll_until([&] { return bus.connection_count() == 0; }, seconds(10), std::chrono::milliseconds(2)));

  held.release();
  EXPECT_TRUE(poll_until([&] { return registry.watches(bob) == 0; }, seconds(10), std::chrono::milliseconds(2)))
      << "the subscription outlived its connection";
}

TEST_F(WsLanesTest, SendsKeepTheirOrderWhenTheFirstOneWaitsForItsChat) {
  // Not one of ann's chats, which her hello loads (her presence goes to her contacts).
  auto carol = make_user("carol");
  auto opened = core->chats.open_direct(bob, carol);
  ASSERT_TRUE(opened.ok());
  const ChatId cold = opened->chat->id;
  open_core();  // nothing cached
  ASSERT_TRUE(core->chats.find(chat).ok());
  ASSERT_NE(core->chats.cached(chat), nullptr);
  ASSERT_EQ(core->chats.cached(cold), nullptr);
  start_server();
  auto ws = connect("ann");

  HoldFirstCall held;
  faults.set_hook(StoreMethod::find_chat, held.hook());
  ws->send_message(cold, "first", "needs its chat read, to be refused");
  ASSERT_TRUE(held.wait_entered());
  ws->send_message(chat, "second", "cached chat");
  // Handled on the strand at once: the send before it has been taken too.
  ws->send(boost::json::object{{"type", "no-such-frame"}});
  ASSERT_TRUE(ws->next_of_type("error"));
  held.release();

  auto answer = [](const boost::json::object& o) {
    auto type = client::str_field(o, "type");
    return type == "ack" || type == "error";
  };
  auto first = ws->next_matching(answer);
  auto second = ws->next_matching(answer);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(client::str_field(*first, "type"), "error");
  EXPECT_EQ(client::str_field(*first, "code"), "forbidden");
  EXPECT_EQ(client::str_field(*first, "ref"), "first");
  EXPECT_EQ(client::str_field(*second, "type"), "ack");
  EXPECT_EQ(client::str_field(*second, "client_msg_id"), "second");
  faults.set_hook(StoreMethod::find_chat, {});
}

// What the sessions hold back while a subscription is answered: presence
// frames however they were encoded, and nothing else.
TEST(PresenceFrameTest, OnlyPresenceFramesAreTakenForThem) {
  EXPECT_TRUE(protocol::is_presence_frame(protocol::encode_event(Event{PresenceEvent{"u1", true, 5}})));
  EXPECT_TRUE(protocol::is_presence_frame(R"({"user_id":"u1","status":"offline","type":"presence"})"));
  EXPECT_FALSE(protocol::is_presence_frame(protocol::encode_event(Event{TypingEvent{"c1", "u1"}})));
  EXPECT_FALSE(protocol::is_presence_frame(protocol::encode_event(Event{ReceiptEvent{"c1", "u1", 3}})));
  EXPECT_FALSE(protocol::is_presence_frame(R"({"type":"presence_subscribe","user_ids":["u1"]})"));
  EXPECT_FALSE(protocol::is_presence_frame(R"({"type":["presence"]})"));
  EXPECT_FALSE(protocol::is_presence_frame(R"({"status":"online"})"));
  EXPECT_FALSE(protocol::is_presence_frame(R"({"type":"presence")"));
  EXPECT_FALSE(protocol::is_presence_frame(""));
  EXPECT_FALSE(protocol::is_presence_frame("\xff\xfe"));
}

}  // namespace
}  // namespace parley::testing
