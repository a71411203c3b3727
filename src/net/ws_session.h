#pragma once
// WsSession: one device's WebSocket connection. Lives on its own strand for
// its whole life; everything but push() and close_for_logout() runs there.
//
// Life: accept the upgrade -> wait for `hello` (else close 4401) -> attach
// to the bus, holding live frames back -> replay the backlog page by page
// (core/resume_reader.h says why this is exactly-once) -> `synced` -> live.
// Reading goes on during the replay, so a closed or silent peer is noticed.
// Ends when either side closes; the device's presence then ages out.
//
// Memory per connection is bounded: every frame to the device (events,
// replay pages, replies) counts against max_queued_frames/bytes, and a
// device that does not read or trickles a frame is dropped by the watchdog.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>

#include "core/accounts.h"
#include "core/resume_reader.h"
#include "net/connection_limit.h"
#include "net/net_context.h"
#include "net/token_bucket.h"
#include "protocol/frames.h"

namespace parley {

class WsSession final : public DeviceConnection, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(boost::beast::tcp_stream&& stream, NetContext& context, ConnectionLimit::Slot slot);
  ~WsSession() override;

  // Completes the handshake of `upgrade` and runs the session to its end.
  static void start(std::shared_ptr<WsSession> session,
                    boost::beast::http::request<boost::beast::http::string_body> upgrade);

  const UserId& user_id() const override { return who_.user_id; }
  const DeviceId& device_id() const override { return who_.device_id; }
  void push(const OutboundFrame& frame) override;
  void close_for_logout() override;
  void ask_to_move(const std::string& url) override;

 private:
  enum class State { awaiting_hello, syncing, live, closing };
  using Clock = std::chrono::steady_clock;

  boost::asio::awaitable<void> run(boost::beast::http::request<boost::beast::http::string_body> upgrade);
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<void> replay();
  boost::asio::awaitable<void> wait_for_queue_below(std::size_t frames);
  // Runs `work` on the blocking pool and resumes on this session's strand
  // with its result. `work` is taken by reference and must be a named
  // variable of the caller: g++ 12 destroys a temporary that lives across a
  // co_await twice.
  template <typename T, typename Work>
  boost::asio::awaitable<T> off_strand(Work& work);
  // Authenticates, attaches and opens the resume; false when it closed the connection.
  boost::asio::awaitable<bool> handle_hello(const std::string& text);
  void go_live();
  void handle_frame(const std::string& text);
  void handle(const protocol::ClientFrame& frame);
  void submit_send(const protocol::SendFrame& send);
  // From the bus: held during a resume, dropped when the replay carried it.
  void enqueue(OutboundFrame frame);
  // Gives a live message frame this connection's cursor, advanced to it.
  void complete(OutboundFrame& frame);
  // A frame for this device alone (replies, replay pages).
  void send_text(std::string text);
  // Queues `frame` if the bounds allow, else closes the connection (1008).
  bool admit(std::deque<OutboundFrame>& target, OutboundFrame&& frame);
  void arm_watchdog();
  void close_with(std::uint16_t code, const char* reason);
  // Drops the connection at once, without a closing handshake (the peer is
  // not reading, so a close frame could never be written).
  void abort(const char* why);
  // Drops everything queued or owed and wakes the writer and the replay so
  // they see the session is closing. Every way a session ends goes through here.
  void enter_closing();

  ConnectionLimit::Slot slot_;  // this connection's place under the limit
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  NetContext& ctx_;
  State state_ = State::awaiting_hello;
  AuthContext who_;  // set once by hello, before the session is attached
  bool attached_ = false;
  // From hello until go_live(). Shared with a page read in flight on the
  // blocking pool, which may outlive the session's interest in it.
  std::shared_ptr<ResumeReader> resume_;
  LogPosition synced_up_to_;  // live messages at or below this came with the backlog
  LogPosition position_;      // the cursor of the newest message queued to the device
  std::deque<OutboundFrame> queue_;
  std::deque<OutboundFrame> held_during_sync_;
  std::size_t queued_bytes_ = 0;  // of queue_ and held_during_sync_
  std::size_t unacked_sends_ = 0;
  boost::asio::steady_timer wake_writer_;
  boost::asio::steady_timer watchdog_;
  boost::asio::steady_timer queue_drained_;
  bool watchdog_armed_ = false;
  bool finished_ = false;  // the read loop ended; the watchdog may go
  Clock::time_point created_at_ = Clock::now();
  std::optional<Clock::time_point> write_started_;    // a write is in flight since
  std::optional<Clock::time_point> message_started_;  // part of a frame arrived at
  TokenBucket rate_;
  std::set<UserId> presence_watched_;  // users this connection subscribed to
};

}  // namespace parley
