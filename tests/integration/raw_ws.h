#pragma once
// RawWs: a WebSocket client that does only what a test tells it to, for
// abuse the real client library never commits: never reading, reading
// nothing but the handshake, sending a frame a byte at a time.
// Blocking POSIX socket; used from the test thread only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::testing {

class RawWs {
 public:
  // Connects and completes the upgrade handshake; throws std::runtime_error.
  // `receive_buffer` > 0 shrinks the socket's receive buffer first, so a
  // client that stops reading pushes back on the server sooner.
  RawWs(const std::string& host, std::uint16_t port, int receive_buffer = 0);
  ~RawWs();
  RawWs(const RawWs&) = delete;
  RawWs& operator=(const RawWs&) = delete;

  // The whole masked text frame; false once the server has closed or reset.
  bool send_text(std::string_view payload);
  // Raw bytes as they are (e.g. part of a frame); false on a send error.
  bool send_bytes(std::string_view bytes);
  // A masked text frame's header and mask for a payload of `length` bytes,
  // with the payload bytes to follow masked by mask_payload().
  static std::string frame_header(std::size_t length, char mask_key[4]);
  static std::string mask_payload(std::string_view payload, const char mask_key[4]);

  // A masked ping frame carrying `payload` (at most 125 bytes).
  bool send_ping(std::string_view payload);

  // One frame from the server, as it came: its first byte's FIN bit and
  // opcode, whether it was masked (a server must not mask), its payload.
  struct Frame {
    bool fin = false;
    int opcode = 0;
    bool masked = false;
    std::string payload;
  };
  // The next frame, or nothing when none came whole within `timeout_ms` or
  // the connection ended.
  std::optional<Frame> read_frame(int timeout_ms);

  // True when the server ended the connection: reads (discarding data) until
  // EOF or a reset, for at most `timeout_ms`.
  bool closed_by_server_within(int timeout_ms);
  // True when the server has reset or shut the connection, found without
  // reading a byte (a client that reads is not a non-reading client).
  bool hung_up_by_server() const;

 private:
  // Reads exactly `n` more bytes into `buffered_`; false on timeout or end.
  bool fill(std::size_t n, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffered_;  // received, not yet returned by read_frame()
};

}  // namespace parley::testing
