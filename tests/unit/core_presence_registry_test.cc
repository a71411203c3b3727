// The presence registry port: the contract on the single node's
// LocalPresenceRegistry, and Presence with a registry that also hears
// changes decided on other nodes (what a cluster's registry does).

#include "core/local_presence_registry.h"
#include "core_fixture.h"
#include "fakes/fake_presence_registry.h"
#include "presence_registry_contract.h"

namespace parley::testing {
namespace {

struct LocalHarness {
  static constexpr TimeMs kTimeout = 30'000;
  PresenceRegistry& registry() { return local; }
  void barrier() {}
  LocalPresenceRegistry local{kTimeout};
};

INSTANTIATE_TYPED_TEST_SUITE_P(Local, PresenceRegistryContract, ::testing::Types<LocalHarness>);

class PresenceRegistryTest : public CoreTest {
 protected:
  PresenceRegistryTest() {
    presence_registry = &registry;
    rebuild();
  }
  FakePresenceRegistry registry{config.presence_timeout_ms};
};

TEST_F(PresenceRegistryTest, ChangesHeardFromOtherNodesReachSubscribersHereButNotContacts) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  ASSERT_TRUE(core->chats.create_group(a, "g", {b, c}).ok());
  direct(a, c);  // cat is ann's contact: the deciding node told all of cat's devices
  auto wb = login("bob"), wc = login("cat");
  std::set<UserId> b_watches, c_watches;
  ASSERT_TRUE(core->presence.subscribe(wb, {a}, b_watches).ok());
  ASSERT_TRUE(core->presence.subscribe(wc, {a}, c_watches).ok());
  sink.clear();
  registry.hear({a, true, 1234});
  core->presence.sweep();
  auto got = sink.deliveries_of<PresenceEvent>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].users, std::vector<UserId>{b});
  EXPECT_EQ(got[0].device, std::optional<DeviceId>(wb.device_id));
  EXPECT_TRUE(got[0].event.online);
  EXPECT_EQ(got[0].event.last_active_at, 1234);
  EXPECT_TRUE(store.find_user(a)->value().last_active_at == 0);  // only the deciding node stores it
}

TEST_F(PresenceRegistryTest, AHeardOfflineWithoutItsTimeGetsTheStoredOne) {
  auto a = make_user("ann"), b = make_user("bob");
  ASSERT_TRUE(core->chats.create_group(a, "g", {b}).ok());
  ASSERT_TRUE(store.set_last_active({{a, 777}}));
  auto wb = login("bob");
  std::set<UserId> watches;
  ASSERT_TRUE(core->presence.subscribe(wb, {a}, watches).ok());
  sink.clear();
  registry.hear({a, false, 0});
  registry.hear({b, true, 5});  // nobody here subscribed to bob: nothing to deliver
  core->presence.sweep();
  auto got = sink.events_of<PresenceEvent>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].online);
  EXPECT_EQ(got[0].last_active_at, 777);
}

TEST_F(PresenceRegistryTest, TheRegistryWatchesAUserWhileAnyDeviceHereSubscribes) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  ASSERT_TRUE(core->chats.create_group(a, "g", {b, c}).ok());
  auto wb = login("bob"), wc = login("cat");
  std::set<UserId> tab1, tab2, cat_tab;
  ASSERT_TRUE(core->presence.subscribe(wb, {a}, tab1).ok());
  ASSERT_TRUE(core->presence.subscribe(wb, {a}, tab2).ok());
  ASSERT_TRUE(core->presence.subscribe(wc, {a, b}, cat_tab).ok());
  EXPECT_EQ(registry.watches(a), 1);
  EXPECT_EQ(registry.watches(b), 1);
  core->presence.unsubscribe(wb, {a});
  core->presence.unsubscribe(wb, {a});
  EXPECT_EQ(registry.watches(a), 1);  // cat still subscribes
  core->presence.unsubscribe_all(wc);
  EXPECT_EQ(registry.watches(a), 0);
  EXPECT_EQ(registry.watches(b), 0);
  // A refused subscription watches nothing.
  auto stranger = make_user("dan");
  std::set<UserId> refused;
  EXPECT_FALSE(core->presence.subscribe(wb, {stranger}, refused).ok());
  EXPECT_EQ(registry.watches(stranger), 0);
}

TEST_F(PresenceRegistryTest, TheRegistryWakesThePresenceThread) {
  config.presence_sweep_ms = 3'600'000;  // only a wake makes it sweep within the test
  rebuild();
  ASSERT_TRUE(eventually([&] { return registry.has_wake(); }));
  auto a = make_user("ann"), b = make_user("bob");
  ASSERT_TRUE(core->chats.create_group(a, "g", {b}).ok());
  auto wb = login("bob");
  std::set<UserId> watches;
  ASSERT_TRUE(core->presence.subscribe(wb, {a}, watches).ok());
  registry.hear({a, true, 99});
  EXPECT_TRUE(eventually([&] { return sink.events_of<PresenceEvent>().size() == 1; }));
  core->stop();
  EXPECT_FALSE(registry.has_wake());  // detached: the registry outlives the core
}

TEST_F(PresenceRegistryTest, AnOfflineUserTheRegistryKnowsNeedsNoStoreRead) {
  auto a = make_user("ann"), b = make_user("bob");
  ASSERT_TRUE(core->chats.create_group(a, "g", {b}).ok());
  auto wa = login("ann");
  clock.advance(1000);
  core->presence.heartbeat(wa);
  const TimeMs at = clock.now_ms();
  core->presence.logged_out(wa);  // the registry still holds ann, offline, until the next sweep
  ASSERT_TRUE(eventually([&] { return !core->last_active.pending(a).has_value(); }));  // stored
  ASSERT_TRUE(core->presence.query(b, {a}).ok());  // reads (and keeps) ann's privacy settings once
  faults.fail(StoreMethod::find_user);
  auto got = core->presence.query(b, {a});
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE((*got)[0].online);
  EXPECT_EQ((*got)[0].last_active_at, at);
  core->presence.sweep();  // now it forgets her: the store is asked, and fails
  EXPECT_EQ(core->presence.query(b, {a}).error().code, ErrorCode::unavailable);
}

}  // namespace
}  // namespace parley::testing
