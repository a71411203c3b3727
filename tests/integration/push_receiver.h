#pragma once
// A minimal HTTP/1.1 server on 127.0.0.1 that records the POSTs parleyd's
// webhook push provider makes. Plain sockets, one accept thread, one request
// per connection ("Connection: close").
//
// The port is fixed at construction (free_port() unless given), so a test can
// register url() while the receiver is NOT listening yet (connections are
// refused), and start() it later on the same port.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

namespace parley::testing {

struct PushRequest {
  std::string method;
  std::string target;
  std::string body;
  boost::json::object json;  // empty when the body is not a JSON object
  int answered_status = 0;
  // Header names lower-cased, values as sent, in order.
  std::vector<std::pair<std::string, std::string>> headers;
  // The value of header `name` (lower-case); empty when absent.
  std::string header(const std::string& name) const;
};

class PushReceiver {
 public:
  explicit PushReceiver(std::uint16_t port = 0);
  ~PushReceiver();
  PushReceiver(const PushReceiver&) = delete;
  PushReceiver& operator=(const PushReceiver&) = delete;

  void start();  // bind + listen + accept thread; throws on failure
  void stop();   // closes the listener; later connections are refused

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/push") const;

  // The next `n` requests are answered with `status` (e.g. 500) instead of 200.
  // With `location`, those answers carry it as a Location header (redirects).
  void fail_next(int n, int status = 500, const std::string& location = "");
  // What requests are answered when nothing else is asked (200 unless set).
  void set_default_status(int status) { default_status_ = status; }
  // The next requests are answered these statuses, in order (before fail_next's).
  void answer_next(const std::vector<int>& statuses);

  std::vector<PushRequest> requests() const;
  // TCP connections accepted so far, whether or not a request followed.
  int connections() const { return connections_.load(); }
  // Requests answered 2xx whose JSON satisfies `pred`.
  std::vector<boost::json::object> accepted(
      const std::function<bool(const boost::json::object&)>& pred = nullptr) const;
  // Waits for an accepted request whose JSON satisfies `pred`.
  std::optional<boost::json::object> wait_for(
      const std::function<bool(const boost::json::object&)>& pred,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(15000)) const;

 private:
  void accept_loop();
  void serve(int fd);

  std::uint16_t port_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<PushRequest> requests_;
  std::atomic<int> default_status_{200};
  std::vector<int> scripted_;  // answer_next, front first
  int fail_remaining_ = 0;
  int fail_status_ = 500;
  std::string fail_location_;
};

}  // namespace parley::testing
