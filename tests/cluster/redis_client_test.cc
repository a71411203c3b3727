// RedisClient and RedisSubscriber against the real redis-server of the test
// services: typed replies, 10,000 pipelined commands answered in order,
// binary payloads, pub/sub with reference-counted channels, and a Redis
// restart under traffic (commands fail fast with `unavailable`, none hangs,
// the subscriber resubscribes and says so).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "poll_until.h"
#include "redis/redis_client.h"
#include "redis/redis_subscriber.h"
#include "services.h"

namespace parley::redis {
namespace {

using namespace std::chrono_literals;
using parley::testing::cluster_services;
using parley::testing::ClusterServices;

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = 30s) {
  return parley::testing::poll_until(pred, timeout, 10ms);
}

RedisConfig config() {
  RedisConfig c;
  c.port = cluster_services().redis_port();
  c.reconnect_delay_first = 20ms;
  c.reconnect_delay_max = 200ms;
  c.command_timeout = 10s;
  return c;
}

// Starts a request with `send(callback)` and waits for its answer (with a
// deadline: a hang fails the test).
template <typename T, typename Send>
Result<T> answer_of(Send send) {
  std::mutex mutex;
  std::optional<Result<T>> answer;
  send([&](Result<T> r) {
    std::lock_guard lock(mutex);
    answer.emplace(std::move(r));
  });
  const bool answered = eventually([&] {
    std::lock_guard lock(mutex);
    return answer.has_value();
  });
  if (!answered) return make_error(ErrorCode::internal, "no callback within the deadline");
  std::lock_guard lock(mutex);
  return std::move(*answer);
}

Result<RedisReply> call(RedisClient& client, const std::vector<std::string_view>& args) {
  return answer_of<RedisReply>([&](auto done) { client.command(args, std::move(done)); });
}

Result<long long> publish(RedisClient& client, std::string_view channel, std::string_view payload) {
  return answer_of<long long>([&](auto done) { client.publish(channel, payload, std::move(done)); });
}

// PUBLISH's receiver count, or -1 when the command failed.
long long receivers(RedisClient& client, std::string_view channel, std::string_view payload) {
  const auto r = publish(client, channel, payload);
  return r.ok() ? *r : -1;
}

// What a subscriber received, for the test thread to look at.
struct Inbox {
  void add(std::string_view channel, std::string_view payload) {
    std::lock_guard lock(mutex);
    messages.emplace_back(std::string(channel), std::string(payload));
  }
  std::size_t count(const std::string& channel, const std::string& payload) {
    std::lock_guard lock(mutex);
    return static_cast<std::size_t>(
        std::count(messages.begin(), messages.end(), std::pair<std::string, std::string>(channel, payload)));
  }
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> messages;
};

// Publishes `payload` until a subscriber has received it (subscriptions take
// effect once Redis has processed the SUBSCRIBE).
bool publish_until_received(RedisClient& client, Inbox& inbox, const std::string& channel, const std::string& payload) {
  return eventually([&] {
    if (inbox.count(channel, payload) > 0) return true;
    (void)publish(client, channel, payload);
    return eventually([&] { return inbox.count(channel, payload) > 0; }, 1s);
  });
}

TEST(RedisClient, AnswersWithTypedReplies) {
  RedisClient client(config());
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));

  EXPECT_EQ(call(client, {"SET", "typed:k", "v1"})->type, RedisReply::Type::status);
  EXPECT_TRUE(call(client, {"SET", "typed:k", "v1"})->is_ok());
  EXPECT_EQ(*call(client, {"GET", "typed:k"}), RedisReply::of_string("v1"));
  EXPECT_TRUE(call(client, {"GET", "typed:missing"})->is_nil());
  (void)call(client, {"DEL", "typed:n", "typed:list"});
  EXPECT_EQ(*call(client, {"INCRBY", "typed:n", "41"}), RedisReply::of_integer(41));
  EXPECT_EQ(*call(client, {"RPUSH", "typed:list", "a", "b"}), RedisReply::of_integer(2));
  EXPECT_EQ(*call(client, {"LRANGE", "typed:list", "0", "-1"}),
            RedisReply::of_array({RedisReply::of_string("a"), RedisReply::of_string("b")}));
  const auto wrong = call(client, {"INCR", "typed:list"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->is_error()) << to_string(*wrong);
  EXPECT_TRUE(call(client, {"NOSUCHCOMMAND"})->is_error());
  // Keys with expiry, as presence will use them.
  EXPECT_TRUE(call(client, {"SET", "typed:presence", "1", "PX", "60000"})->is_ok());
  const auto ttl = call(client, {"PTTL", "typed:presence"});
  ASSERT_EQ(ttl->type, RedisReply::Type::integer);
  EXPECT_GT(ttl->integer, 0);
}

TEST(RedisClient, TenThousandPipelinedCommandsAreAnsweredInOrder) {
  RedisClient client(config());
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  ASSERT_TRUE(call(client, {"DEL", "pipeline:n"}).ok());

  constexpr int kCommands = 10'000;
  std::vector<long long> seen;  // appended on the client's thread only, read after all callbacks
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  seen.reserve(kCommands);
  for (int i = 0; i < kCommands; ++i) {
    client.command({"INCR", "pipeline:n"}, [&](Result<RedisReply> r) {
      if (r && r->type == RedisReply::Type::integer) {
        seen.push_back(r->integer);
      } else {
        ++failed;
      }
      ++answered;
    });
  }
  ASSERT_TRUE(eventually([&] { return answered == kCommands; }));
  EXPECT_EQ(failed, 0);
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kCommands));
  for (int i = 0; i < kCommands; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)], i + 1) << "reply " << i;
}

TEST(RedisClient, BinaryPayloadsRoundTrip) {
  RedisClient client(config());
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  const std::string key("bin:\0key\xff", 9);
  std::string value("\0\r\n\xc3\x28\xff\xfe$-1\r\n*", 14);
  for (int i = 0; i < 256; ++i) value += static_cast<char>(i);
  ASSERT_TRUE(call(client, {"SET", key, value})->is_ok());
  EXPECT_EQ(*call(client, {"GET", key}), RedisReply::of_string(value));
  EXPECT_TRUE(call(client, {"GET", std::string_view("bin:", 4)})->is_nil()) << "the key was cut at its NUL";

  Inbox inbox;
  RedisSubscriber subscriber(
      config(), [&](std::string_view c, std::string_view p) { inbox.add(c, p); }, [] {});
  const std::string channel("bin:\0chan\x80", 10);
  subscriber.subscribe(channel);
  subscriber.start();
  EXPECT_TRUE(publish_until_received(client, inbox, channel, value));
}

TEST(RedisSubscriber, DeliversUntilTheLastReferenceUnsubscribes) {
  RedisClient client(config());
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  Inbox inbox;
  std::atomic<int> resubscribed{0};
  RedisSubscriber subscriber(
      config(), [&](std::string_view c, std::string_view p) { inbox.add(c, p); }, [&] { ++resubscribed; });
  subscriber.start();
  ASSERT_TRUE(eventually([&] { return subscriber.connected() && resubscribed == 1; }))
      << "on_resubscribed follows the first connection too";

  subscriber.subscribe("refs:alice");  // two devices of one user
  subscriber.subscribe("refs:alice");
  subscriber.subscribe("refs:bob");
  ASSERT_TRUE(publish_until_received(client, inbox, "refs:alice", "m1"));
  ASSERT_TRUE(publish_until_received(client, inbox, "refs:bob", "m1"));

  subscriber.unsubscribe("refs:alice");  // one device left: still subscribed
  EXPECT_TRUE(publish_until_received(client, inbox, "refs:alice", "m2"));
  EXPECT_EQ(receivers(client, "refs:alice", "m3"), 1);

  subscriber.unsubscribe("refs:alice");  // the last one
  ASSERT_TRUE(eventually([&] {
    const auto receivers = publish(client, "refs:alice", "ignored");
    return receivers.ok() && *receivers == 0;
  }));
  EXPECT_TRUE(publish_until_received(client, inbox, "refs:bob", "m4")) << "other channels are untouched";
  EXPECT_EQ(inbox.count("refs:alice", "ignored"), 0u);
  subscriber.unsubscribe("refs:nobody");  // unknown: ignored
  EXPECT_EQ(resubscribed, 1);
}

// A subscriber without a channel yet (a node whose devices watch nobody) is
// answered PING with a plain +PONG, not pub/sub's ["pong", ""]: both keep
// the connection, and a channel confirmed later is told to its waiter.
TEST(RedisSubscriber, WithoutChannelsItKeepsItsConnectionAcrossPings) {
  RedisConfig c = config();
  c.ping_interval = std::chrono::milliseconds(50);
  std::atomic<int> resubscribed{0};
  RedisSubscriber subscriber(
      c, [](std::string_view, std::string_view) {}, [&] { ++resubscribed; });
  subscriber.start();
  ASSERT_TRUE(eventually([&] { return subscriber.connected() && resubscribed == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // ten pings; each reset would resubscribe
  EXPECT_EQ(resubscribed, 1) << "the connection was reset on a PING answer";
  std::atomic<bool> confirmed{false};
  subscriber.subscribe("late:one");
  subscriber.when_confirmed("late:one", [&] { confirmed = true; });
  EXPECT_TRUE(eventually([&] { return confirmed.load(); }));
}

TEST(RedisSubscriber, SubscribesThousandsOfChannelsAtStartAndConfirmsThem) {
  RedisClient client(config());
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  std::atomic<int> resubscribed{0};
  Inbox inbox;
  RedisSubscriber subscriber(
      config(), [&](std::string_view c, std::string_view p) { inbox.add(c, p); }, [&] { ++resubscribed; });
  constexpr int kChannels = 2500;  // more than one SUBSCRIBE command's worth
  for (int i = 0; i < kChannels; ++i) subscriber.subscribe("many:" + std::to_string(i));
  subscriber.start();
  ASSERT_TRUE(eventually([&] { return resubscribed == 1; }));
  EXPECT_TRUE(subscriber.connected());
  // Confirmed means subscribed: no retry needed.
  EXPECT_EQ(receivers(client, "many:0", "x"), 1);
  EXPECT_EQ(receivers(client, "many:2499", "x"), 1);
  EXPECT_TRUE(eventually([&] { return inbox.count("many:2499", "x") == 1; }));
}

TEST(RedisClient, RedisRestartedUnderTraffic) {
  ClusterServices& services = cluster_services();
  RedisClient client(config());
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  Inbox inbox;
  std::atomic<int> resubscribed{0};
  RedisSubscriber subscriber(
      config(), [&](std::string_view c, std::string_view p) { inbox.add(c, p); }, [&] { ++resubscribed; });
  subscriber.subscribe("restart:user");
  subscriber.start();
  ASSERT_TRUE(eventually([&] { return resubscribed == 1; }));
  ASSERT_TRUE(publish_until_received(client, inbox, "restart:user", "before"));

  // Traffic from another thread through the whole restart, at most 1,000 in flight.
  std::atomic<bool> stop_traffic{false};
  std::atomic<long> issued{0};
  std::atomic<long> answered{0};
  std::atomic<long> succeeded{0};
  std::atomic<long> unavailable{0};
  std::atomic<long> other{0};
  std::thread traffic([&] {
    while (!stop_traffic) {
      if (issued - answered >= 1000) {
        std::this_thread::sleep_for(1ms);
        continue;
      }
      ++issued;
      client.command({"INCR", "restart:n"}, [&](Result<RedisReply> r) {
        if (r && r->type == RedisReply::Type::integer) {
          ++succeeded;
        } else if (!r && r.error().code == ErrorCode::unavailable) {
          ++unavailable;
        } else {
          ++other;
        }
        ++answered;
      });
    }
  });
  ASSERT_TRUE(eventually([&] { return succeeded > 1000; }));

  services.stop(ClusterServices::kRedis);
  EXPECT_TRUE(eventually([&] { return !client.connected() && !subscriber.connected(); }));
  // While Redis is down a command fails at once, it is not queued.
  const auto during = call(client, {"GET", "restart:n"});
  ASSERT_FALSE(during.ok());
  EXPECT_EQ(during.error().code, ErrorCode::unavailable) << during.error().message;
  EXPECT_TRUE(eventually([&] { return unavailable > 0; }));

  services.start(ClusterServices::kRedis);
  EXPECT_TRUE(eventually([&] { return client.connected(); }));
  const long succeeded_before = succeeded;
  EXPECT_TRUE(eventually([&] { return succeeded > succeeded_before + 1000; })) << "traffic did not resume";
  EXPECT_TRUE(eventually([&] { return resubscribed == 2 && subscriber.connected(); }))
      << "the subscriber did not resubscribe";
  EXPECT_TRUE(publish_until_received(client, inbox, "restart:user", "after"));
  // Resubscribed means subscribed: a message published now is delivered.
  EXPECT_EQ(receivers(client, "restart:user", "after-confirmed"), 1);

  stop_traffic = true;
  traffic.join();
  EXPECT_TRUE(eventually([&] { return answered == issued; })) << answered << " of " << issued << " answered";
  EXPECT_EQ(other, 0);
}

TEST(RedisClient, SelectsItsDatabaseOnEveryConnection) {
  RedisClient default_db(config());
  RedisConfig c = config();
  c.database = 5;
  RedisClient db5(c);
  default_db.start();
  db5.start();
  ASSERT_TRUE(eventually([&] { return default_db.connected() && db5.connected(); }));
  ASSERT_TRUE(call(db5, {"SET", "select:k", "in-5"})->is_ok());
  EXPECT_TRUE(call(default_db, {"GET", "select:k"})->is_nil());
  EXPECT_EQ(*call(default_db, {"EXISTS", "select:k"}), RedisReply::of_integer(0));
  EXPECT_EQ(*call(db5, {"GET", "select:k"}), RedisReply::of_string("in-5"));
}

TEST(RedisClient, AuthenticatesWithAPasswordAndStaysDownWithAWrongOne) {
  // An administrator connection made before the password is set stays
  // authenticated, and takes the password away again whatever happens.
  RedisClient admin(config());
  admin.start();
  ASSERT_TRUE(eventually([&] { return admin.connected(); }));
  ASSERT_TRUE(call(admin, {"CONFIG", "SET", "requirepass", "pw-7"})->is_ok());
  struct Restore {
    RedisClient& admin;
    ~Restore() { EXPECT_TRUE(call(admin, {"CONFIG", "SET", "requirepass", ""})->is_ok()); }
  } restore{admin};

  RedisConfig right = config();
  right.password = "pw-7";
  RedisClient authed(right);
  authed.start();
  ASSERT_TRUE(eventually([&] { return authed.connected(); }));
  EXPECT_TRUE(call(authed, {"SET", "auth:k", "v"})->is_ok());

  RedisConfig wrong = config();
  wrong.password = "not-it";
  RedisClient refused(wrong);
  refused.start();
  const auto answer = call(refused, {"GET", "auth:k"});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::unavailable);
  EXPECT_FALSE(refused.connected());

  // A subscriber authenticates too.
  Inbox inbox;
  RedisSubscriber subscriber(
      right, [&](std::string_view ch, std::string_view p) { inbox.add(ch, p); }, [] {});
  subscriber.subscribe("auth:ch");
  subscriber.start();
  EXPECT_TRUE(publish_until_received(authed, inbox, "auth:ch", "hello"));
}

TEST(RedisClient, StopWithCommandsInFlightAnswersEachOnce) {
  auto client = std::make_unique<RedisClient>(config());
  client->start();
  ASSERT_TRUE(eventually([&] { return client->connected(); }));
  constexpr std::size_t kCommands = 20'000;
  std::vector<std::atomic<int>> calls(kCommands);
  std::atomic<std::size_t> ok{0};
  for (std::size_t i = 0; i < kCommands; ++i) {
    client->command({"SET", "stop:k", std::to_string(i)}, [&, i](Result<RedisReply> r) {
      if (r) ++ok;
      ++calls[i];
    });
  }
  client->stop();
  client.reset();
  for (std::size_t i = 0; i < kCommands; ++i) ASSERT_EQ(calls[i].load(), 1) << i;
  std::cout << ok << " of " << kCommands << " answered by Redis before the stop\n";
}

}  // namespace
}  // namespace parley::redis
