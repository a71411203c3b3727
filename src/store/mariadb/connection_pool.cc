#include "store/mariadb/connection_pool.h"

#include <chrono>

namespace parley::mariadb {

Lease::~Lease() {
  if (pool_ != nullptr && connection_ != nullptr) pool_->release(std::move(connection_), generation_);
}

ConnectionPool::ConnectionPool(ConnectionConfig config, std::size_t size)
    : config_(std::move(config)), size_(size == 0 ? 1 : size) {}

ConnectionPool::~ConnectionPool() = default;

Result<Lease> ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + config_.connect_timeout + config_.read_timeout;
  for (;;) {
    if (!idle_.empty()) {
      auto [connection, generation] = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection), generation, false);
    }
    if (open_ < size_) break;
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return make_error(ErrorCode::unavailable, "mariadb: every connection of the pool stayed busy");
    }
  }
  ++open_;
  const std::uint64_t generation = generation_;
  lock.unlock();
  auto connection = Connection::open(config_, config_.database);
  if (!connection) {
    lock.lock();
    --open_;
    lock.unlock();
    returned_.notify_one();
    return connection.error();
  }
  return Lease(this, std::move(*connection), generation, true);
}

void ConnectionPool::release(std::unique_ptr<Connection> connection, std::uint64_t generation) {
  // Closed after the lock is released: closing may touch the socket.
  std::vector<std::unique_ptr<Connection>> closing;
  {
    std::lock_guard lock(mutex_);
    if (connection->broken() && generation >= generation_) {
      // Whatever killed this one (a restart, a network cut) most likely
      // killed the idle ones opened before it too.
      generation_ = generation + 1;
      for (auto& [idle, idle_generation] : idle_) closing.push_back(std::move(idle));
      open_ -= idle_.size();
      idle_.clear();
    }
    if (connection->broken() || connection->in_transaction() || generation < generation_) {
      --open_;
      closing.push_back(std::move(connection));
    } else {
      idle_.emplace_back(std::move(connection), generation);
    }
  }
  returned_.notify_all();
}

std::size_t ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace parley::mariadb
