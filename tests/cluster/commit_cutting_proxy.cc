#include "commit_cutting_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string_view>

namespace parley::testing {

namespace {

// COM_QUERY (0x03) followed by the statement text, as MariaDB Connector/C
// sends a COMMIT run with mysql_real_query.
constexpr std::string_view kCommit(
    "\x03"
    "COMMIT");

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

CommitCuttingProxy::CommitCuttingProxy(std::uint16_t server_port) : server_port_(server_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 16) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error(std::string("proxy: cannot listen: ") + std::strerror(errno));
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

CommitCuttingProxy::~CommitCuttingProxy() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  ::close(listener_);
  {
    std::lock_guard lock(mutex_);
    for (auto& link : links_) {
      ::shutdown(link->client, SHUT_RDWR);
      ::shutdown(link->server, SHUT_RDWR);
    }
  }
  for (auto& t : threads_) t.join();
  for (auto& link : links_) {
    ::close(link->client);
    ::close(link->server);
  }
}

void CommitCuttingProxy::accept_loop() {
  for (;;) {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;  // shut down
    const int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server_port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(client);
      if (server >= 0) ::close(server);
      continue;
    }
    auto link = std::make_shared<Link>();
    link->client = client;
    link->server = server;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(client);
      ::close(server);
      return;
    }
    links_.push_back(link);
    threads_.emplace_back([this, link] { client_to_server(link); });
    threads_.emplace_back([this, link] { server_to_client(link); });
  }
}

void CommitCuttingProxy::client_to_server(const std::shared_ptr<Link>& link) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(link->client, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    const std::string_view chunk(buffer, static_cast<std::size_t>(n));
    // Marked before it is sent, so the answer cannot overtake the mark.
    if (armed_ && chunk.find(kCommit) != std::string_view::npos) link->commit_sent = true;
    if (!write_all(link->server, buffer, chunk.size())) break;
  }
  ::shutdown(link->server, SHUT_RDWR);
}

void CommitCuttingProxy::server_to_client(const std::shared_ptr<Link>& link) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(link->server, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    if (link->commit_sent) {
      // The server has answered the COMMIT: it is done. The client never hears.
      ++cut_;
      break;
    }
    if (!write_all(link->client, buffer, static_cast<std::size_t>(n))) break;
  }
  ::shutdown(link->client, SHUT_RDWR);
  ::shutdown(link->server, SHUT_RDWR);
}

}  // namespace parley::testing
