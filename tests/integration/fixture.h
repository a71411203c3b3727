#pragma once
// Base fixture of the integration tests: one fresh parleyd per test, plus
// helpers to make users, devices and WebSocket connections.
//
// With PARLEY_TEST_TARGET=cluster in the environment the same tests run
// against a fresh 3-node cluster per test (real ZooKeeper, Redis and
// MariaDB, started once for the binary): each new client, login and
// WebSocket goes to the next node in turn, so that a test's users and
// devices are spread over the nodes. Tests of one process's own properties
// (its memory, its descriptor limit, its stats) skip themselves there.
//
// Subclasses pick server flags by overriding server_flags(). All waits are
// polls with deadlines (kWait); nothing sleeps a fixed time to assert.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "lib/session.h"
#include "lib/ws_connection.h"
#include "server_process.h"

namespace parley::testing {

namespace json = boost::json;
using client::ApiError;
using client::ChatInfo;
using client::Client;
using client::HttpResponse;
using client::MessageInfo;
using client::Session;
using client::WsConnection;

// Generous: the machine is shared; a test only waits this long when it fails.
inline constexpr Ms kWait{10000};

class ParleydCluster;

// True when this run targets a cluster (PARLEY_TEST_TARGET=cluster).
bool testing_a_cluster();

struct TestUser {
  std::string email;
  std::string password;
  std::string display_name;
  std::string user_id;
};

class ParleyTest : public ::testing::Test {
 protected:
  // Flags beyond --listen/--data-dir. The default lifts the frame rate limit
  // and the per-address login limit (every test client is 127.0.0.1) so that
  // bursts in tests are not throttled.
  virtual std::vector<std::string> server_flags() const {
    // A test machine's disk may stall a commit for seconds: sends wait
    // rather than being refused (OverloadTest tests the refusal).
    return {"--max-frames-per-second",    "100000", "--threads", "2", "--login-address-burst", "0",
            "--max-pending-send-wait-ms", "60000"};
  }

  ParleyTest();
  ~ParleyTest() override;
  void SetUp() override;
  void TearDown() override;

  // The single node, or node 0 of the cluster.
  ServerProcess& server();
  // A new unauthenticated client, for the next node in turn.
  Client client() const { return next_server().client(); }

  // Every node at once (the one server on a single node); all four wait
  // until each node is back or gone. start_servers() uses the flags of
  // set_server_flags() when it was called.
  void kill_servers();
  // SIGTERM to every node; the first non-zero exit status, else 0.
  int terminate_servers();
  void start_servers();
  // terminate_servers() + start_servers().
  void restart_servers();
  // The logs of every node, one after the other (a push is sent by
  // whichever node holds its shard).
  std::string logs_of_every_server() const;
  // Flags beyond the harness' own for every later start (replacing server_flags()).
  void set_server_flags(const std::vector<std::string>& flags);

  // Signs up a user with a unique email.
  TestUser make_user(const std::string& name);
  // Logs in (a new device) on the server's current port.
  Session login(const TestUser& user, const std::string& device_name = "device");
  // make_user + login.
  Session new_session(const std::string& name);
  // Another device of the user behind `s`.
  Session another_device(const Session& s, const std::string& device_name = "device2");
  // `opener`'s direct chat with `peer`, accepted by `peer` (not a message
  // request any more: each sees the other's presence, receipts and typing).
  ChatInfo accepted_direct(Session& opener, Session& peer);
  // The same device again after a restart (new port, same token).
  Session resume(const Session& s);
  const TestUser& user_of(const Session& s) const { return users_.at(s.user_id()); }

  // Connects `s` to /v1/ws, says hello; fails the test when that fails.
  std::unique_ptr<WsConnection> connect(Session& s, const std::optional<std::string>& cursor = std::nullopt);
  // A raw WebSocket to the server, no hello.
  std::unique_ptr<WsConnection> raw_ws();

  // A unique client_msg_id.
  static std::string cmid(const std::string& prefix = "m");

  // The node the next client or connection goes to (the one server on a
  // single node).
  const ServerProcess& next_server() const;

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<ParleydCluster> cluster_;
  mutable std::size_t next_node_ = 0;
  std::map<std::string, TestUser> users_;
};

// Expects the next error frame on `ws` to carry `code` (and `ref`, if given).
void expect_error_frame(WsConnection& ws, const std::string& code,
                        const std::optional<std::string>& ref = std::nullopt);
// A position report (`type` "read" or "delivered") is refused with its error
// frame, and the connection stays open: from `outsider` (not a member of
// `chat_id`: forbidden), for a chat that does not exist (not_found), and from
// `member` with a seq that is not a non-negative integer or no chat_id
// (invalid_request).
void expect_bad_position_reports_refused(WsConnection& member, WsConnection& outsider, const std::string& type,
                                         const std::string& chat_id);
// Expects `r` to be an error response with this status and error code.
::testing::AssertionResult is_error(const HttpResponse& r, int status, const std::string& code);

// Sequence numbers of `messages`, in the given order.
std::vector<std::int64_t> seqs_of(const std::vector<MessageInfo>& messages);
std::vector<std::int64_t> seqs_of(const std::vector<json::object>& frames);
// 1..n
std::vector<std::int64_t> range_seq(std::int64_t from, std::int64_t to);

}  // namespace parley::testing

// A memory bound on parleyd's RSS means nothing under AddressSanitizer: its
// quarantine keeps up to 256 MiB of freed memory resident, and everything is
// several times slower. Tests of such bounds skip themselves there.
// A test of one parleyd process's own properties (its memory, its
// descriptor limit, its counters) skips itself on a cluster.
#define PARLEY_SINGLE_NODE_ONLY(why)                                                           \
  do {                                                                                         \
    if (::parley::testing::testing_a_cluster()) GTEST_SKIP() << "single node only: " << (why); \
  } while (0)

#if defined(__SANITIZE_ADDRESS__)
#define PARLEY_SKIP_MEMORY_BOUND_UNDER_ASAN() \
  GTEST_SKIP() << "RSS bounds are measured in the normal build (AddressSanitizer keeps freed memory resident)"
#else
#define PARLEY_SKIP_MEMORY_BOUND_UNDER_ASAN() static_cast<void>(0)
#endif

// Runs `stmt`, expecting it to throw ApiError with this HTTP status and code.
#define EXPECT_API_ERROR(stmt, status_, code_)                                       \
  do {                                                                               \
    try {                                                                            \
      stmt;                                                                          \
      ADD_FAILURE() << #stmt " succeeded; expected " << (status_) << " " << (code_); \
    } catch (const ::parley::client::ApiError& e_) {                                 \
      EXPECT_EQ(e_.status(), (status_)) << e_.what();                                \
      EXPECT_EQ(e_.code(), (code_)) << e_.what();                                    \
    }                                                                                \
  } while (0)
