#include "fixture.h"

#include <cstdlib>
#include <string_view>

#include "cluster/parleyd_cluster.h"
#include "cluster/services.h"

namespace parley::testing {
namespace {

std::string_view test_target() {
  const char* target = std::getenv("PARLEY_TEST_TARGET");
  return target == nullptr ? std::string_view("single") : std::string_view(target);
}

// The engines start once for the binary, and only when a cluster is the target.
[[maybe_unused]] const auto* const kClusterServices =
    test_target() == "cluster" ? ::testing::AddGlobalTestEnvironment(new ClusterServicesEnvironment) : nullptr;

constexpr std::size_t kClusterNodes = 3;

// A draining node would otherwise spread its devices' moves over 10 s.
std::vector<std::string> cluster_flags(std::vector<std::string> flags) {
  flags.insert(flags.end(), {"--drain-seconds", "0"});
  return flags;
}

}  // namespace

bool testing_a_cluster() {
  return test_target() == "cluster";
}

ParleyTest::ParleyTest() = default;
ParleyTest::~ParleyTest() = default;

void ParleyTest::SetUp() {
  if (test_target() != "single" && test_target() != "cluster") {
    FAIL() << "PARLEY_TEST_TARGET must be single or cluster, not \"" << test_target() << "\"";
  }
  if (testing_a_cluster()) {
    cluster_ = std::make_unique<ParleydCluster>(kClusterNodes, cluster_flags(server_flags()));
    return;
  }
  server_ = std::make_unique<ServerProcess>(server_flags());
  server_->start();
}

void ParleyTest::TearDown() {
  cluster_.reset();
  server_.reset();
}

ServerProcess& ParleyTest::server() {
  return cluster_ ? cluster_->node(0) : *server_;
}

const ServerProcess& ParleyTest::next_server() const {
  if (!cluster_) return *server_;
  for (std::size_t tried = 0; tried < cluster_->size(); ++tried) {
    const ServerProcess& node = cluster_->node(next_node_++ % cluster_->size());
    if (node.running()) return node;
  }
  return cluster_->node(0);
}

void ParleyTest::kill_servers() {
  if (!cluster_) return server_->kill9();
  for (std::size_t i = 0; i < cluster_->size(); ++i) {
    if (cluster_->node(i).running()) cluster_->node(i).kill9();
  }
}

int ParleyTest::terminate_servers() {
  if (!cluster_) return server_->terminate();
  int first_failure = 0;
  for (std::size_t i = 0; i < cluster_->size(); ++i) {
    if (!cluster_->node(i).running()) continue;
    const int status = cluster_->node(i).terminate();
    if (first_failure == 0) first_failure = status;
  }
  return first_failure;
}

void ParleyTest::start_servers() {
  if (!cluster_) return server_->start();
  for (std::size_t i = 0; i < cluster_->size(); ++i) {
    if (!cluster_->node(i).running()) cluster_->node(i).start();
  }
  if (!cluster_->wait_ring_size(cluster_->size())) ADD_FAILURE() << "the restarted nodes did not all rejoin the ring";
}

void ParleyTest::restart_servers() {
  EXPECT_EQ(terminate_servers(), 0) << "SIGTERM must exit 0";
  start_servers();
}

std::string ParleyTest::logs_of_every_server() const {
  constexpr std::size_t kLines = 100000;
  if (!cluster_) return server_->log_tail(kLines);
  std::string logs;
  for (std::size_t i = 0; i < cluster_->size(); ++i) logs += cluster_->node(i).log_tail(kLines);
  return logs;
}

void ParleyTest::set_server_flags(const std::vector<std::string>& flags) {
  if (!cluster_) return server_->set_extra_flags(flags);
  cluster_->set_extra_flags(cluster_flags(flags));
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

ChatInfo ParleyTest::accepted_direct(Session& opener, Session& peer) {
  ChatInfo chat = opener.create_direct(peer.user_id());
  peer.accept(chat.chat_id);
  return chat;
}

Session ParleyTest::resume(const Session& s) {
  return client().resume(s.login());
}

std::unique_ptr<WsConnection> ParleyTest::connect(Session& s, const std::optional<std::string>& cursor) {
  const ServerProcess& node = next_server();
  auto ws = WsConnection::connect(node.host(), node.port());
  ws->hello(s.token(), cursor, kWait);
  return ws;
}

std::unique_ptr<WsConnection> ParleyTest::raw_ws() {
  const ServerProcess& node = next_server();
  return WsConnection::connect(node.host(), node.port());
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

void expect_bad_position_reports_refused(WsConnection& member, WsConnection& outsider, const std::string& type,
                                         const std::string& chat_id) {
  auto report = [&](WsConnection& ws, const std::string& chat, const json::value& seq) {
    ws.send(json::object{{"type", type}, {"chat_id", chat}, {"seq", seq}});
  };
  report(outsider, chat_id, 1);
  expect_error_frame(outsider, "forbidden");
  report(outsider, "no-such-chat", 1);
  expect_error_frame(outsider, "not_found");
  for (const json::value& bad : {json::value("1"), json::value(-1), json::value(1.5), json::value(nullptr)}) {
    report(member, chat_id, bad);
    expect_error_frame(member, "invalid_request");
  }
  member.send(json::object{{"type", type}, {"seq", 1}});
  expect_error_frame(member, "invalid_request");
  member.send(json::object{{"type", type}, {"chat_id", chat_id}});
  expect_error_frame(member, "invalid_request");
  EXPECT_TRUE(outsider.is_open());
  EXPECT_TRUE(member.is_open());
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
