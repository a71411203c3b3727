#pragma once
// CommitCuttingProxy: a TCP relay between a MariaDB client and the server on
// 127.0.0.1, which, once armed, lets a COMMIT through and cuts the client's
// connection as soon as the server answers it. The transaction committed;
// the client only sees its connection lost during COMMIT — the "outcome
// unknown" case, made exact. Test thread arms it; a thread per connection
// direction relays (blocking sockets), all joined when destroyed.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::testing {

class CommitCuttingProxy {
 public:
  // Listens on a free loopback port and relays to 127.0.0.1:server_port.
  explicit CommitCuttingProxy(std::uint16_t server_port);
  ~CommitCuttingProxy();
  CommitCuttingProxy(const CommitCuttingProxy&) = delete;
  CommitCuttingProxy& operator=(const CommitCuttingProxy&) = delete;

  std::uint16_t port() const { return port_; }
  // While armed, every connection that sends a COMMIT is cut once the server
  // has answered it.
  void arm(bool on) { armed_ = on; }
  // COMMITs whose answer was withheld so far.
  int cut() const { return cut_; }

 private:
  struct Link {
    int client = -1;
    int server = -1;
    std::atomic<bool> commit_sent{false};
  };
  void accept_loop();
  void client_to_server(const std::shared_ptr<Link>& link);
  void server_to_client(const std::shared_ptr<Link>& link);

  const std::uint16_t server_port_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> armed_{false};
  std::atomic<int> cut_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::shared_ptr<Link>> links_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace parley::testing
