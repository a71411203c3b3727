#pragma once
// WebSocket connection to parleyd (ws://host:port/v1/ws).
//
// Each WsConnection runs its own I/O thread: it reads continuously and queues
// every incoming text frame (parsed as JSON), and it performs the writes that
// send*() enqueue, in call order, one at a time. All public methods are
// thread-safe. Beast/Asio live in ws_connection.cc only.
//
// Frame queue: next() pops the oldest frame. next_of_type()/next_matching()
// remove the FIRST queued (or arriving) frame that matches and leave every
// other frame queued in its original order, so a test can wait for an `ack`
// and later still see the `message` frames that arrived before it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace parley::client {

class WsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Ms = std::chrono::milliseconds;
inline constexpr Ms kDefaultWait{5000};

// Close code reported when the TCP connection ended without a close frame.
inline constexpr int kCloseAbnormal = 1006;

struct WsOptions {
  std::string target = "/v1/ws";
  Ms connect_timeout{5000};
  // Largest incoming message accepted; bigger ones fail the connection.
  std::uint64_t max_incoming_bytes = std::uint64_t{64} << 20;
  // Keep every received frame for history(). Long-lived connections (the
  // CLI's watch) turn this off so memory does not grow with traffic.
  bool keep_history = true;
};

struct Ack {
  std::string chat_id;
  std::string client_msg_id;
  std::int64_t seq = 0;
  std::int64_t ts = 0;
};

// Outcome of a WS send: either an ack or an error frame (ref = client_msg_id).
struct SendOutcome {
  std::optional<Ack> ack;
  std::string error_code;     // set when the server answered with an error frame
  boost::json::object frame;  // the ack or error frame as received
  bool ok() const { return ack.has_value(); }
};

class WsConnection {
 public:
  // Connects and completes the WebSocket handshake; throws WsError on failure.
  static std::unique_ptr<WsConnection> connect(const std::string& host, std::uint16_t port, WsOptions options = {});
  // Closes (code 1000) if still open and joins the I/O thread.
  ~WsConnection();
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // --- writing (asynchronous, ordered; silently dropped once closed) ---
  void send(const boost::json::value& frame);
  void send_text(std::string text);
  void send_binary(std::string bytes);
  // Waits until every enqueued write has completed (or failed). False on timeout.
  bool flush(Ms timeout = kDefaultWait);

  // --- reading ---
  // Oldest queued frame, waiting up to `timeout` for one.
  std::optional<boost::json::value> next(Ms timeout = kDefaultWait);
  // First frame whose "type" equals `type` (others stay queued).
  std::optional<boost::json::object> next_of_type(std::string_view type, Ms timeout = kDefaultWait);
  // First object frame satisfying `pred` (others stay queued).
  std::optional<boost::json::object> next_matching(const std::function<bool(const boost::json::object&)>& pred,
                                                   Ms timeout = kDefaultWait);
  // Removes and returns every frame up to and including the first of type
  // `type`, in arrival order; nullopt (nothing removed) on timeout.
  std::optional<std::vector<boost::json::object>> take_until_type(std::string_view type, Ms timeout = kDefaultWait);
  // Removes and returns every queued frame without waiting.
  std::vector<boost::json::value> take_all();
  std::size_t queued() const;
  // Every text frame received so far, in order (kept even after being popped;
  // empty when WsOptions::keep_history is false).
  std::vector<boost::json::value> history() const;

  // --- lifecycle ---
  // Close code sent by the server once the connection has ended (1006 when it
  // ended without a close frame); nullopt if still open after `timeout`.
  std::optional<int> wait_closed(Ms timeout = kDefaultWait);
  bool is_open() const;
  // How the connection ended: the close reason text, or the transport error.
  std::string close_detail() const;
  // Sends a close frame and waits (bounded) for the server's; then tears down.
  void close(int code = 1000);
  // Drops the TCP connection without a close handshake (simulates a crash).
  void abort();

  // Sends {"type":"heartbeat"} every `interval` until stop_heartbeat()/close.
  void start_heartbeat(Ms interval);
  void stop_heartbeat();

  // --- Parley protocol helpers (ws_protocol.cc) ---
  // Sends hello and waits for welcome. Throws WsError when the server answers
  // with anything else or closes (the message carries the close code).
  boost::json::object hello(const std::string& token, const std::optional<std::string>& cursor = std::nullopt,
                            Ms timeout = kDefaultWait);
  // The welcome frame received by hello(), empty before.
  const boost::json::object& welcome() const { return welcome_; }

  void send_message(const std::string& chat_id, const std::string& client_msg_id, const std::string& text);
  // Sends and waits for the ack or error frame referring to client_msg_id.
  // Throws WsError on timeout.
  SendOutcome send_and_wait(const std::string& chat_id, const std::string& client_msg_id, const std::string& text,
                            Ms timeout = kDefaultWait);
  // Any `send` frame (an action, a reply: docs/protocol.md); waits like send_and_wait.
  SendOutcome send_frame_and_wait(const boost::json::object& frame, Ms timeout = kDefaultWait);
  // Next `message` frame, optionally restricted to one chat.
  std::optional<boost::json::object> next_message(Ms timeout = kDefaultWait, std::optional<std::string> chat_id = {});
  // After hello(token, cursor): every `message` until `synced` (which is also
  // returned). Frames of other types met on the way stay queued.
  struct Backlog {
    std::vector<boost::json::object> messages;
    boost::json::object synced;
  };
  std::optional<Backlog> collect_backlog(Ms timeout = kDefaultWait);
  // Newest `cursor` seen on any popped or queued frame (message, welcome, synced).
  std::string last_cursor() const;

 private:
  struct Impl;
  explicit WsConnection(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
  boost::json::object welcome_;
};

// Small typed accessors for JSON frames, tolerant of missing fields.
std::string str_field(const boost::json::object& o, std::string_view key);
std::int64_t int_field(const boost::json::object& o, std::string_view key, std::int64_t def = -1);
std::string frame_type(const boost::json::value& v);

}  // namespace parley::client
