#pragma once
// WsSession: one device's WebSocket connection. Lives on its own strand for
// its whole life; everything but push() and close_for_logout() runs there.
//
// Life: accept the upgrade -> wait for `hello` (else close 4401) -> attach
// to the bus, buffering live frames -> replay the backlog since the cursor
// in log-offset order -> `synced` -> live. Ends when either side closes;
// the device's presence then simply ages out.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <set>
#include <memory>
#include <optional>

#include "core/accounts.h"
#include "net/net_context.h"
#include "net/token_bucket.h"
#include "protocol/frames.h"

namespace parley {

class WsSession final : public DeviceConnection, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(boost::beast::tcp_stream&& stream, NetContext& context);
  ~WsSession() override;

  // Completes the handshake of `upgrade` and runs the session to its end.
  static void start(std::shared_ptr<WsSession> session,
                    boost::beast::http::request<boost::beast::http::string_body> upgrade);

  const UserId& user_id() const override { return who_.user_id; }
  const DeviceId& device_id() const override { return who_.device_id; }
  void push(const OutboundFrame& frame) override;
  void close_for_logout() override;

 private:
  enum class State { awaiting_hello, syncing, live, closing };

  boost::asio::awaitable<void> run(boost::beast::http::request<boost::beast::http::string_body> upgrade);
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> hello_deadline();
  boost::asio::awaitable<bool> handle_hello(const std::string& text);
  boost::asio::awaitable<void> replay_backlog(LogOffset after, LogOffset up_to);
  boost::asio::awaitable<void> wait_for_queue_below(std::size_t frames);
  void handle_frame(const std::string& text);
  void handle(const protocol::ClientFrame& frame);
  void enqueue(OutboundFrame frame);
  void send_text(std::string text);
  void close_with(std::uint16_t code, const char* reason);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  NetContext& ctx_;
  State state_ = State::awaiting_hello;
  AuthContext who_;  // set once by hello, before the session is attached
  bool attached_ = false;
  LogOffset synced_up_to_ = 0;  // live messages at or below this came with the backlog
  std::deque<OutboundFrame> queue_;
  std::deque<OutboundFrame> held_during_sync_;
  boost::asio::steady_timer wake_writer_;
  boost::asio::steady_timer hello_timer_;
  boost::asio::steady_timer queue_drained_;
  TokenBucket rate_;
  std::set<UserId> presence_watched_;  // users this connection subscribed to
};

}  // namespace parley
