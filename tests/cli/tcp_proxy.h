#pragma once
// A TCP forwarder on a free loopback port in front of parleyd, so that a test
// can cut every connection going through it (drop_all) without restarting the
// server — which would move parleyd to another port (see ServerProcess).
// New connections are accepted again right away: a client that reconnects
// reaches the server.
//
// Runs one accept thread and one thread per forwarded connection; the public
// methods may be called from the test thread.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::testing {

class TcpProxy {
 public:
  TcpProxy(std::string upstream_host, std::uint16_t upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Connections accepted so far.
  int accepted() const { return accepted_.load(); }
  // Resets every connection currently forwarded (both sides see it end).
  void drop_all();

 private:
  void accept_loop();
  void forward(int client_fd, int upstream_fd);

  std::string upstream_host_;
  std::uint16_t upstream_port_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> live_fds_;            // guarded by mu_
  std::vector<std::thread> forwarders_;  // guarded by mu_
};

}  // namespace parley::testing
