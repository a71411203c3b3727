#include "redis_fake_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <stdexcept>
#include <vector>

namespace parley::testing {

FakeRedisServer::FakeRedisServer(Responder respond) : respond_(std::move(respond)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("bind/listen");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

FakeRedisServer::~FakeRedisServer() {
  stopping_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void FakeRedisServer::set_responder(Responder respond) {
  std::lock_guard lock(mutex_);
  respond_ = std::move(respond);
}

std::string FakeRedisServer::received() {
  std::lock_guard lock(mutex_);
  return log_;
}

void FakeRedisServer::run() {
  std::map<int, std::string> connections;  // fd -> bytes received since the last answer
  while (!stopping_) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (const auto& [fd, _] : connections) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        connections[fd];
        ++accepted_;
      }
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      char buf[65536];
      const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(fds[i].fd);
        connections.erase(fds[i].fd);
        continue;
      }
      received_ += static_cast<std::size_t>(n);
      std::string& received = connections[fds[i].fd];
      received.append(buf, static_cast<std::size_t>(n));
      std::string answer;
      {
        std::lock_guard lock(mutex_);
        log_.append(buf, static_cast<std::size_t>(n));
        answer = respond_(received);
      }
      if (answer.empty()) continue;
      received.clear();
      // Best effort: a client that went away is noticed on the next read.
      (void)::send(fds[i].fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
  }
  for (const auto& [fd, _] : connections) ::close(fd);
}

}  // namespace parley::testing
