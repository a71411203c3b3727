#pragma once
// WsSession: one device's WebSocket connection. Lives on its loop (a strand
// shared with other connections, net/loop_courier.h) for its whole life;
// everything but push(), close_for_logout() and ask_to_move() runs there.
//
// Frames whose handling may wait for the store or Redis (presence_subscribe,
// read, and a send or typing on a chat not cached yet) run on the blocking
// pool through two lanes of this session (ws_frames.cc), so the strand — and
// the I/O thread under it — never waits for them.
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

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <set>

#include "core/accounts.h"
#include "core/resume_reader.h"
#include "net/connection_limit.h"
#include "net/frame_queue.h"
#include "net/gated_stream.h"
#include "net/net_context.h"
#include "net/token_bucket.h"
#include "net/write_pacer.h"
#include "protocol/frames.h"

namespace parley {

class WsSession final : public DeviceConnection, public PacedWriter, public std::enable_shared_from_this<WsSession> {
 public:
  // `socket` runs on loop number `loop` of the server's courier, whose
  // writes `pacer` paces.
  WsSession(boost::asio::ip::tcp::socket&& socket, NetContext& context, ConnectionLimit::Slot slot, std::size_t loop,
            WritePacer& pacer);
  ~WsSession() override;

  // Completes the handshake of `upgrade` and runs the session to its end.
  static void start(std::shared_ptr<WsSession> session,
                    boost::beast::http::request<boost::beast::http::string_body> upgrade);

  const UserId& user_id() const override { return who_.user_id; }
  const DeviceId& device_id() const override { return who_.device_id; }
  void push(const OutboundFrame& frame) override;
  std::size_t loop() const override { return loop_; }
  void push_on_loop(const OutboundFrame& frame) override { enqueue(frame); }
  void close_for_logout() override;
  void ask_to_move(const std::string& url) override;
  void write_paced() override;

 private:
  enum class State { awaiting_hello, syncing, live, closing };
  using Clock = std::chrono::steady_clock;
  // Runs jobs on the blocking pool one at a time, in the order they were posted.
  using PoolLane = boost::asio::strand<boost::asio::thread_pool::executor_type>;

  // Completes the handshake, then starts the read loop.
  boost::asio::awaitable<void> handshake(boost::beast::http::request<boost::beast::http::string_body> upgrade);
  // Reads and handles frames until the connection ends, then finishes it.
  boost::asio::awaitable<void> read_loop();
  // Everything the end of the read loop lets go: the bus, presence, the watchdog.
  void finish();
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
  // ws_frames.cc: the frames of a session that said hello.
  void handle_frame(const std::string& text);
  void handle(const protocol::ClientFrame& frame);
  void submit_send(const protocol::SendFrame& send);
  // Sends, reads and typing keep their order: a job runs on the strand only
  // when the chat is cached (no store read) and the chat lane is idle;
  // otherwise on the chat lane, whose `job` returns the frame to answer, if any.
  template <typename Job>
  void on_chat_lane(Job job);
  bool chat_op_can_run_here(const ChatId& chat_id);
  PoolLane& lane(std::optional<PoolLane>& lane);
  void subscribe_presence(std::vector<UserId> users);
  // On the strand, with what a subscription answers (in the order of the subscriptions).
  void presence_answered(std::vector<std::string> frames);
  // The presence frames held while subscriptions were answered, queued after their answers.
  void release_held_presence();
  // At close, after every subscription this session posted: drops them all.
  void unsubscribe_presence();
  // From the bus: held during a resume, dropped when the replay carried it.
  void enqueue(OutboundFrame frame);
  // Gives a live message frame this connection's cursor, advanced to it.
  void complete(OutboundFrame& frame);
  // A frame for this device alone (replies, replay pages).
  void send_text(std::string text);
  // Has what is queued written soon, unless a write is in flight (its
  // completion writes the rest): behind the loop's waiting jobs, or at the
  // pacer's tick while the loop is busy.
  void schedule_write();
  // Whether the write of what is queued waits for the pacer's tick; if so, deferred to it.
  bool deferred_to_tick();
  // Writes what is queued, up to kFramesPerWrite frames in one gathered write.
  void write_queued();
  void written(boost::system::error_code ec);
  // Queues `frame` if the bounds allow, else closes the connection (1008).
  bool admit(FrameQueue& target, OutboundFrame&& frame);
  // The watchdog: drops a peer whose hello, frame, write or close takes too
  // long. arm_watchdog() has it look in a while if it is not due already.
  void arm_watchdog();
  std::chrono::milliseconds watch_interval() const;
  void watch_for(Clock::duration after);
  void stop_watching();
  void check_deadlines();
  void close_with(std::uint16_t code, const char* reason);
  // Drops the connection at once, without a closing handshake (the peer is
  // not reading, so a close frame could never be written).
  void abort(const char* why);
  // Drops everything queued or owed and wakes the replay so that it sees the
  // session is closing. Every way a session ends goes through here.
  void enter_closing();

  ConnectionLimit::Slot slot_;  // this connection's place under the limit
  std::size_t loop_;            // of the courier (net/loop_courier.h)
  WritePacer& pacer_;           // the loop's
  // Reads through Beast; data frames are written by write_queued() straight
  // to the gate below, many per system call (gated_stream.h).
  boost::beast::websocket::stream<GatedStream, false> ws_;
  NetContext& ctx_;
  State state_ = State::awaiting_hello;
  AuthContext who_;  // set once by hello, before the session is attached
  bool attached_ = false;
  // The connection ended with a closing handshake (the client's or ours
  // answered), not by vanishing: its device goes offline after the grace.
  bool closed_cleanly_ = false;
  // From hello until go_live(). Shared with a page read in flight on the
  // blocking pool, which may outlive the session's interest in it.
  std::shared_ptr<ResumeReader> resume_;
  LogPosition synced_up_to_;  // live messages at or below this came with the backlog
  LogPosition position_;      // the cursor of the newest message queued to the device
  FrameQueue queue_;
  // The write in flight: its frames (owned here until it completes), their
  // WebSocket headers and cursor ends, and what it gathers (each text from
  // the one copy every recipient shares).
  std::vector<OutboundFrame> sending_;
  std::string framing_;
  std::vector<boost::asio::const_buffer> gathered_;
  bool write_scheduled_ = false;
  FrameQueue held_during_sync_;
  std::size_t queued_bytes_ = 0;  // of queue_, held_during_sync_ and held_presence_
  std::size_t unacked_sends_ = 0;
  boost::asio::steady_timer watchdog_;
  boost::asio::steady_timer queue_drained_;
  bool watchdog_armed_ = false;         // a deadline is set
  std::uint64_t watch_generation_ = 0;  // of the latest deadline; an older one's wait does nothing
  bool finished_ = false;               // the read loop ended
  Clock::time_point created_at_ = Clock::now();
  std::optional<Clock::time_point> write_started_;    // the session's write is in flight since
  std::optional<Clock::time_point> message_started_;  // part of a frame arrived at
  TokenBucket rate_;
  // Jobs that may wait for the store or Redis. Sends, reads and typing share
  // one lane so that they keep their order; presence subscriptions have their
  // own, so that a slow one (a Redis round trip) holds no send back.
  // Made on first use: most connections never need one.
  std::optional<PoolLane> chat_lane_;
  std::optional<PoolLane> presence_lane_;
  std::size_t chat_jobs_ = 0;      // posted to chat_lane_, not yet back on the strand
  std::size_t presence_jobs_ = 0;  // subscriptions posted, not yet answered on the strand
  // Presence frames from the bus while a subscription is being answered:
  // queued after the answer, so that the last frame a device gets about a
  // user is never an answer older than a change it got before.
  FrameQueue held_presence_;
  // Users this connection subscribed to. Touched only by jobs on
  // presence_lane_: each subscription, then the unsubscribe at close, which
  // is posted after every subscription and so misses none.
  std::set<UserId> presence_watched_;
  std::atomic<bool> ended_{false};  // the read loop ended: subscriptions not yet run are skipped
};

}  // namespace parley
