// RedisPresenceRegistry against the real redis-server of the test services:
// the registry contract (tests/unit/presence_registry_contract.h), then
// several registries in one process acting as nodes on one Redis: a
// heartbeat on one node is online on every node, a watcher on another node
// hears the changes, exactly one node decides each transition, a node that
// dies without a goodbye has its users go offline by another node's claim,
// and presence recovers by itself after Redis restarts empty. Time is passed
// in where the registry takes it, so no test waits for a timeout to pass.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../unit/presence_registry_contract.h"
#include "poll_until.h"
#include "presence/redis/redis_presence_registry.h"
#include "redis/redis_client.h"
#include "services.h"

namespace parley {
namespace {

using namespace std::chrono_literals;
using parley::testing::cluster_services;
using parley::testing::ClusterServices;
using parley::testing::wall_clock_ms;

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = 30s) {
  return parley::testing::poll_until(pred, timeout, 5ms);
}

// Each test on its own keys and channels.
std::string fresh_prefix() {
  static std::atomic<int> next{0};
  return "t" + std::to_string(wall_clock_ms()) + "." + std::to_string(next++) + "/";
}

RedisPresenceConfig presence_config(const std::string& prefix, TimeMs timeout = 30'000) {
  RedisPresenceConfig c;
  c.redis.port = cluster_services().redis_port();
  c.redis.reconnect_delay_first = 20ms;
  c.redis.reconnect_delay_max = 200ms;
  c.redis.ping_interval = 500ms;
  c.timeout_ms = timeout;
  c.key_prefix = prefix;
  c.claim_interval = 0ms;  // every collect() claims
  c.status_timeout = 5s;
  return c;
}

std::unique_ptr<RedisPresenceRegistry> node(const std::string& prefix, TimeMs timeout = 30'000) {
  auto r = std::make_unique<RedisPresenceRegistry>(presence_config(prefix, timeout));
  r->start();
  EXPECT_TRUE(eventually([&] { return r->connected(); }));
  return r;
}

// Every reply to what `registry` sent before has been handled once this
// returns: replies come in order on one connection.
void barrier(RedisPresenceRegistry& registry) {
  eventually([&] { return registry.status(std::vector<UserId>{"barrier"}).ok(); });
}

struct RedisHarness {
  static constexpr TimeMs kTimeout = 30'000;
  RedisHarness() : registry_(node(fresh_prefix(), kTimeout)) {}
  PresenceRegistry& registry() { return *registry_; }
  void barrier() { parley::barrier(*registry_); }
  std::unique_ptr<RedisPresenceRegistry> registry_;
};

}  // namespace
}  // namespace parley

namespace parley::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, PresenceRegistryContract, ::testing::Types<parley::RedisHarness>);
}  // namespace parley::testing

namespace parley {
namespace {

// Collects from `registry` at `now` until `want` changes came (or the deadline).
std::vector<PresenceChange> collect_until(RedisPresenceRegistry& registry, TimeMs now, std::size_t want) {
  std::vector<PresenceChange> got;
  eventually([&] {
    auto more = registry.collect(now);
    got.insert(got.end(), more.begin(), more.end());
    return got.size() >= want;
  });
  return got;
}

std::optional<PresenceStatus> status_of(RedisPresenceRegistry& registry, const UserId& user) {
  auto got = registry.status(std::vector<UserId>{user});
  if (!got.ok() || got->size() != 1) return std::nullopt;
  return got->front();
}

// Waits until some node subscribes the user's change channel.
bool subscribed(const std::string& prefix, const UserId& user) {
  redis::RedisConfig config;
  config.port = cluster_services().redis_port();
  redis::RedisClient client(config);
  client.start();
  return eventually([&] {
    std::mutex mutex;
    std::optional<long long> count;
    std::atomic<bool> answered{false};
    client.command({"PUBSUB", "NUMSUB", prefix + "p:" + user}, [&](Result<redis::RedisReply> r) {
      std::lock_guard lock(mutex);
      if (r && r->elements.size() == 2) count = r->elements[1].integer;
      answered = true;
    });
    eventually([&] { return answered.load(); }, 5s);
    std::lock_guard lock(mutex);
    return count.value_or(0) > 0;
  });
}

// Two nodes on fresh keys; B watches ann, from the moment Redis confirms it.
struct WatchingPair {
  WatchingPair() {
    b->watch("ann");
    EXPECT_TRUE(subscribed(prefix, "ann"));
  }
  const std::string prefix = fresh_prefix();
  std::unique_ptr<RedisPresenceRegistry> a = node(prefix), b = node(prefix);
};

TEST(RedisPresence, AHeartbeatOnOneNodeIsOnlineOnEveryNode) {
  const auto prefix = fresh_prefix();
  auto a = node(prefix), b = node(prefix);
  const TimeMs t = wall_clock_ms();
  a->heartbeat("ann", "phone", t);
  auto changes = collect_until(*a, t, 1);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].decided_here);
  EXPECT_TRUE(changes[0].event.online);
  auto seen = status_of(*b, "ann");
  ASSERT_TRUE(seen);
  EXPECT_TRUE(seen->online);
  EXPECT_EQ(seen->last_active_at, t);
}

TEST(RedisPresence, AWatcherOnAnotherNodeHearsOnlineAndOfflineOnce) {
  WatchingPair pair;
  auto& a = pair.a;
  auto& b = pair.b;
  const TimeMs t = wall_clock_ms();
  a->heartbeat("ann", "phone", t);
  ASSERT_EQ(collect_until(*a, t, 1).size(), 1u);
  auto heard = collect_until(*b, t, 1);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_FALSE(heard[0].decided_here);  // A announces it to ann's contacts, B only to its watchers
  EXPECT_EQ(heard[0].event.user_id, "ann");
  EXPECT_TRUE(heard[0].event.online);
  EXPECT_EQ(heard[0].event.last_active_at, t);

  a->logged_out("ann", "phone", t + 10);
  auto gone = collect_until(*a, t + 10, 1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_FALSE(gone[0].event.online);
  heard = collect_until(*b, t + 10, 1);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_FALSE(heard[0].decided_here);
  EXPECT_FALSE(heard[0].event.online);
  EXPECT_EQ(heard[0].event.last_active_at, t);
  barrier(*a);
  barrier(*b);
  EXPECT_TRUE(a->collect(t + 10).empty());
  EXPECT_TRUE(b->collect(t + 10).empty());
  // After unwatch, nothing more is heard.
  b->unwatch("ann");
  a->heartbeat("ann", "phone2", t + 20);
  ASSERT_EQ(collect_until(*a, t + 20, 1).size(), 1u);
  barrier(*b);
  EXPECT_TRUE(b->collect(t + 20).empty());
  EXPECT_EQ(b->stats().malformed, 0u);
}

TEST(RedisPresence, ExactlyOneNodeDecidesATimeout) {
  const auto prefix = fresh_prefix();
  std::vector<std::unique_ptr<RedisPresenceRegistry>> nodes;
  for (int i = 0; i < 3; ++i) nodes.push_back(node(prefix));
  const TimeMs t = wall_clock_ms();
  for (int u = 0; u < 50; ++u) nodes[u % 3]->heartbeat("user" + std::to_string(u), "dev", t + u);
  std::size_t online = 0;
  for (auto& n : nodes) online += collect_until(*n, t, 0).size();
  ASSERT_TRUE(eventually([&] {
    for (auto& n : nodes) online += n->collect(t).size();
    return online >= 50;
  }));
  EXPECT_EQ(online, 50u);
  // Every node sweeps at once, past every deadline.
  std::size_t offline = 0;
  const TimeMs later = t + 50 + 30'000;
  ASSERT_TRUE(eventually([&] {
    for (auto& n : nodes) {
      for (const auto& c : n->collect(later)) {
        EXPECT_TRUE(c.decided_here);
        EXPECT_FALSE(c.event.online);
        ++offline;
      }
    }
    return offline >= 50;
  }));
  for (auto& n : nodes) barrier(*n);
  for (auto& n : nodes) offline += n->collect(later).size();
  EXPECT_EQ(offline, 50u);
}

TEST(RedisPresence, AUserOfANodeThatDiedGoesOfflineByAnotherNodesSweep) {
  const auto prefix = fresh_prefix();
  auto a = node(prefix), b = node(prefix);
  b->watch("ann");
  const TimeMs t = wall_clock_ms();
  a->heartbeat("ann", "phone", t);
  ASSERT_EQ(collect_until(*a, t, 1).size(), 1u);
  ASSERT_TRUE(eventually([&] { return status_of(*b, "ann").value_or(PresenceStatus{}).online; }));
  a.reset();  // no goodbye: its heartbeats just stop
  // Before the deadline B decides nothing (it may hear A's online notice).
  for (int round = 0; round < 2; ++round) {
    for (const auto& c : b->collect(t + 29'999)) EXPECT_TRUE(c.event.online);
    barrier(*b);
  }
  std::vector<PresenceChange> gone;
  ASSERT_TRUE(eventually([&] {
    for (const auto& c : b->collect(t + 30'000)) {
      if (!c.event.online) gone.push_back(c);
    }
    return !gone.empty();
  }));
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_TRUE(gone[0].decided_here);  // B announces it: A cannot
  EXPECT_FALSE(gone[0].event.online);
  EXPECT_EQ(gone[0].event.last_active_at, t);
  EXPECT_FALSE(status_of(*b, "ann").value_or(PresenceStatus{true, 0}).online);
}

TEST(RedisPresence, DevicesOnTwoNodesKeepTheUserOnlineUntilTheLastLogsOut) {
  const auto prefix = fresh_prefix();
  auto a = node(prefix), b = node(prefix);
  const TimeMs t = wall_clock_ms();
  a->heartbeat("ann", "phone", t);
  ASSERT_EQ(collect_until(*a, t, 1).size(), 1u);
  b->heartbeat("ann", "laptop", t + 5);
  EXPECT_TRUE(b->collect(t + 5).empty());  // sends it
  barrier(*b);
  EXPECT_TRUE(b->collect(t + 5).empty());  // online already: B decides nothing
  a->logged_out("ann", "phone", t + 10);
  a->collect(t + 10);
  barrier(*a);
  EXPECT_TRUE(a->collect(t + 10).empty());
  EXPECT_TRUE(status_of(*a, "ann").value_or(PresenceStatus{}).online);
  // A's phone is past the timeout, B's laptop is not.
  barrier(*a);
  EXPECT_TRUE(a->collect(t + 30'002).empty());
  barrier(*a);
  EXPECT_TRUE(a->collect(t + 30'002).empty());
  b->logged_out("ann", "laptop", t + 20);
  auto gone = collect_until(*b, t + 20, 1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_FALSE(gone[0].event.online);
  EXPECT_EQ(gone[0].event.last_active_at, t + 5);
}

TEST(RedisPresence, ALogoutOnOneNodeEndsTheDeviceEvenIfAnotherNodeSendsItLate) {
  const auto prefix = fresh_prefix();
  auto a = node(prefix), b = node(prefix);
  const TimeMs t = wall_clock_ms();
  a->heartbeat("ann", "phone", t);
  ASSERT_EQ(collect_until(*a, t, 1).size(), 1u);
  b->logged_out("ann", "phone", t + 10);  // logged out through B while connected to A
  ASSERT_EQ(collect_until(*b, t + 10, 1).size(), 1u);
  a->heartbeat("ann", "phone", t + 20);  // its last frame, sent after the logout
  EXPECT_TRUE(a->collect(t + 20).empty());
  barrier(*a);
  EXPECT_TRUE(a->collect(t + 20).empty());
  EXPECT_FALSE(status_of(*a, "ann").value_or(PresenceStatus{true, 0}).online);
}

TEST(RedisPresence, MalformedNoticesAreDroppedAndCounted) {
  const auto prefix = fresh_prefix();
  auto b = node(prefix);
  b->watch("ann");
  ASSERT_TRUE(subscribed(prefix, "ann"));
  redis::RedisConfig config;
  config.port = cluster_services().redis_port();
  redis::RedisClient client(config);
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  const std::vector<std::string> garbage{"",           "1",           "2 x 1 5 6",
                                         "1 x 2 5 6",  "1 x 1 -5 6",  "1 x 1 5 0",
                                         "1 x 1 5 6 ", "1 x 1 5 6 7", std::string("1 x 1 5\0 6", 10)};
  std::atomic<int> published{0};
  for (const auto& g : garbage) {
    client.publish(prefix + "p:ann", g, [&](Result<long long> r) { published += r.ok() ? 1 : 0; });
  }
  ASSERT_TRUE(eventually([&] { return published == static_cast<int>(garbage.size()); }));
  ASSERT_TRUE(eventually([&] { return b->stats().malformed == garbage.size(); }));
  EXPECT_TRUE(b->collect(wall_clock_ms()).empty());
}

TEST(RedisPresence, PresenceRecoversByItselfAfterRedisRestartsEmpty) {
  WatchingPair pair;
  auto& a = pair.a;
  auto& b = pair.b;
  const TimeMs t = wall_clock_ms();
  a->heartbeat("ann", "phone", t);
  a->heartbeat("bob", "phone", t);
  ASSERT_EQ(collect_until(*a, t, 2).size(), 2u);
  ASSERT_EQ(collect_until(*b, t, 1).size(), 1u);  // ann online

  cluster_services().stop(ClusterServices::kRedis);
  // Down: heartbeats are only noted, queries fail fast, nothing crashes.
  a->heartbeat("ann", "phone", t + 1000);
  a->collect(t + 1000);
  auto down = b->status(std::vector<UserId>{"ann"});
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ErrorCode::unavailable);
  // bob's device stops while Redis is down.
  a->logged_out("bob", "phone", t + 1500);
  a->collect(t + 1500);
  cluster_services().start(ClusterServices::kRedis);  // empty: no persistence

  // A sends everything it holds again: ann online again (announced again), bob offline.
  std::vector<PresenceChange> again;
  ASSERT_TRUE(eventually([&] {
    a->heartbeat("ann", "phone", wall_clock_ms());
    auto more = a->collect(wall_clock_ms());
    again.insert(again.end(), more.begin(), more.end());
    return status_of(*b, "ann").value_or(PresenceStatus{}).online;
  }));
  EXPECT_FALSE(status_of(*b, "bob").value_or(PresenceStatus{true, 0}).online);
  // B's watcher hears changes again.
  ASSERT_TRUE(subscribed(pair.prefix, "ann"));
  const TimeMs t2 = wall_clock_ms() + 1000;
  a->logged_out("ann", "phone", t2);
  std::vector<PresenceChange> heard;
  ASSERT_TRUE(eventually([&] {
    a->collect(t2);
    auto more = b->collect(t2);
    heard.insert(heard.end(), more.begin(), more.end());
    return !heard.empty() && !heard.back().event.online;
  }));
  EXPECT_FALSE(heard.back().decided_here);
  EXPECT_TRUE(a->connected());
  EXPECT_TRUE(b->connected());
}

}  // namespace
}  // namespace parley
