#include "raw_ws.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace parley::testing {

RawWs::RawWs(const std::string& host, std::uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("connect failed: " + std::string(std::strerror(errno)));
  }
  std::string upgrade = "GET /v1/ws HTTP/1.1\r\nHost: " + host +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (!send_bytes(upgrade)) throw std::runtime_error("upgrade request failed");
  // Read the response byte by byte so nothing after its end is consumed.
  std::string response;
  char c;
  while (response.size() < 8192 && response.find("\r\n\r\n") == std::string::npos) {
    if (::recv(fd_, &c, 1, 0) != 1) throw std::runtime_error("no upgrade response");
    response.push_back(c);
  }
  if (response.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("upgrade refused: " + response);
}

RawWs::~RawWs() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawWs::send_bytes(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string RawWs::frame_header(std::size_t length, char mask_key[4]) {
  std::string h;
  h.push_back(static_cast<char>(0x81));  // FIN, text
  if (length < 126) {
    h.push_back(static_cast<char>(0x80 | length));
  } else if (length < 65536) {
    h.push_back(static_cast<char>(0x80 | 126));
    h.push_back(static_cast<char>(length >> 8));
    h.push_back(static_cast<char>(length & 0xff));
  } else {
    h.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) h.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  }
  static const char kKey[4] = {0x12, 0x34, 0x56, 0x78};
  std::memcpy(mask_key, kKey, 4);
  h.append(kKey, 4);
  return h;
}

std::string RawWs::mask_payload(std::string_view payload, const char mask_key[4]) {
  std::string out(payload);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(out[i] ^ mask_key[i % 4]);
  return out;
}

bool RawWs::send_text(std::string_view payload) {
  char key[4];
  std::string frame = frame_header(payload.size(), key);
  frame += mask_payload(payload, key);
  return send_bytes(frame);
}

bool RawWs::send_ping(std::string_view payload) {
  char key[4];
  std::string frame = frame_header(payload.size(), key);
  frame[0] = static_cast<char>(0x89);  // FIN, ping
  frame += mask_payload(payload, key);
  return send_bytes(frame);
}

bool RawWs::fill(std::size_t n, std::chrono::steady_clock::time_point deadline) {
  char buf[65536];
  while (buffered_.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    auto got = ::recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) return false;
    buffered_.append(buf, static_cast<std::size_t>(got));
  }
  return true;
}

std::optional<RawWs::Frame> RawWs::read_frame(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  if (!fill(2, deadline)) return std::nullopt;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(buffered_[i]); };
  Frame frame;
  frame.fin = (byte(0) & 0x80) != 0;
  frame.opcode = byte(0) & 0x0f;
  frame.masked = (byte(1) & 0x80) != 0;
  std::size_t length = byte(1) & 0x7f;
  std::size_t header = 2;
  if (length == 126 || length == 127) {
    const std::size_t extra = length == 126 ? 2 : 8;
    if (!fill(2 + extra, deadline)) return std::nullopt;
    length = 0;
    for (std::size_t i = 0; i < extra; ++i) length = (length << 8) | byte(2 + i);
    header += extra;
  }
  if (frame.masked) header += 4;
  if (!fill(header + length, deadline)) return std::nullopt;
  frame.payload = buffered_.substr(header, length);
  if (frame.masked) {
    frame.payload = mask_payload(frame.payload, buffered_.data() + header - 4);
  }
  buffered_.erase(0, header + length);
  return frame;
}

bool RawWs::hung_up_by_server() const {
  pollfd p{fd_, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) != 0;
}

bool RawWs::closed_by_server_within(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready <= 0) continue;
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;  // EOF or reset
  }
}

}  // namespace parley::testing
