// Accounts and devices: display name, password change, the device list and
// remote logout, idle token expiry. On a cluster the sessions and sockets of
// one test are spread over the nodes, so a device logged out on one node is
// cut off on another.
#include <chrono>
#include <thread>

#include "fixture.h"

namespace parley::testing {
namespace {

// One entry of GET /v1/devices.
struct DeviceInfo {
  std::string device_id;
  std::string name;
  std::int64_t created_at = 0;
  std::int64_t last_active_at = 0;
  bool current = false;
};

// The REST calls of this file, failing the test on an error status.
std::vector<DeviceInfo> devices_of(Session& s) {
  auto r = s.call("GET", "/v1/devices");
  EXPECT_EQ(r.status, 200) << r.raw;
  std::vector<DeviceInfo> out;
  if (!r.json.is_object() || !r.json.as_object().contains("devices")) return out;
  for (const auto& d : r.json.at("devices").as_array()) {
    const auto& o = d.as_object();
    out.push_back({client::str_field(o, "device_id"), client::str_field(o, "name"), client::int_field(o, "created_at"),
                   client::int_field(o, "last_active_at"), o.at("current").as_bool()});
  }
  return out;
}

void set_display_name(Session& s, const std::string& name) {
  auto r = s.call("PATCH", "/v1/me", json::object{{"display_name", name}});
  EXPECT_EQ(r.status, 200) << r.raw;
}

std::vector<std::string> change_password(Session& s, const std::string& current, const std::string& replacement,
                                         bool logout_others) {
  auto r = s.call(
      "POST", "/v1/me/password",
      json::object{
          {"current_password", current}, {"new_password", replacement}, {"logout_other_devices", logout_others}});
  EXPECT_EQ(r.status, 200) << r.raw;
  std::vector<std::string> out;
  if (!r.json.is_object() || !r.json.as_object().contains("logged_out_device_ids")) return out;
  for (const auto& id : r.json.at("logged_out_device_ids").as_array()) out.emplace_back(id.as_string());
  return out;
}

class AccountTest : public ParleyTest {
 protected:
  HttpResponse send_raw(const Session& s, const std::string& method, const std::string& target,
                        const std::string& body) {
    client::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.bearer_token = s.token();
    return server().http().send(req);
  }
};

const DeviceInfo* find_device(const std::vector<DeviceInfo>& devices, const std::string& id) {
  for (const auto& d : devices) {
    if (d.device_id == id) return &d;
  }
  return nullptr;
}

TEST_F(AccountTest, DevicesListsEveryLoggedInDeviceAndMarksTheCaller) {
  TestUser u = make_user("alice");
  Session phone = login(u, "phone");
  Session laptop = login(u, "laptop");
  auto devices = devices_of(laptop);
  ASSERT_EQ(devices.size(), 2u);
  const DeviceInfo* p = find_device(devices, phone.device_id());
  const DeviceInfo* l = find_device(devices, laptop.device_id());
  ASSERT_NE(p, nullptr);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(p->name, "phone");
  EXPECT_EQ(l->name, "laptop");
  EXPECT_FALSE(p->current);
  EXPECT_TRUE(l->current);
  EXPECT_GT(p->created_at, 0);
  EXPECT_GE(p->last_active_at, p->created_at);
  EXPECT_GE(l->last_active_at, l->created_at);

  // Another user sees only their own.
  Session bob = new_session("bob");
  auto bobs = devices_of(bob);
  ASSERT_EQ(bobs.size(), 1u);
  EXPECT_EQ(bobs[0].device_id, bob.device_id());

  phone.logout();
  devices = devices_of(laptop);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].device_id, laptop.device_id());
}

TEST_F(AccountTest, LoggingOutAnotherDeviceCutsOffItsTokenAndItsWebSockets) {
  TestUser u = make_user("alice");
  Session phone = login(u, "phone");
  Session laptop = login(u, "laptop");
  auto phone_ws = connect(phone);  // on another node than laptop's requests, on a cluster
  Session bob = new_session("bob");
  auto chat = bob.create_direct(u.user_id);

  auto r = laptop.call("DELETE", "/v1/devices/" + phone.device_id());
  EXPECT_EQ(r.status, 204) << r.raw;
  EXPECT_EQ(phone_ws->wait_closed(kWait), 4401);
  EXPECT_TRUE(is_error(phone.call("GET", "/v1/me"), 401, "unauthorized"));
  auto hello = raw_ws();
  hello->send(json::object{{"type", "hello"}, {"token", phone.token()}});
  EXPECT_EQ(hello->wait_closed(kWait), 4401);

  // The caller and everyone else carry on.
  EXPECT_NO_THROW(laptop.me());
  EXPECT_NO_THROW(bob.send(chat.chat_id, cmid(), "still here"));
  auto left = devices_of(laptop);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].device_id, laptop.device_id());

  // Twice is not found: it is no longer a logged-in device.
  EXPECT_TRUE(is_error(laptop.call("DELETE", "/v1/devices/" + phone.device_id()), 404, "not_found"));
}

TEST_F(AccountTest, LoggingOutTheCallersOwnDeviceIsALogout) {
  Session a = new_session("alice");
  auto ws = connect(a);
  EXPECT_EQ(a.call("DELETE", "/v1/devices/" + a.device_id()).status, 204);
  EXPECT_EQ(ws->wait_closed(kWait), 4401);
  EXPECT_TRUE(is_error(a.call("GET", "/v1/me"), 401, "unauthorized"));
}

TEST_F(AccountTest, AnotherUsersDeviceOrAnUnknownIdIsNotFoundAndChangesNothing) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  auto bob_ws = connect(bob);
  EXPECT_TRUE(is_error(alice.call("DELETE", "/v1/devices/" + bob.device_id()), 404, "not_found"));
  for (const std::string& id :
       {std::string("nope"), std::string("..%2F..%2Fetc"), std::string("%00"), std::string(2000, 'd'),
        std::string("%C3%28"), bob.device_id() + "%20", std::string("current")}) {
    auto r = alice.call("DELETE", "/v1/devices/" + id);
    EXPECT_TRUE(is_error(r, 404, "not_found")) << id << ": " << r.status << " " << r.raw;
  }
  // Bob's device never noticed.
  EXPECT_NO_THROW(bob.me());
  EXPECT_TRUE(bob_ws->is_open());
  EXPECT_EQ(devices_of(bob).size(), 1u);
  // Without a token: 401 before anything else.
  EXPECT_TRUE(is_error(server().http().request("DELETE", "/v1/devices/" + bob.device_id()), 401, "unauthorized"));
}

TEST_F(AccountTest, PasswordChangeNeedsTheCurrentPasswordAndKeepsOtherDevicesByDefault) {
  TestUser u = make_user("alice");
  Session phone = login(u, "phone");
  Session laptop = login(u, "laptop");
  EXPECT_TRUE(
      is_error(laptop.call("POST", "/v1/me/password",
                           json::object{{"current_password", "wrong password"}, {"new_password", "new pw 1234"}}),
               401, "bad_credentials"));
  EXPECT_TRUE(is_error(
      laptop.call("POST", "/v1/me/password", json::object{{"current_password", u.password}, {"new_password", "short"}}),
      400, "invalid_request"));
  EXPECT_TRUE(is_error(laptop.call("POST", "/v1/me/password",
                                   json::object{{"current_password", u.password},
                                                {"new_password", "new pw 1234"},
                                                {"logout_other_devices", "yes"}}),
                       400, "invalid_request"));
  EXPECT_TRUE(is_error(laptop.call("POST", "/v1/me/password", json::object{{"new_password", "new pw 1234"}}), 400,
                       "invalid_request"));
  // None of that changed the password.
  EXPECT_NO_THROW(client().login(u.email, u.password));

  EXPECT_TRUE(change_password(laptop, u.password, "new pw 1234", false).empty());
  EXPECT_NO_THROW(phone.me());
  EXPECT_NO_THROW(laptop.me());
  EXPECT_API_ERROR(client().login(u.email, u.password), 401, "bad_credentials");
  EXPECT_NO_THROW(client().login(u.email, "new pw 1234"));
}

TEST_F(AccountTest, PasswordChangeCanLogOutEveryOtherDevice) {
  TestUser u = make_user("alice");
  Session phone = login(u, "phone");
  Session tablet = login(u, "tablet");
  Session laptop = login(u, "laptop");
  auto phone_ws = connect(phone);
  auto laptop_ws = connect(laptop);
  auto out = change_password(laptop, u.password, "new pw 1234", true);
  std::sort(out.begin(), out.end());
  std::vector<std::string> expected{phone.device_id(), tablet.device_id()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(out, expected);
  EXPECT_EQ(phone_ws->wait_closed(kWait), 4401);
  EXPECT_TRUE(is_error(phone.call("GET", "/v1/me"), 401, "unauthorized"));
  EXPECT_TRUE(is_error(tablet.call("GET", "/v1/me"), 401, "unauthorized"));
  EXPECT_NO_THROW(laptop.me());
  EXPECT_TRUE(laptop_ws->is_open());
  auto devices = devices_of(laptop);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_TRUE(devices[0].current);
}

TEST_F(AccountTest, RenameReachesChatMembersLiveAndInChatObjects) {
  TestUser a = make_user("alice");
  Session alice = login(a);
  Session bob = new_session("bob");
  auto chat = alice.create_direct(bob.user_id());
  auto group = bob.create_group("trip", {a.user_id});
  auto bob_ws = connect(bob);

  set_display_name(alice, "Alice Liddell");
  EXPECT_EQ(client::str_field(alice.me(), "display_name"), "Alice Liddell");
  for (const auto& chat_id : {chat.chat_id, group.chat_id}) {
    auto event = bob_ws->next_matching(
        [&](const json::object& f) {
          return client::str_field(f, "type") == "chat" && client::str_field(f, "event") == "member_renamed" &&
                 f.contains("chat") && client::str_field(f.at("chat").as_object(), "chat_id") == chat_id;
        },
        kWait);
    ASSERT_TRUE(event.has_value()) << chat_id;
    auto info = ChatInfo::from_json(event->at("chat").as_object());
    bool seen = false;
    for (const auto& m : info.members) {
      if (m.user_id == a.user_id) seen = m.display_name == "Alice Liddell";
    }
    EXPECT_TRUE(seen) << json::serialize(*event);
  }
  // Chat objects on every node show the new name (other nodes drop their
  // cached name when told; poll for it).
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  std::string shown;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto current = bob.find_chat(group.chat_id);
    for (const auto& m : current->members) {
      if (m.user_id == a.user_id) shown = m.display_name;
    }
    if (shown == "Alice Liddell") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(shown, "Alice Liddell");
  EXPECT_EQ(bob.find_user_by_email(a.email).display_name, "Alice Liddell");
}

TEST_F(AccountTest, BadDisplayNamesAreRefusedAndChangeNothing) {
  Session alice = new_session("alice");
  EXPECT_TRUE(is_error(alice.call("PATCH", "/v1/me", json::object{{"display_name", ""}}), 400, "invalid_request"));
  EXPECT_TRUE(is_error(alice.call("PATCH", "/v1/me", json::object{{"display_name", std::string(201, 'n')}}), 400,
                       "invalid_request"));
  EXPECT_TRUE(is_error(alice.call("PATCH", "/v1/me", json::object{{"display_name", 7}}), 400, "invalid_request"));
  EXPECT_TRUE(is_error(alice.call("PATCH", "/v1/me", json::object{}), 400, "invalid_request"));
  EXPECT_TRUE(
      is_error(send_raw(alice, "PATCH", "/v1/me", "{\"display_name\":\"bad \xC3\x28 byte\"}"), 400, "invalid_request"));
  EXPECT_TRUE(is_error(send_raw(alice, "PATCH", "/v1/me", "{\"display_name\":"), 400, "invalid_json"));
  EXPECT_EQ(client::str_field(alice.me(), "display_name"), "alice");
  // 200 bytes of UTF-8 is the most.
  std::string longest;
  for (int i = 0; i < 100; ++i) longest += "\xC3\xA9";
  set_display_name(alice, longest);
  EXPECT_EQ(client::str_field(alice.me(), "display_name"), longest);
}

class PasswordThrottleTest : public AccountTest {
 protected:
  std::vector<std::string> server_flags() const override {
    return {"--threads", "2", "--login-account-burst", "3", "--login-account-per-minute", "1", "--login-address-burst",
            "0"};
  }
};

TEST_F(PasswordThrottleTest, WrongCurrentPasswordsAreThrottledLikeLogins) {
  TestUser u = make_user("alice");
  Session s = login(u);
  const json::object wrong{{"current_password", "wrong password"}, {"new_password", "new pw 1234"}};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(is_error(s.call("POST", "/v1/me/password", wrong), 401, "bad_credentials"));
  auto throttled = s.call("POST", "/v1/me/password", wrong);
  EXPECT_TRUE(is_error(throttled, 429, "rate_limited"));
  EXPECT_FALSE(throttled.header("Retry-After").empty());
  // The right password waits too, and so does a login to that account (the same budget).
  EXPECT_TRUE(is_error(s.call("POST", "/v1/me/password",
                              json::object{{"current_password", u.password}, {"new_password", "new pw 1234"}}),
                       429, "rate_limited"));
  EXPECT_TRUE(is_error(s.http().post("/v1/login", json::object{{"email", u.email}, {"password", u.password}}), 429,
                       "rate_limited"));
  EXPECT_NO_THROW(s.me());
}

class TokenExpiryTest : public AccountTest {
 protected:
  std::vector<std::string> server_flags() const override {
    return {"--threads", "2", "--login-address-burst", "0", "--token-idle-expiry", "2"};
  }
};

TEST_F(TokenExpiryTest, AnUnusedTokenExpiresAndAUsedOneDoesNot) {
  TestUser u = make_user("alice");
  Session idle = login(u, "idle");
  Session busy = login(u, "busy");
  Session heartbeating = login(u, "heartbeating");
  auto ws = connect(heartbeating);
  ws->start_heartbeat(std::chrono::milliseconds(300));
  // busy uses its token every 300 ms; the idle one is asked only every
  // 2.5 s (an answered request is a use too) and is refused once 2 s have
  // passed without one.
  bool busy_ok = true;
  bool idle_expired = false;
  const auto start = std::chrono::steady_clock::now();
  auto last_idle_check = start;
  while (std::chrono::steady_clock::now() < start + kWait && !idle_expired) {
    busy_ok = busy_ok && busy.call("GET", "/v1/me").status == 200;
    if (std::chrono::steady_clock::now() - last_idle_check >= std::chrono::milliseconds(2500)) {
      idle_expired = idle.call("GET", "/v1/me").status == 401;
      last_idle_check = std::chrono::steady_clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_TRUE(idle_expired);
  EXPECT_TRUE(busy_ok);
  EXPECT_TRUE(is_error(idle.call("GET", "/v1/me"), 401, "unauthorized"));
  // The heartbeating device was never used over REST, yet is alive.
  EXPECT_EQ(heartbeating.call("GET", "/v1/me").status, 200);
  EXPECT_TRUE(ws->is_open());
  auto devices = devices_of(busy);
  EXPECT_EQ(find_device(devices, idle.device_id()), nullptr);
  EXPECT_NE(find_device(devices, heartbeating.device_id()), nullptr);
}

TEST(TokenExpiryFlagTest, OutOfRangeValuesStopStartUpNamingTheFlag) {
  for (const char* value : {"1", "-1", "2s", "", "316224001", "99999999999999999999"}) {
    ServerProcess server({"--token-idle-expiry", value});
    EXPECT_THROW(server.start(), std::runtime_error) << value;
    EXPECT_NE(server.log_tail().find("--token-idle-expiry"), std::string::npos) << value << ": " << server.log_tail();
  }
}

}  // namespace
}  // namespace parley::testing
