#pragma once
// ConnectionPool: up to N connections to one MariaDB database, opened on
// demand, each checked out by one caller at a time.
//
// Blocking by design: the store ports are only called off the I/O threads.
// The pool's mutex guards its idle list and counters only; connecting and
// every query happen without it. A connection that failed at the connection
// level (server gone, restarted, timed out) is closed instead of returned,
// and so is every connection opened before that failure: they are most
// likely dead too, and the next call opens a fresh one.
//
// Thread-safe. Outlives every Lease it handed out.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "store/mariadb/mariadb_connection.h"

namespace parley::mariadb {

class ConnectionPool;

// A checked-out connection; goes back to the pool (or is closed, if broken)
// when destroyed.
class Lease {
 public:
  Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection, std::uint64_t generation, bool fresh)
      : pool_(pool), connection_(std::move(connection)), generation_(generation), fresh_(fresh) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  Connection* operator->() { return connection_.get(); }
  Connection& operator*() { return *connection_; }
  // Opened for this checkout (not reused from the idle list): a connection
  // failure on it is not a leftover of an earlier outage.
  bool fresh() const { return fresh_; }

 private:
  ConnectionPool* pool_;
  std::unique_ptr<Connection> connection_;
  std::uint64_t generation_;
  bool fresh_;
};

class ConnectionPool {
 public:
  // Opens nothing yet. `size` >= 1.
  ConnectionPool(ConnectionConfig config, std::size_t size);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, or a new one if fewer than `size` are open; else
  // waits for one to come back, at most connect_timeout + read_timeout.
  // Fails with unavailable when the server cannot be reached or no
  // connection came back in time.
  Result<Lease> acquire();

  const ConnectionConfig& config() const { return config_; }
  // For tests and stats: connections open now (idle and checked out).
  std::size_t open_connections() const;

 private:
  friend class Lease;
  void release(std::unique_ptr<Connection> connection, std::uint64_t generation);

  const ConnectionConfig config_;
  const std::size_t size_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  // Idle connections with the generation they were opened in.
  std::vector<std::pair<std::unique_ptr<Connection>, std::uint64_t>> idle_;
  std::size_t open_ = 0;
  // Moves on whenever a connection is found dead: the idle ones are closed
  // then, and connections of an older generation are closed when returned.
  std::uint64_t generation_ = 0;
};

}  // namespace parley::mariadb
