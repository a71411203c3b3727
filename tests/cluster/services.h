#pragma once
// The engines of a Parley cluster for tests: one private ZooKeeper, Redis and
// MariaDB (with MyRocks), started by scripts/services.sh in a fresh temp dir
// on free loopback ports, and stopped by PID at the end.
//
// Start them once per test binary (they take seconds), through
// ClusterServicesEnvironment; tests reach them with cluster_services().
// Tests may stop, start or restart one service (a Redis restart under load);
// a service keeps its port and its data across that. Used from the test
// thread only.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace parley::testing {

class ClusterServices {
 public:
  static constexpr const char* kZooKeeper = "zookeeper";
  static constexpr const char* kRedis = "redis";
  static constexpr const char* kMariaDb = "mariadb";

  // Runs `services.sh up` into a new temp dir and waits until all three are
  // healthy. Throws std::runtime_error with the script's output on failure.
  ClusterServices();
  // Runs `services.sh down` (if down() has not) and removes the temp dir
  // (kept with PARLEY_KEEP_TEST_DIRS=1). When a test failed, prints the tail
  // of each service's log first.
  ~ClusterServices();
  ClusterServices(const ClusterServices&) = delete;
  ClusterServices& operator=(const ClusterServices&) = delete;

  // One service, by name (kZooKeeper, kRedis, kMariaDb). start() returns once
  // it is healthy; all three throw std::runtime_error when the script fails.
  void start(const std::string& service);
  void stop(const std::string& service);
  void restart(const std::string& service);
  // Stops all three. Idempotent.
  void down();

  // "127.0.0.1:PORT", the form parleyd's --zookeeper and --redis take.
  std::string zookeeper() const { return value("PARLEY_ZOOKEEPER"); }
  std::string redis() const { return value("PARLEY_REDIS"); }
  std::uint16_t zookeeper_port() const { return port_of(zookeeper()); }
  std::uint16_t redis_port() const { return port_of(redis()); }
  std::string mariadb_host() const { return value("PARLEY_MARIADB_HOST"); }
  std::uint16_t mariadb_port() const;
  std::string mariadb_socket() const { return value("PARLEY_MARIADB_SOCKET"); }
  // An account with all privileges on databases named parley%, over TCP
  // from 127.0.0.1; Parley creates its databases itself.
  std::string mariadb_user() const { return value("PARLEY_MARIADB_USER"); }
  std::string mariadb_password() const { return value("PARLEY_MARIADB_PASSWORD"); }
  // The running service's PID, or 0 while it is stopped.
  pid_t pid(const std::string& service) const;

  const std::string& dir() const { return dir_; }
  std::string log_tail(const std::string& service, std::size_t lines = 30) const;

 private:
  // Runs services.sh with these arguments, then re-reads services.env.
  void run(const std::string& command, const std::string& service = "");
  void read_env();
  std::string value(const std::string& key) const;
  static std::uint16_t port_of(const std::string& address);

  std::string dir_;
  std::map<std::string, std::string> env_;
  bool up_ = false;
};

// Owns the binary's one ClusterServices: register it with
// ::testing::AddGlobalTestEnvironment (it starts the services in SetUp, so
// --gtest_list_tests starts nothing).
class ClusterServicesEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
};

// The services of the current test binary; only between the environment's
// SetUp and TearDown.
ClusterServices& cluster_services();

}  // namespace parley::testing
