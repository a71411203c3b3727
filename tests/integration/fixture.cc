#include "fixture.h"

namespace parley::testing {

void ParleyTest::SetUp() {
  server_ = std::make_unique<ServerProcess>(server_flags());
  server_->start();
}

void ParleyTest::TearDown() {
  server_.reset();
}

TestUser ParleyTest::make_user(const std::string& name) {
  static std::atomic<int> counter{0};
  TestUser u;
  u.email = name + "." + std::to_string(::getpid()) + "." + std::to_string(++counter) + "@example.test";
  u.password = "correct horse " + name;
  u.display_name = name;
  u.user_id = client().signup(u.email, u.password, u.display_name);
  EXPECT_FALSE(u.user_id.empty()) << "signup returned no user_id";
  users_[u.user_id] = u;
  return u;
}

Session ParleyTest::login(const TestUser& user, const std::string& device_name) {
  return client().login(user.email, user.password, device_name);
}

Session ParleyTest::new_session(const std::string& name) {
  return login(make_user(name));
}

Session ParleyTest::another_device(const Session& s, const std::string& device_name) {
  return login(user_of(s), device_name);
}

Session ParleyTest::resume(const Session& s) {
  return client().resume(s.login());
}

std::unique_ptr<WsConnection> ParleyTest::connect(Session& s, const std::optional<std::string>& cursor) {
  auto ws = WsConnection::connect(server_->host(), server_->port());
  ws->hello(s.token(), cursor, kWait);
  return ws;
}

std::unique_ptr<WsConnection> ParleyTest::raw_ws() {
  return WsConnection::connect(server_->host(), server_->port());
}

std::string ParleyTest::cmid(const std::string& prefix) {
  static std::atomic<long> counter{0};
  return prefix + "-" + std::to_string(++counter);
}

void expect_error_frame(WsConnection& ws, const std::string& code, const std::optional<std::string>& ref) {
  auto err = ws.next_of_type("error", kWait);
  ASSERT_TRUE(err.has_value()) << "no error frame (expected " << code << "); open=" << ws.is_open();
  EXPECT_EQ(client::str_field(*err, "code"), code) << json::serialize(*err);
  EXPECT_FALSE(client::str_field(*err, "message").empty()) << json::serialize(*err);
  if (ref) {
    EXPECT_EQ(client::str_field(*err, "ref"), *ref) << json::serialize(*err);
  }
}

::testing::AssertionResult is_error(const HttpResponse& r, int status, const std::string& code) {
  if (r.status == status && r.error_code() == code) {
    if (!r.json.is_object() || !r.json.as_object().contains("error")) {
      return ::testing::AssertionFailure() << "no error object in body: " << r.raw;
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected " << status << " " << code << ", got " << r.status << " " << r.raw;
}

std::vector<std::int64_t> seqs_of(const std::vector<MessageInfo>& messages) {
  std::vector<std::int64_t> out;
  for (const auto& m : messages) out.push_back(m.seq);
  return out;
}

std::vector<std::int64_t> seqs_of(const std::vector<json::object>& frames) {
  std::vector<std::int64_t> out;
  for (const auto& f : frames) out.push_back(client::int_field(f, "seq"));
  return out;
}

std::vector<std::int64_t> range_seq(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

}  // namespace parley::testing
