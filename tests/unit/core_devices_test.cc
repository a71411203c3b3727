// Accounts: the device list, remote logout, password and display-name
// changes, idle token expiry and the batched storing of device uses.

#include "unit/core_fixture.h"

namespace parley::testing {
namespace {

class DevicesTest : public CoreTest {
 protected:
  LoginResult login_device(const std::string& name, const std::string& device) {
    auto r = core->accounts.login(name + "@example.org", "password-" + name, device);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : LoginResult{};
  }
  bool works(const LoginResult& login) { return core->accounts.authenticate(login.token).ok(); }
};

class ExpiringDevicesTest : public DevicesTest {
 protected:
  ExpiringDevicesTest() {
    config.token_idle_expiry_ms = 60'000;
    config.device_use_flush_ms = 3'600'000;  // the test flushes when it chooses
    rebuild();
  }
};

TEST_F(DevicesTest, LoggedInDevicesAreListedWithTheirLastUse) {
  make_user("ann");
  auto phone = login_device("ann", "phone");
  clock.advance(5'000);
  auto laptop = login_device("ann", "laptop");
  clock.advance(1'000);
  ASSERT_TRUE(works(phone));
  auto devices = core->accounts.logged_in_devices(phone.user_id);
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 2u);
  for (const Device& d : *devices) {
    if (d.id == phone.device_id) {
      EXPECT_EQ(d.last_used_at, clock.now_ms());
    } else {
      EXPECT_EQ(d.last_used_at, d.created_at);  // the laptop: never used since its login
    }
  }
  ASSERT_TRUE(core->accounts.logout(AuthContext{phone.user_id, phone.device_id}).ok());
  devices = core->accounts.logged_in_devices(phone.user_id);
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ(devices->front().id, laptop.device_id);
}

TEST_F(DevicesTest, OnlyTheUsersOwnLoggedInDevicesCanBeLoggedOut) {
  make_user("ann");
  make_user("bob");
  auto ann = login_device("ann", "phone");
  auto bob = login_device("bob", "phone");
  for (const DeviceId& id : {bob.device_id, DeviceId("nope"), DeviceId()}) {
    auto r = core->accounts.logout_device(ann.user_id, id);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::not_found);
  }
  EXPECT_TRUE(works(bob));
  ASSERT_TRUE(core->accounts.logout_device(bob.user_id, bob.device_id).ok());
  EXPECT_FALSE(works(bob));
  EXPECT_EQ(core->accounts.logout_device(bob.user_id, bob.device_id).error().code, ErrorCode::not_found);
}

TEST_F(DevicesTest, PasswordChangeChecksTheCurrentOneAndMayLogOutTheOthers) {
  make_user("ann");
  auto phone = login_device("ann", "phone");
  auto laptop = login_device("ann", "laptop");
  AuthContext me{laptop.user_id, laptop.device_id};
  EXPECT_EQ(core->accounts.change_password(me, "wrong", "new-password", true).error().code, ErrorCode::bad_credentials);
  EXPECT_EQ(core->accounts.change_password(me, "password-ann", "short", true).error().code, ErrorCode::invalid_request);
  EXPECT_TRUE(works(phone));
  auto out = core->accounts.change_password(me, "password-ann", "new-password", true);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, std::vector<DeviceId>{phone.device_id});
  EXPECT_FALSE(works(phone));
  EXPECT_TRUE(works(laptop));
  EXPECT_FALSE(core->accounts.login("ann@example.org", "password-ann", "x").ok());
  EXPECT_TRUE(core->accounts.login("ann@example.org", "new-password", "x").ok());
}

TEST_F(DevicesTest, RenameIsAnnouncedInEveryChatOfTheUser) {
  auto ann = make_user("ann");
  auto bob = make_user("bob");
  auto cat = make_user("cat");
  auto chat = direct(ann, bob);
  ASSERT_TRUE(core->chats.create_group(cat, "trip", {ann}).ok());
  ASSERT_EQ(*core->accounts.display_name(ann), "ann");  // cached now
  sink.clear();
  EXPECT_EQ(core->accounts.rename(ann, "").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->accounts.rename(ann, "bad \xC3\x28").error().code, ErrorCode::invalid_request);
  ASSERT_TRUE(core->accounts.rename(ann, "Ann B.").ok());
  core->chats.announce_rename(ann);
  EXPECT_EQ(*core->accounts.display_name(ann), "Ann B.");
  auto events = sink.deliveries_of<ChatEvent>();
  ASSERT_EQ(events.size(), 2u);
  for (const auto& e : events) {
    EXPECT_EQ(e.event.kind, ChatEventKind::member_renamed);
    for (const auto& m : e.event.chat.members) {
      if (m.user_id == ann) {
        EXPECT_EQ(m.display_name, "Ann B.");
      }
    }
  }
  EXPECT_EQ(core->accounts.rename("ghost", "Ghost").error().code, ErrorCode::not_found);
  (void)chat;
}

TEST_F(ExpiringDevicesTest, AnIdleTokenExpiresAndEveryUseKeepsItAlive) {
  make_user("ann");
  auto used = login_device("ann", "used");
  auto idle = login_device("ann", "idle");
  auto heartbeating = login_device("ann", "ws");
  for (int i = 0; i < 3; ++i) {
    clock.advance(59'000);
    EXPECT_TRUE(works(used));
    core->accounts.note_use(AuthContext{heartbeating.user_id, heartbeating.device_id});
  }
  EXPECT_FALSE(works(idle));
  EXPECT_EQ(core->accounts.authenticate(idle.token).error().code, ErrorCode::unauthorized);
  EXPECT_TRUE(works(heartbeating));
  auto devices = core->accounts.logged_in_devices(used.user_id);
  ASSERT_EQ(devices->size(), 2u);  // the expired one is not listed
  EXPECT_EQ(core->accounts.logout_device(idle.user_id, idle.device_id).error().code, ErrorCode::not_found);
}

TEST_F(ExpiringDevicesTest, UsesAreStoredInBatchesAndCountAfterARestart) {
  make_user("ann");
  auto phone = login_device("ann", "phone");
  auto laptop = login_device("ann", "laptop");
  clock.advance(30'000);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(works(phone));
  ASSERT_TRUE(works(laptop));
  // No store write per request.
  EXPECT_EQ(faults.calls(StoreMethod::set_devices_last_used), 0u);
  EXPECT_EQ(store.find_device(phone.device_id).value()->last_used_at, 0);
  ASSERT_TRUE(core->accounts.device_uses().flush().ok());
  EXPECT_EQ(faults.calls(StoreMethod::set_devices_last_used), 1u);
  EXPECT_EQ(store.find_device(phone.device_id).value()->last_used_at, clock.now_ms());

  // A failed write keeps the uses for the next one.
  clock.advance(1'000);
  ASSERT_TRUE(works(phone));
  faults.fail(StoreMethod::set_devices_last_used);
  EXPECT_FALSE(core->accounts.device_uses().flush().ok());
  faults.heal_all();
  rebuild();  // stop() stores what is pending
  EXPECT_EQ(store.find_device(phone.device_id).value()->last_used_at, clock.now_ms());
  // After the restart the stored use counts: 59 s later the token still
  // works (and is used again), 61 s after that it does not.
  clock.advance(59'000);
  EXPECT_TRUE(works(phone));
  clock.advance(61'000);
  EXPECT_FALSE(works(phone));
}

}  // namespace
}  // namespace parley::testing
