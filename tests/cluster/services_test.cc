// The cluster's engines as the tests get them: each answers its own protocol
// over TCP on loopback, MariaDB stores rows in MyRocks for the parley
// account, and a service restarted by a test keeps its port (and MariaDB its
// data). Services start once for the binary (ClusterServicesEnvironment).

#include <arpa/inet.h>
#include <mysql.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "poll_until.h"
#include "services.h"

namespace parley::testing {
namespace {

using namespace std::chrono_literals;

// Generous: the machine is shared; a test only waits this long when it fails.
constexpr auto kWait = 20s;

[[maybe_unused]] const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ClusterServicesEnvironment);

// A loopback TCP connection, closed on destruction; -1 when refused.
struct Socket {
  explicit Socket(std::uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd = -1;
};

// Sends `request` and reads until `done(answer)` or the peer closes or the
// deadline passes; nullopt when the connection was refused or failed.
std::optional<std::string> exchange(std::uint16_t port, const std::string& request, bool (*done)(const std::string&)) {
  Socket s(port);
  if (s.fd < 0) return std::nullopt;
  if (::send(s.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    return std::nullopt;
  }
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!done(answer)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{s.fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  return answer;
}

bool never_done(const std::string&) {
  return false;
}
bool line_done(const std::string& answer) {
  return answer.find("\r\n") != std::string::npos;
}

std::optional<std::string> redis_ping(std::uint16_t port) {
  return exchange(port, "*1\r\n$4\r\nPING\r\n", line_done);
}

bool refused(std::uint16_t port) {
  return Socket(port).fd < 0;
}

// Polls `pred` every 50 ms until true or kWait passed.
template <typename Pred>
bool eventually(Pred pred) {
  return poll_until(pred, kWait, 50ms);
}

struct MysqlCloser {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
using Mysql = std::unique_ptr<MYSQL, MysqlCloser>;

// The parley account over TCP (127.0.0.1 forces TCP; "localhost" would mean
// the socket).
Mysql connect_mariadb(std::string* error) {
  const auto& svc = cluster_services();
  Mysql m(mysql_init(nullptr));
  unsigned int timeout = 10;
  mysql_options(m.get(), MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (mysql_real_connect(m.get(), svc.mariadb_host().c_str(), svc.mariadb_user().c_str(),
                         svc.mariadb_password().c_str(), nullptr, svc.mariadb_port(), nullptr, 0) == nullptr) {
    *error = mysql_error(m.get());
    return nullptr;
  }
  return m;
}

// Runs `sql`; returns mysql_error() ("" on success).
std::string exec(MYSQL* m, const std::string& sql) {
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return mysql_error(m);
  if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
  return "";
}

// The first column of every row of `sql`.
std::vector<std::string> column(MYSQL* m, const std::string& sql) {
  std::vector<std::string> out;
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) {
    ADD_FAILURE() << sql << ": " << mysql_error(m);
    return out;
  }
  MYSQL_RES* r = mysql_store_result(m);
  if (r == nullptr) return out;
  while (MYSQL_ROW row = mysql_fetch_row(r)) out.emplace_back(row[0] != nullptr ? row[0] : "NULL");
  mysql_free_result(r);
  return out;
}

TEST(ClusterServices, ZooKeeperAnswersSrvrOnLoopback) {
  const auto answer = exchange(cluster_services().zookeeper_port(), "srvr", never_done);
  ASSERT_TRUE(answer.has_value()) << "ZooKeeper refused " << cluster_services().zookeeper();
  EXPECT_NE(answer->find("Mode: standalone"), std::string::npos) << *answer;
  EXPECT_EQ(cluster_services().zookeeper().rfind("127.0.0.1:", 0), 0u);
}

TEST(ClusterServices, RedisAnswersPing) {
  EXPECT_EQ(redis_ping(cluster_services().redis_port()), "+PONG\r\n");
}

TEST(ClusterServices, MariaDbStoresRowsInMyRocksForTheParleyAccount) {
  std::string error;
  Mysql m = connect_mariadb(&error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(column(m.get(), "SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE='ROCKSDB'"),
            std::vector<std::string>{"YES"});
  ASSERT_EQ(exec(m.get(), "CREATE DATABASE IF NOT EXISTS parley_probe"), "");
  ASSERT_EQ(exec(m.get(),
                 "CREATE OR REPLACE TABLE parley_probe.messages (chat_id BIGINT NOT NULL, seq BIGINT NOT NULL,"
                 " body VARBINARY(4096) NOT NULL, PRIMARY KEY (chat_id, seq)) ENGINE=ROCKSDB"),
            "");
  ASSERT_EQ(exec(m.get(), "INSERT INTO parley_probe.messages VALUES (7, 1, 'one'), (7, 2, 'two'), (8, 1, 'other')"),
            "");
  EXPECT_EQ(column(m.get(), "SELECT body FROM parley_probe.messages WHERE chat_id = 7 ORDER BY seq"),
            (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(column(m.get(),
                   "SELECT ENGINE FROM information_schema.TABLES"
                   " WHERE TABLE_SCHEMA = 'parley_probe' AND TABLE_NAME = 'messages'"),
            std::vector<std::string>{"ROCKSDB"});
  // The account reaches parley% databases only.
  EXPECT_NE(exec(m.get(), "CREATE DATABASE probe_outside_parley"), "");
  EXPECT_NE(exec(m.get(), "SELECT COUNT(*) FROM mysql.user"), "");
}

// A single index block per table file stops fitting a small block cache as
// the message tables grow, and every unique-key check on insert reads it
// again (docs/benchmarks.md, "MariaDB as the message tables grow").
TEST(ClusterServices, MyRocksTableFilesHaveAPartitionedIndexAndBloomFilters) {
  std::string error;
  Mysql m = connect_mariadb(&error);
  ASSERT_TRUE(m) << error;
  const auto options = column(m.get(), "SELECT @@rocksdb_default_cf_options");
  ASSERT_EQ(options.size(), 1u);
  EXPECT_NE(options[0].find("index_type=kTwoLevelIndexSearch"), std::string::npos) << options[0];
  EXPECT_NE(options[0].find("partition_filters=true"), std::string::npos) << options[0];
  EXPECT_NE(options[0].find("filter_policy=bloomfilter:"), std::string::npos) << options[0];
  EXPECT_EQ(column(m.get(), "SELECT @@rocksdb_block_size"), std::vector<std::string>{"16384"});
}

TEST(ClusterServices, RedisRestartKeepsItsPort) {
  auto& svc = cluster_services();
  const std::uint16_t port = svc.redis_port();
  const pid_t before = svc.pid(ClusterServices::kRedis);
  ASSERT_GT(before, 0);

  svc.stop(ClusterServices::kRedis);
  EXPECT_EQ(svc.pid(ClusterServices::kRedis), 0);
  EXPECT_TRUE(eventually([&] { return refused(port); })) << "redis still listening on " << port;

  svc.start(ClusterServices::kRedis);
  EXPECT_EQ(svc.redis_port(), port);
  EXPECT_NE(svc.pid(ClusterServices::kRedis), before);
  EXPECT_EQ(redis_ping(port), "+PONG\r\n");

  svc.restart(ClusterServices::kRedis);
  EXPECT_EQ(svc.redis_port(), port);
  EXPECT_EQ(redis_ping(port), "+PONG\r\n");
}

TEST(ClusterServices, MariaDbRestartKeepsItsPortAndData) {
  auto& svc = cluster_services();
  std::string error;
  {
    Mysql m = connect_mariadb(&error);
    ASSERT_TRUE(m) << error;
    ASSERT_EQ(exec(m.get(), "CREATE DATABASE IF NOT EXISTS parley_probe"), "");
    ASSERT_EQ(exec(m.get(), "CREATE OR REPLACE TABLE parley_probe.kept (id INT PRIMARY KEY) ENGINE=ROCKSDB"), "");
    ASSERT_EQ(exec(m.get(), "INSERT INTO parley_probe.kept VALUES (42)"), "");
  }
  const std::uint16_t port = svc.mariadb_port();
  svc.restart(ClusterServices::kMariaDb);
  EXPECT_EQ(svc.mariadb_port(), port);
  Mysql m = connect_mariadb(&error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(column(m.get(), "SELECT id FROM parley_probe.kept"), std::vector<std::string>{"42"});
}

}  // namespace
}  // namespace parley::testing
