#pragma once
// FakeRedisServer: a TCP listener on 127.0.0.1 (port 0) that answers whatever
// it receives with what the test says: garbage, a scripted reply, or nothing.
// It lets the Redis client's failure paths run without a Redis. One thread of
// its own; the setters are thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace parley::testing {

class FakeRedisServer {
 public:
  // Given the bytes received on one connection since its previous answer,
  // the bytes to send back (empty: send nothing).
  using Responder = std::function<std::string(const std::string& received)>;

  explicit FakeRedisServer(Responder respond);
  ~FakeRedisServer();
  FakeRedisServer(const FakeRedisServer&) = delete;
  FakeRedisServer& operator=(const FakeRedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Connections accepted so far.
  int accepted() const { return accepted_.load(); }
  // Bytes received so far, over all connections.
  std::size_t received_bytes() const { return received_.load(); }
  // Everything received so far, over all connections, in arrival order.
  std::string received();
  void set_responder(Responder respond);

 private:
  void run();

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<std::size_t> received_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  Responder respond_;
  std::string log_;
  std::thread thread_;
};

}  // namespace parley::testing
