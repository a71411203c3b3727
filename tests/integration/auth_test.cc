// Accounts and devices: signup, login, logout, tokens, user lookup.
#include "fixture.h"

namespace parley::testing {
namespace {

class AuthTest : public ParleyTest {};

TEST_F(AuthTest, HealthzIsOk) {
  auto http = server().http();
  EXPECT_EQ(http.get("/healthz").status, 200);
}

TEST_F(AuthTest, SignupReturns201WithUserId) {
  auto http = server().http();
  auto r = http.post(
      "/v1/signup",
      json::object{{"email", "new.user@example.test"}, {"password", "pw-123456"}, {"display_name", "New User"}});
  EXPECT_EQ(r.status, 201) << r.raw;
  ASSERT_TRUE(r.json.is_object()) << r.raw;
  ASSERT_TRUE(r.json.as_object().contains("user_id")) << r.raw;
  EXPECT_TRUE(r.json.at("user_id").is_string()) << "user_id must be a JSON string: " << r.raw;
}

TEST_F(AuthTest, EachLoginIsANewDevice) {
  TestUser u = make_user("alice");
  Session a = login(u, "phone");
  Session b = login(u, "laptop");
  EXPECT_EQ(a.user_id(), u.user_id);
  EXPECT_EQ(b.user_id(), u.user_id);
  EXPECT_FALSE(a.device_id().empty());
  EXPECT_NE(a.device_id(), b.device_id());
  EXPECT_NE(a.token(), b.token());
  // Both tokens work.
  EXPECT_EQ(client::str_field(a.me(), "user_id"), u.user_id);
  EXPECT_EQ(client::str_field(b.me(), "user_id"), u.user_id);
}

TEST_F(AuthTest, MeDescribesTheUser) {
  Session a = new_session("alice");
  auto me = a.me();
  EXPECT_EQ(client::str_field(me, "user_id"), a.user_id());
  EXPECT_EQ(client::str_field(me, "display_name"), "alice");
}

TEST_F(AuthTest, DuplicateEmailIs409EmailTaken) {
  TestUser u = make_user("alice");
  EXPECT_API_ERROR(client().signup(u.email, "other password", "Alice 2"), 409, "email_taken");
  // The original account is untouched: its password still works.
  EXPECT_NO_THROW(login(u));
}

TEST_F(AuthTest, BadCredentialsAre401) {
  TestUser u = make_user("alice");
  EXPECT_API_ERROR(client().login(u.email, "wrong password"), 401, "bad_credentials");
  EXPECT_API_ERROR(client().login("nobody@example.test", "whatever"), 401, "bad_credentials");
  EXPECT_NO_THROW(login(u));
}

TEST_F(AuthTest, MissingOrBadTokenIs401) {
  auto http = server().http();
  EXPECT_TRUE(is_error(http.get("/v1/me"), 401, "unauthorized"));
  EXPECT_TRUE(is_error(http.get("/v1/me", "not-a-token"), 401, "unauthorized"));
  EXPECT_TRUE(is_error(http.get("/v1/chats", std::string(64, 'a')), 401, "unauthorized"));
  client::HttpRequest basic;
  basic.target = "/v1/me";
  basic.extra_headers = {{"Authorization", "Basic dXNlcjpwYXNz"}};
  EXPECT_TRUE(is_error(http.send(basic), 401, "unauthorized"));
}

TEST_F(AuthTest, LogoutRevokesOnlyThatDevicesToken) {
  TestUser u = make_user("alice");
  Session phone = login(u, "phone");
  Session laptop = login(u, "laptop");
  auto r = phone.call("POST", "/v1/logout");
  EXPECT_EQ(r.status, 204) << r.raw;
  EXPECT_TRUE(is_error(phone.call("GET", "/v1/me"), 401, "unauthorized"));
  EXPECT_TRUE(is_error(phone.call("GET", "/v1/chats"), 401, "unauthorized"));
  EXPECT_NO_THROW(laptop.me());

  // The revoked token cannot open a WebSocket session either.
  auto ws = raw_ws();
  ws->send(json::object{{"type", "hello"}, {"token", phone.token()}});
  EXPECT_EQ(ws->wait_closed(kWait), 4401);
}

TEST_F(AuthTest, FindUserByEmail) {
  TestUser bob = make_user("bob");
  Session alice = new_session("alice");
  auto found = alice.find_user_by_email(bob.email);
  EXPECT_EQ(found.user_id, bob.user_id);
  EXPECT_EQ(found.display_name, "bob");
  EXPECT_API_ERROR(alice.find_user_by_email("nobody@example.test"), 404, "not_found");
}

TEST_F(AuthTest, TokensAreOpaqueAndLong) {
  Session a = new_session("alice");
  // 256-bit random tokens: at least 43 characters in any sane encoding.
  EXPECT_GE(a.token().size(), 43u);
}

}  // namespace
}  // namespace parley::testing
