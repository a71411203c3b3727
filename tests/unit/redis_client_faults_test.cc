// RedisClient and RedisSubscriber against a fake server that sends garbage,
// oversized replies or nothing at all: every command still gets exactly one
// callback, the connection is reset and made again, nothing crashes.

#include <gtest/gtest.h>

#include "poll_until.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "redis/redis_client.h"
#include "redis/redis_subscriber.h"
#include "redis_fake_server.h"

namespace parley::redis {
namespace {

using namespace std::chrono_literals;
using testing::FakeRedisServer;

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = 20s) {
  return parley::testing::poll_until(pred, timeout, 5ms);
}

RedisConfig config_for(std::uint16_t port) {
  RedisConfig config;
  config.port = port;
  config.reconnect_delay_first = 10ms;
  config.reconnect_delay_max = 50ms;
  return config;
}

std::string silent(const std::string&) {
  return {};
}

// "+PONG" for every PING received; nothing for a partial command.
std::string pong_per_ping(const std::string& received) {
  std::string out;
  for (auto at = received.find("PING"); at != std::string::npos; at = received.find("PING", at + 4)) out += "+PONG\r\n";
  return out;
}

// "+OK" for every AUTH and SELECT, "+PONG" for every PING, in the order received.
std::string ok_to_auth_select_ping(const std::string& received) {
  std::vector<std::pair<std::size_t, std::string>> answers;
  for (const auto& [name, answer] : {std::pair<std::string, std::string>{"\r\nAUTH\r\n", "+OK\r\n"},
                                     {"\r\nSELECT\r\n", "+OK\r\n"},
                                     {"\r\nPING\r\n", "+PONG\r\n"}}) {
    for (auto at = received.find(name); at != std::string::npos; at = received.find(name, at + 1)) {
      answers.emplace_back(at, answer);
    }
  }
  std::sort(answers.begin(), answers.end());
  std::string out;
  for (const auto& a : answers) out += a.second;
  return out;
}

// The results of commands, by index; counts calls so a second one shows.
struct Outcomes {
  explicit Outcomes(std::size_t n) : calls(n), codes(n) {}
  RedisClient::Callback at(std::size_t i) {
    return [this, i](Result<RedisReply> r) {
      std::lock_guard lock(mutex);
      ++calls[i];
      codes[i] = r.ok() ? std::nullopt : std::optional<ErrorCode>(r.error().code);
      if (r.ok()) replies.push_back(*r);
      ++total;
    };
  }
  std::mutex mutex;
  std::vector<int> calls;
  std::vector<std::optional<ErrorCode>> codes;
  std::vector<RedisReply> replies;
  std::atomic<std::size_t> total{0};
};

TEST(RedisClientFaults, FailsFastWithUnavailableWhileNothingListens) {
  std::uint16_t port = 0;
  {
    FakeRedisServer gone(silent);
    port = gone.port();
  }
  RedisClient client(config_for(port));
  client.start();
  Outcomes out(1);
  client.command({"PING"}, out.at(0));
  ASSERT_TRUE(eventually([&] { return out.total == 1; }));
  EXPECT_EQ(out.codes[0], ErrorCode::unavailable);
  EXPECT_FALSE(client.connected());
}

TEST(RedisClientFaults, GarbageFailsTheCommandsAndTheConnectionIsMadeAgain) {
  FakeRedisServer server([](const std::string&) { return std::string("!this is not RESP\r\n"); });
  RedisClient client(config_for(server.port()));
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  Outcomes out(1);
  client.command({"PING"}, out.at(0));
  ASSERT_TRUE(eventually([&] { return out.total == 1; }));
  EXPECT_EQ(out.codes[0], ErrorCode::unavailable);
  ASSERT_TRUE(eventually([&] { return server.accepted() >= 2; })) << "the client did not reconnect";

  // Once the server makes sense again, so does the client.
  server.set_responder(pong_per_ping);
  ASSERT_TRUE(eventually([&] {
    Outcomes again(1);
    client.command({"PING"}, again.at(0));
    eventually([&] { return again.total == 1; });
    std::lock_guard lock(again.mutex);
    return again.total == 1 && !again.codes[0] && again.replies[0] == RedisReply::of_status("PONG");
  }));
}

TEST(RedisClientFaults, AReplyPastTheLimitResetsTheConnection) {
  FakeRedisServer server([](const std::string&) { return "$100000000\r\n" + std::string(std::size_t{3} << 20, 'x'); });
  RedisConfig config = config_for(server.port());
  config.max_reply_bytes = std::size_t{1} << 20;
  RedisClient client(config);
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  Outcomes out(1);
  client.command({"GET", "big"}, out.at(0));
  ASSERT_TRUE(eventually([&] { return out.total == 1; }));
  EXPECT_EQ(out.codes[0], ErrorCode::unavailable);
  EXPECT_TRUE(eventually([&] { return server.accepted() >= 2; }));
}

TEST(RedisClientFaults, AnUnansweredCommandTimesOutAndTheConnectionIsMadeAgain) {
  FakeRedisServer server(silent);
  RedisConfig config = config_for(server.port());
  config.command_timeout = 100ms;
  RedisClient client(config);
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  Outcomes out(3);
  for (std::size_t i = 0; i < 3; ++i) client.command({"GET", "k"}, out.at(i));
  ASSERT_TRUE(eventually([&] { return out.total == 3; }));
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(out.codes[i], ErrorCode::unavailable);
  EXPECT_TRUE(eventually([&] { return server.accepted() >= 2; }));
}

TEST(RedisClientFaults, CommandsPastTheBoundFailWithOverloaded) {
  FakeRedisServer server(silent);
  RedisConfig config = config_for(server.port());
  config.max_pending_commands = 5;
  config.command_timeout = 60s;
  RedisClient client(config);
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  Outcomes out(8);
  for (std::size_t i = 0; i < 8; ++i) client.command({"GET", "k"}, out.at(i));
  ASSERT_TRUE(eventually([&] { return out.total == 3; }));
  {
    std::lock_guard lock(out.mutex);
    for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(out.calls[i], 0) << i;
    for (std::size_t i = 5; i < 8; ++i) EXPECT_EQ(out.codes[i], ErrorCode::overloaded) << i;
  }
  client.stop();
  EXPECT_EQ(out.total, 8u);
}

TEST(RedisClientFaults, StopAnswersEveryCommandInFlightExactlyOnce) {
  FakeRedisServer server(silent);
  RedisConfig config = config_for(server.port());
  config.command_timeout = 60s;
  auto client = std::make_unique<RedisClient>(config);
  client->start();
  ASSERT_TRUE(eventually([&] { return client->connected(); }));
  constexpr std::size_t kPerThread = 2000;
  Outcomes out(2 * kPerThread + 1);
  std::vector<std::thread> senders;
  for (std::size_t t = 0; t < 2; ++t) {
    senders.emplace_back([&, t] {
      for (std::size_t i = 0; i < kPerThread; ++i)
        client->command({"SET", "k", std::to_string(i)}, out.at(t * kPerThread + i));
    });
  }
  for (auto& s : senders) s.join();
  ASSERT_TRUE(eventually([&] { return server.received_bytes() > 0; }));
  client->stop();
  EXPECT_EQ(out.total, 2 * kPerThread);
  // After stop the callback runs inline.
  client->command({"PING"}, out.at(2 * kPerThread));
  EXPECT_EQ(out.total, 2 * kPerThread + 1);
  client.reset();
  std::lock_guard lock(out.mutex);
  for (std::size_t i = 0; i < out.calls.size(); ++i) {
    ASSERT_EQ(out.calls[i], 1) << i;
    ASSERT_EQ(out.codes[i], ErrorCode::unavailable) << i;
  }
}

TEST(RedisClientFaults, RefusedAuthKeepsTheClientDownAndItRetries) {
  FakeRedisServer server([](const std::string& received) -> std::string {
    if (received.find("AUTH") == std::string::npos) return {};
    return "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
  });
  RedisConfig config = config_for(server.port());
  config.username = "parley";
  config.password = std::string("s3cret\0x", 8);
  RedisClient client(config);
  client.start();
  ASSERT_TRUE(eventually([&] { return server.accepted() >= 3; })) << "the client stopped trying";
  EXPECT_FALSE(client.connected());
  Outcomes out(1);
  client.command({"PING"}, out.at(0));
  ASSERT_TRUE(eventually([&] { return out.total == 1; }));
  EXPECT_EQ(out.codes[0], ErrorCode::unavailable);
  EXPECT_NE(server.received().find(format_command({"AUTH", "parley", config.password})), std::string::npos);
  EXPECT_EQ(server.received().find("PING"), std::string::npos) << "a command went out before AUTH was accepted";
}

TEST(RedisClientFaults, AuthAndSelectPrecedeEveryCommand) {
  FakeRedisServer server(ok_to_auth_select_ping);
  RedisConfig config = config_for(server.port());
  config.password = "pw";
  config.database = 3;
  RedisClient client(config);
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  Outcomes out(1);
  client.command({"PING"}, out.at(0));
  ASSERT_TRUE(eventually([&] { return out.total == 1; }));
  ASSERT_FALSE(out.codes[0].has_value());
  EXPECT_EQ(out.replies[0], RedisReply::of_status("PONG"));
  EXPECT_EQ(server.received(),
            format_command({"AUTH", "pw"}) + format_command({"SELECT", "3"}) + format_command({"PING"}));
}

TEST(RedisClientFaults, RefusesEmptyAndSubscribeModeCommands) {
  FakeRedisServer server(silent);
  RedisClient client(config_for(server.port()));
  client.start();
  Outcomes out(3);
  client.command({}, out.at(0));
  client.command({"subscribe", "c"}, out.at(1));
  client.command({"MONITOR"}, out.at(2));
  ASSERT_TRUE(eventually([&] { return out.total == 3; }));
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(out.codes[i], ErrorCode::invalid_request) << i;
}

std::size_t occurrences(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST(RedisSubscriberBatching, ChannelsGoOutManyPerCommandAndOncePerChannel) {
  FakeRedisServer server(silent);
  RedisConfig config = config_for(server.port());
  config.ping_interval = std::chrono::minutes(1);  // no PING (and no reset) from this silent server
  RedisSubscriber subscriber(config, nullptr, nullptr);
  // Before the connection: all in the first SUBSCRIBE commands, 1,000 channels each.
  for (int i = 0; i < 2500; ++i) subscriber.subscribe("c" + std::to_string(i));
  subscriber.subscribe("c0");  // a second reference sends nothing
  subscriber.start();
  const auto all_sent = [&] {
    const std::string received = server.received();
    for (int i = 0; i < 2500; ++i) {
      const std::string name = "c" + std::to_string(i);
      if (received.find("$" + std::to_string(name.size()) + "\r\n" + name + "\r\n") == std::string::npos) return false;
    }
    return true;
  };
  ASSERT_TRUE(eventually(all_sent));
  EXPECT_EQ(occurrences(server.received(), "SUBSCRIBE"), 3u);
  EXPECT_EQ(occurrences(server.received(), "$2\r\nc0\r\n"), 1u);

  // Only the last reference unsubscribes.
  subscriber.unsubscribe("c0");
  subscriber.subscribe("e-marker");
  ASSERT_TRUE(eventually([&] { return occurrences(server.received(), "e-marker") == 1; }));
  EXPECT_EQ(occurrences(server.received(), "UNSUBSCRIBE"), 0u);
  subscriber.unsubscribe("c0");
  ASSERT_TRUE(eventually([&] { return occurrences(server.received(), "UNSUBSCRIBE") == 1; }));
  subscriber.unsubscribe("c0");  // no reference left: nothing more
  subscriber.subscribe("f-marker");
  ASSERT_TRUE(eventually([&] { return occurrences(server.received(), "f-marker") == 1; }));
  EXPECT_EQ(occurrences(server.received(), "UNSUBSCRIBE"), 1u);
}

TEST(RedisSubscriberFaults, ARedisThatStopsAnsweringIsNoticedByPing) {
  // Confirms subscriptions, then never answers anything again.
  FakeRedisServer server([](const std::string& received) -> std::string {
    if (received.find("SUBSCRIBE") == std::string::npos) return {};
    return "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n";
  });
  RedisConfig config = config_for(server.port());
  config.ping_interval = 50ms;
  std::atomic<int> resubscribed{0};
  RedisSubscriber subscriber(config, nullptr, [&] { ++resubscribed; });
  subscriber.subscribe("c");
  subscriber.start();
  ASSERT_TRUE(eventually([&] { return resubscribed >= 1; }));
  EXPECT_TRUE(eventually([&] { return server.accepted() >= 2 && resubscribed >= 2; }))
      << "the unanswered PING did not reset the connection";
}

TEST(RedisSubscriberFaults, GarbageResetsTheConnectionAndNothingIsDelivered) {
  FakeRedisServer server(
      [](const std::string&) { return std::string("*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n:1\r\n:x\r\n"); });
  std::atomic<int> messages{0};
  std::atomic<int> resubscribed{0};
  RedisSubscriber subscriber(
      config_for(server.port()), [&](std::string_view, std::string_view) { ++messages; }, [&] { ++resubscribed; });
  subscriber.subscribe("c");
  subscriber.start();
  ASSERT_TRUE(eventually([&] { return server.accepted() >= 3; }));
  subscriber.stop();
  EXPECT_FALSE(subscriber.connected());
  EXPECT_EQ(resubscribed, 0) << "no SUBSCRIBE was ever confirmed";
  EXPECT_EQ(messages, 0) << "a message whose payload is not a string is garbage";
}

}  // namespace
}  // namespace parley::redis
