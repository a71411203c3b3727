#include "push_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <stdexcept>

#include <boost/json.hpp>

#include "server_process.h"

namespace parley::testing {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads from fd until `pred(buffer)` or EOF/error/timeout (SO_RCVTIMEO).
bool read_until(int fd, std::string& buf, const std::function<bool(const std::string&)>& pred) {
  char chunk[4096];
  while (!pred(buf)) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

PushReceiver::PushReceiver(std::uint16_t port) : port_(port != 0 ? port : free_port()) {}

PushReceiver::~PushReceiver() {
  stop();
}

std::string PushReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void PushReceiver::start() {
  if (listen_fd_ >= 0) return;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("push receiver bind/listen on " + std::to_string(port_) + ": " + err);
  }
  listen_fd_ = fd;
  stopping_ = false;
  thread_ = std::thread([this] { accept_loop(); });
}

void PushReceiver::stop() {
  if (listen_fd_ < 0) return;
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void PushReceiver::fail_next(int n, int status, const std::string& location) {
  std::lock_guard lock(mu_);
  fail_location_ = location;
  fail_remaining_ = n;
  fail_status_ = status;
}

void PushReceiver::answer_next(const std::vector<int>& statuses) {
  std::lock_guard lock(mu_);
  scripted_.insert(scripted_.end(), statuses.begin(), statuses.end());
}

void PushReceiver::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    serve(fd);
    ::close(fd);
  }
}

void PushReceiver::serve(int fd) {
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string buf;
  if (!read_until(fd, buf, [](const std::string& b) { return b.find("\r\n\r\n") != b.npos; })) {
    return;
  }
  const std::size_t header_end = buf.find("\r\n\r\n") + 4;
  PushRequest req;
  const std::size_t line_end = buf.find("\r\n");
  const std::string request_line = buf.substr(0, line_end);
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = request_line.find(' ', sp1 + 1);
  req.method = request_line.substr(0, sp1);
  req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::size_t content_length = 0;
  const std::string headers = lower(buf.substr(0, header_end));
  for (std::size_t at = line_end + 2; at + 2 < header_end;) {
    const std::size_t end = buf.find("\r\n", at);
    const std::string line = buf.substr(at, end - at);
    if (const std::size_t colon = line.find(':'); colon != std::string::npos) {
      const std::size_t value = line.find_first_not_of(' ', colon + 1);
      req.headers.emplace_back(lower(line.substr(0, colon)),
                               value == std::string::npos ? std::string() : line.substr(value));
    }
    at = end + 2;
  }
  if (auto pos = headers.find("\r\ncontent-length:"); pos != std::string::npos) {
    content_length = std::stoul(headers.substr(pos + 17));
  }
  read_until(fd, buf, [&](const std::string& b) { return b.size() >= header_end + content_length; });
  req.body = buf.substr(header_end, content_length);
  boost::json::error_code ec;
  auto v = boost::json::parse(req.body, ec);
  if (!ec && v.is_object()) req.json = v.as_object();

  int status = default_status_.load();
  std::string location;
  {
    std::lock_guard lock(mu_);
    if (!scripted_.empty()) {
      status = scripted_.front();
      scripted_.erase(scripted_.begin());
    } else if (fail_remaining_ > 0) {
      --fail_remaining_;
      status = fail_status_;
      location = fail_location_;
    }
    req.answered_status = status;
    requests_.push_back(req);
  }
  const std::string reason = status / 100 == 2 ? "OK" : "Error";
  const std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                               "\r\nContent-Length: 0\r\nConnection: close\r\n" +
                               (location.empty() ? "" : "Location: " + location + "\r\n") + "\r\n";
  ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
}

std::string PushRequest::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

std::vector<PushRequest> PushReceiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<boost::json::object> PushReceiver::accepted(
    const std::function<bool(const boost::json::object&)>& pred) const {
  std::lock_guard lock(mu_);
  std::vector<boost::json::object> out;
  for (const auto& r : requests_) {
    if (r.answered_status / 100 == 2 && (!pred || pred(r.json))) out.push_back(r.json);
  }
  return out;
}

std::optional<boost::json::object> PushReceiver::wait_for(const std::function<bool(const boost::json::object&)>& pred,
                                                          std::chrono::milliseconds timeout) const {
  std::optional<boost::json::object> found;
  eventually(
      [&] {
        auto matches = accepted(pred);
        if (!matches.empty()) found = matches.front();
        return found.has_value();
      },
      timeout);
  return found;
}

}  // namespace parley::testing
