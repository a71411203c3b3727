// Presence of two cores ("nodes") sharing one store, each with its own
// RedisPresenceRegistry on the test services' Redis, on the real clock: a
// device on node B that subscribed to a user online on node A hears A's
// changes; A's contacts are told by A; when A dies without a goodbye, B
// decides the timeout, tells the contacts and stores last_active_at.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "core/core.h"
#include "fakes/fake_credentials.h"
#include "fakes/memory_store.h"
#include "fakes/recording_event_sink.h"
#include "fakes/recording_push_sender.h"
#include "poll_until.h"
#include "presence/redis/redis_presence_registry.h"
#include "services.h"

namespace parley {
namespace {

using namespace std::chrono_literals;
using parley::testing::cluster_services;

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = 30s) {
  return parley::testing::poll_until(pred, timeout, 5ms);
}

class WallClock final : public Clock {
 public:
  TimeMs now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

constexpr TimeMs kTimeout = 1'500;

// One parleyd's core and presence registry, on the shared store.
struct Node {
  Node(MemoryStore& store, Credentials& credentials, Clock& clock, const std::string& prefix) {
    config.presence_timeout_ms = kTimeout;
    config.presence_sweep_ms = 50;
    RedisPresenceConfig rc;
    rc.redis.port = cluster_services().redis_port();
    rc.redis.reconnect_delay_first = 20ms;
    rc.timeout_ms = kTimeout;
    rc.key_prefix = prefix;
    rc.claim_interval = 50ms;
    registry = std::make_unique<RedisPresenceRegistry>(rc);
    registry->start();  // before the core, stopped after it
    EXPECT_TRUE(eventually([&] { return registry->connected(); }));
    core = std::make_unique<Core>(
        config, CorePorts{store, store, store, store, credentials, clock, sink, push, nullptr, registry.get()});
    core->start();
  }
  ~Node() { die(); }
  void die() {
    if (core) core->stop();
    core.reset();
    registry.reset();
  }

  CoreConfig config;
  RecordingEventSink sink;
  RecordingPushSender push;
  std::unique_ptr<RedisPresenceRegistry> registry;
  std::unique_ptr<Core> core;
};

// The presence events `sink` delivered for `user`, to `device` (or to the contacts if none).
std::vector<PresenceEvent> presence_of(const RecordingEventSink& sink, const UserId& user,
                                       const std::optional<DeviceId>& device) {
  std::vector<PresenceEvent> out;
  for (const auto& d : sink.deliveries_of<PresenceEvent>()) {
    if (d.event.user_id == user && d.device == device) out.push_back(d.event);
  }
  return out;
}

TEST(RedisPresenceCore, SubscribersOnAnotherNodeHearChangesAndADeadNodesUsersTimeOut) {
  MemoryStore store;
  FakeCredentials credentials;
  WallClock clock;
  const std::string prefix = "core" + std::to_string(clock.now_ms()) + "/";
  Node a(store, credentials, clock, prefix), b(store, credentials, clock, prefix);

  auto ann = *a.core->accounts.signup("ann@example.org", "password-ann", "ann");
  auto bob = *a.core->accounts.signup("bob@example.org", "password-bob", "bob");
  auto cat = *a.core->accounts.signup("cat@example.org", "password-cat", "cat");
  ASSERT_TRUE(a.core->chats.create_group(ann, "g", {bob, cat}).ok());
  ASSERT_TRUE(a.core->chats.open_direct(ann, cat).ok());  // cat is ann's contact
  auto ann_login = *a.core->accounts.login("ann@example.org", "password-ann", "phone");
  auto bob_login = *b.core->accounts.login("bob@example.org", "password-bob", "laptop");
  const AuthContext ann_phone{ann_login.user_id, ann_login.device_id};
  const AuthContext bob_laptop{bob_login.user_id, bob_login.device_id};

  // bob's laptop, connected to B, subscribes to ann.
  std::set<UserId> watches;
  auto now = b.core->presence.subscribe(bob_laptop, {ann}, watches);
  ASSERT_TRUE(now.ok());
  EXPECT_FALSE((*now)[0].online);

  // ann's phone, connected to A, comes online: A tells her contact cat, B tells bob's laptop.
  const TimeMs came = clock.now_ms();
  a.core->presence.heartbeat(ann_phone);
  ASSERT_TRUE(eventually([&] { return !presence_of(b.sink, ann, bob_laptop.device_id).empty(); }));
  auto heard = presence_of(b.sink, ann, bob_laptop.device_id);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_TRUE(heard[0].online);
  EXPECT_GE(heard[0].last_active_at, came);
  // Contacts: told by A, once (A may tell them just after B heard: the
  // publish and A's own fan-out race).
  ASSERT_TRUE(eventually([&] { return !presence_of(a.sink, ann, std::nullopt).empty(); }));
  ASSERT_EQ(presence_of(a.sink, ann, std::nullopt).size(), 1u);
  EXPECT_TRUE(presence_of(b.sink, ann, std::nullopt).empty());
  auto seen = b.core->presence.query(bob, {ann});
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE((*seen)[0].online);

  // A dies without a goodbye: B decides the timeout, tells cat and bob's laptop, stores last_active_at.
  const TimeMs last = heard[0].last_active_at;
  a.die();
  ASSERT_TRUE(eventually([&] { return presence_of(b.sink, ann, std::nullopt).size() == 1; }));
  EXPECT_FALSE(presence_of(b.sink, ann, std::nullopt)[0].online);
  ASSERT_TRUE(eventually([&] { return presence_of(b.sink, ann, bob_laptop.device_id).size() == 2; }));
  auto gone = presence_of(b.sink, ann, bob_laptop.device_id)[1];
  EXPECT_FALSE(gone.online);
  EXPECT_EQ(gone.last_active_at, last);
  ASSERT_TRUE(eventually([&] { return store.find_user(ann)->value().last_active_at == last; }));
  seen = b.core->presence.query(bob, {ann});
  ASSERT_TRUE(seen.ok());
  EXPECT_FALSE((*seen)[0].online);
  EXPECT_EQ((*seen)[0].last_active_at, last);
}

}  // namespace
}  // namespace parley
