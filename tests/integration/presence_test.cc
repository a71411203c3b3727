// Presence: online after hello, offline after the timeout without heartbeats,
// fanout to contacts, presence_subscribe, access control, logout.
#include "fixture.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::PresenceInfo;
using client::str_field;

// Short timeout so that "offline after the timeout" is observable quickly.
class PresenceTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--presence-timeout", "1", "--heartbeat-interval", "1"});
    return f;
  }
};

// Long timeout: anything that goes offline quickly did not time out.
class PresenceLongTimeoutTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--presence-timeout", "60"});
    return f;
  }
};

// Long timeout, short offline grace: a clean close is offline soon after
// the grace, long before the timeout.
class PresenceShortGraceTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--presence-timeout", "60", "--offline-grace-ms", "300"});
    return f;
  }
};

// A grace long enough for a reload to come back within it on a busy machine.
class PresenceReloadGraceTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--presence-timeout", "60", "--offline-grace-ms", "3000"});
    return f;
  }
};

PresenceInfo presence_of(Session& viewer, const std::string& user_id) {
  auto list = viewer.presence({user_id});
  EXPECT_EQ(list.size(), 1u);
  return list.empty() ? PresenceInfo{} : list[0];
}

bool has_status(Session& viewer, const std::string& user_id, const std::string& status) {
  return presence_of(viewer, user_id).status == status;
}

// Next presence frame about `user_id` with this status.
std::optional<json::object> presence_frame(WsConnection& ws, const std::string& user_id, const std::string& status,
                                           Ms timeout = kWait) {
  return ws.next_matching(
      [&](const json::object& o) {
        return str_field(o, "type") == "presence" && str_field(o, "user_id") == user_id &&
               str_field(o, "status") == status;
      },
      timeout);
}

TEST_F(PresenceTest, NeverSeenUserIsOfflineWithZeroLastActive) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  accepted_direct(alice, bob);
  auto p = presence_of(alice, bob.user_id());
  EXPECT_EQ(p.user_id, bob.user_id());
  EXPECT_EQ(p.status, "offline");
  EXPECT_EQ(p.last_active_at, 0);
}

TEST_F(PresenceTest, OnlineAfterHelloOfflineAfterTimeoutWithFanoutToContact) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  accepted_direct(alice, bob);  // contacts
  auto a = connect(alice);
  a->start_heartbeat(Ms(200));

  auto b = connect(bob);  // no heartbeats from bob
  EXPECT_TRUE(eventually([&] { return has_status(alice, bob.user_id(), "online"); }, kWait));
  auto online = presence_frame(*a, bob.user_id(), "online");
  ASSERT_TRUE(online) << "contact got no online presence frame";
  EXPECT_GT(int_field(*online, "last_active_at"), 0);

  // Bob never heartbeats: offline after ~1 s although the socket is open.
  auto offline = presence_frame(*a, bob.user_id(), "offline");
  ASSERT_TRUE(offline) << "contact got no offline presence frame";
  EXPECT_GT(int_field(*offline, "last_active_at"), 0);
  EXPECT_TRUE(b->is_open());
  auto p = presence_of(alice, bob.user_id());
  EXPECT_EQ(p.status, "offline");
  EXPECT_GT(p.last_active_at, 0);

  // A heartbeat brings bob back online.
  b->send(json::object{{"type", "heartbeat"}});
  EXPECT_TRUE(presence_frame(*a, bob.user_id(), "online"));
}

TEST_F(PresenceTest, HeartbeatingUserStaysOnline) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  accepted_direct(alice, bob);
  auto b = connect(bob);
  b->start_heartbeat(Ms(150));
  ASSERT_TRUE(eventually([&] { return has_status(alice, bob.user_id(), "online"); }, kWait));
  // For three presence timeouts, every look says online.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(presence_of(alice, bob.user_id()).status, "online");
    std::this_thread::sleep_for(Ms(100));
  }
  b->stop_heartbeat();
  EXPECT_TRUE(eventually([&] { return has_status(alice, bob.user_id(), "offline"); }, kWait));
}

TEST_F(PresenceTest, OnlineWhileAnyDeviceHeartbeats) {
  Session alice = new_session("alice");
  Session phone = new_session("bob");
  Session laptop = another_device(phone, "laptop");
  accepted_direct(alice, phone);
  auto p = connect(phone);
  auto l = connect(laptop);
  l->start_heartbeat(Ms(150));
  // The phone never heartbeats, the laptop does: bob stays online.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(presence_of(alice, phone.user_id()).status, "online");
    std::this_thread::sleep_for(Ms(100));
  }
}

TEST_F(PresenceTest, SubscribeIsAnsweredAtOnceAndFollowsChanges) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  // Carol shares a group (not a direct chat) with bob: allowed to subscribe.
  carol.create_group("g", {bob.user_id()});
  auto c = connect(carol);
  c->start_heartbeat(Ms(200));
  c->send(json::object{{"type", "presence_subscribe"}, {"user_ids", json::array{bob.user_id()}}});
  auto now = c->next_matching(
      [&](const json::object& o) {
        return str_field(o, "type") == "presence" && str_field(o, "user_id") == bob.user_id();
      },
      kWait);
  ASSERT_TRUE(now) << "presence_subscribe not answered";
  EXPECT_EQ(str_field(*now, "status"), "offline");
  EXPECT_EQ(int_field(*now, "last_active_at"), 0);

  auto b = connect(bob);
  EXPECT_TRUE(presence_frame(*c, bob.user_id(), "online")) << "subscriber not told of the change";
  EXPECT_TRUE(presence_frame(*c, bob.user_id(), "offline"));
}

TEST_F(PresenceTest, StrangersAreForbidden) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session eve = new_session("eve");
  accepted_direct(alice, bob);
  EXPECT_API_ERROR(eve.presence({bob.user_id()}), 403, "forbidden");
  // One stranger forbids the whole request.
  EXPECT_API_ERROR(alice.presence({bob.user_id(), eve.user_id()}), 403, "forbidden");

  auto e = connect(eve);
  e->send(json::object{{"type", "presence_subscribe"}, {"user_ids", json::array{bob.user_id()}}});
  expect_error_frame(*e, "forbidden");
  EXPECT_TRUE(e->is_open());
  // No presence frame about bob leaked before the error.
  for (const auto& f : e->history()) {
    EXPECT_FALSE(client::frame_type(f) == "presence" && str_field(f.as_object(), "user_id") == bob.user_id())
        << json::serialize(f);
  }
}

TEST_F(PresenceTest, BadPresenceRequests) {
  Session alice = new_session("alice");
  auto r = alice.call("GET", "/v1/presence");
  EXPECT_TRUE(is_error(r, 400, "invalid_request"));
  auto a = connect(alice);
  a->send(json::object{{"type", "presence_subscribe"}, {"user_ids", "not-an-array"}});
  expect_error_frame(*a, "invalid_request");
  a->send(json::object{{"type", "presence_subscribe"}});
  expect_error_frame(*a, "invalid_request");
  EXPECT_TRUE(a->is_open());
}

TEST_F(PresenceLongTimeoutTest, DroppedSocketAloneDoesNotMakeOfflineButLogoutDoes) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  accepted_direct(alice, bob);
  auto a = connect(alice);
  {
    auto b = connect(bob);
    ASSERT_TRUE(presence_frame(*a, bob.user_id(), "online"));
    b->abort();  // socket gone, no logout
  }
  // Within the 60 s timeout the user is still online.
  EXPECT_EQ(presence_of(alice, bob.user_id()).status, "online");

  bob.logout();
  // "At once": long before the 60 s timeout.
  EXPECT_TRUE(presence_frame(*a, bob.user_id(), "offline", Ms(10000))) << "logout did not make bob offline";
  EXPECT_EQ(presence_of(alice, bob.user_id()).status, "offline");
}

TEST_F(PresenceLongTimeoutTest, LogoutOfOneDeviceKeepsOtherDevicesOnline) {
  Session alice = new_session("alice");
  Session phone = new_session("bob");
  Session laptop = another_device(phone, "laptop");
  accepted_direct(alice, phone);
  auto p = connect(phone);
  auto l = connect(laptop);
  ASSERT_TRUE(eventually([&] { return has_status(alice, phone.user_id(), "online"); }, kWait));
  phone.logout();
  EXPECT_EQ(presence_of(alice, phone.user_id()).status, "online") << "laptop is still connected";
  laptop.logout();
  EXPECT_TRUE(eventually([&] { return has_status(alice, phone.user_id(), "offline"); }, Ms(10000)));
}

// The presence frames about `user_id` that `ws` received so far, as their statuses.
std::vector<std::string> presence_statuses(const WsConnection& ws, const std::string& user_id) {
  std::vector<std::string> out;
  for (const auto& f : ws.history()) {
    if (client::frame_type(f) != "presence" || str_field(f.as_object(), "user_id") != user_id) continue;
    out.push_back(str_field(f.as_object(), "status"));
  }
  return out;
}

TEST_F(PresenceShortGraceTest, ACleanCloseIsOfflineAfterTheGraceNotTheTimeout) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  accepted_direct(alice, bob);
  auto a = connect(alice);
  auto b = connect(bob);
  ASSERT_TRUE(presence_frame(*a, bob.user_id(), "online"));
  b->close();  // a closed tab: close frame, no logout
  // Long before the 60 s timeout.
  auto offline = presence_frame(*a, bob.user_id(), "offline");
  ASSERT_TRUE(offline) << "a clean close did not make bob offline";
  EXPECT_GT(int_field(*offline, "last_active_at"), 0);
  EXPECT_EQ(presence_of(alice, bob.user_id()).status, "offline");
  // Coming back makes bob online again (a clean close leaves no tombstone).
  auto again = connect(bob);
  EXPECT_TRUE(presence_frame(*a, bob.user_id(), "online"));
}

TEST_F(PresenceShortGraceTest, AConnectionThatVanishedIsLeftToTheTimeout) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  accepted_direct(alice, bob);
  accepted_direct(alice, carol);
  auto a = connect(alice);
  auto b = connect(bob);
  auto c = connect(carol);
  ASSERT_TRUE(presence_frame(*a, bob.user_id(), "online"));
  ASSERT_TRUE(presence_frame(*a, carol.user_id(), "online"));
  b->abort();  // no close frame: the device may come back, the timeout decides
  c->close();  // closed after bob vanished: its grace ends after any bob's would
  ASSERT_TRUE(presence_frame(*a, carol.user_id(), "offline"));
  EXPECT_EQ(presence_of(alice, bob.user_id()).status, "online");
  EXPECT_EQ(presence_statuses(*a, bob.user_id()), std::vector<std::string>{"online"});
}

// A reload: the page closes its socket and the same device connects again
// (on a cluster, to another node) within the grace. Nothing is published;
// once it closes for good (here: logs out) the contact sees one offline.
TEST_F(PresenceReloadGraceTest, AReloadWithinTheGracePublishesNothing) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  accepted_direct(alice, bob);
  accepted_direct(alice, carol);
  auto a = connect(alice);
  auto c = connect(carol);
  ASSERT_TRUE(presence_frame(*a, carol.user_id(), "online"));
  auto b = connect(bob);
  ASSERT_TRUE(presence_frame(*a, bob.user_id(), "online"));
  b->close();
  auto reloaded = connect(bob);
  reloaded->start_heartbeat(Ms(500));
  // Carol closes after bob's reload: once her grace is over, bob's first
  // connection's is too, and it changed nothing.
  c->close();
  ASSERT_TRUE(presence_frame(*a, carol.user_id(), "offline"));
  EXPECT_EQ(presence_of(alice, bob.user_id()).status, "online");
  bob.logout();
  ASSERT_TRUE(presence_frame(*a, bob.user_id(), "offline"));
  EXPECT_EQ(presence_statuses(*a, bob.user_id()), (std::vector<std::string>{"online", "offline"}));
}

}  // namespace
}  // namespace parley::testing
