#include "net/ws_session.h"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace parley {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using asio::use_awaitable;

namespace {
constexpr std::uint16_t kCloseUnauthorized = 4401;
constexpr auto kClosePolicy = static_cast<std::uint16_t>(websocket::close_code::policy_error);
constexpr auto kCloseInternal = static_cast<std::uint16_t>(websocket::close_code::internal_error);
// How long a hello waits for the bus to promise live delivery (a cluster's
// Redis subscription) before the device is told to come back.
constexpr std::chrono::seconds kLiveTimeout{5};
// A peer that does not answer our close frame is dropped after this.
constexpr std::chrono::seconds kCloseGrace{5};
// Frames gathered into one write: two buffers each and one more fit the 64
// that one sendmsg takes.
constexpr std::size_t kFramesPerWrite = 31;
constexpr std::size_t kMaxFrameHeaderBytes = 10;
// What the first read of a client frame makes room for: a send of a few
// lines of text fits.
constexpr std::size_t kFirstReadBytes = 384;

std::size_t frame_bytes(const OutboundFrame& frame) {
  return (frame.text ? frame.text->size() : 0) + frame.end.size();
}
}  // namespace

WsSession::WsSession(asio::ip::tcp::socket&& socket, NetContext& context, ConnectionLimit::Slot slot, std::size_t loop,
                     WritePacer& pacer)
    : slot_(std::move(slot)),
      loop_(loop),
      pacer_(pacer),
      ws_(std::move(socket)),
      ctx_(context),
      watchdog_(ws_.get_executor()),
      queue_drained_(ws_.get_executor()),
      rate_(context.config.max_frames_per_second, context.config.max_frames_per_second * 2) {}

WsSession::~WsSession() = default;

void WsSession::start(std::shared_ptr<WsSession> session, http::request<http::string_body> upgrade) {
  auto executor = session->ws_.get_executor();
  asio::co_spawn(
      executor, [s = std::move(session), req = std::move(upgrade)]() mutable { return s->handshake(std::move(req)); },
      asio::detached);
}

void WsSession::push(const OutboundFrame& frame) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), frame] { self->enqueue(frame); });
}

void WsSession::close_for_logout() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] { self->close_with(kCloseUnauthorized, "logged out"); });
}

void WsSession::ask_to_move(const std::string& url) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), frame = protocol::encode_move(url)]() mutable {
    self->send_text(std::move(frame));
  });
}

asio::awaitable<void> WsSession::handshake(http::request<http::string_body> upgrade) {
  auto self = shared_from_this();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  // Pings keep NATs open and find dead peers; three missed heartbeats is dead.
  timeouts.idle_timeout =
      std::chrono::milliseconds(std::max<std::int64_t>(3 * ctx_.config.heartbeat_interval_ms, 3000));
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(ctx_.config.max_frame_bytes);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "parleyd"); }));

  beast::error_code ec;
  {
    // Scoped so the request's headers are freed once the handshake is done,
    // not kept for the life of the connection.
    auto request = std::move(upgrade);
    co_await ws_.async_accept(request, asio::redirect_error(use_awaitable, ec));
  }
  if (ec) co_return;

  watch_for(std::chrono::milliseconds(ctx_.config.hello_timeout_ms));
  // A coroutine of its own, so that a connection keeps no frame of the
  // handshake for its whole life.
  asio::co_spawn(
      ws_.get_executor(), [self] { return self->read_loop(); }, asio::detached);
}

void WsSession::finish() {
  enter_closing();
  finished_ = true;
  ended_ = true;
  stop_watching();
  if (attached_) {
    ctx_.bus.detach(*this);
    unsubscribe_presence();
    ctx_.core.presence.disconnected(who_, closed_cleanly_);
  }
}

asio::awaitable<void> WsSession::read_loop() {
  // The message being read, handed on whole when complete.
  std::string incoming;
  beast::error_code ec;
  // Frames are read as their bytes arrive, so that the watchdog knows when
  // a frame has started and can bound the time the rest may take.
  for (;;) {
    auto buffer = asio::dynamic_buffer(incoming);
    // Beast sizes the buffer before a byte has arrived, and an idle
    // connection waits here: its first read of a message asks for room for
    // a typical frame only, the rest of a longer one for all of it.
    const std::size_t limit = message_started_ ? ctx_.config.max_frame_bytes : kFirstReadBytes;
    std::size_t got = co_await ws_.async_read_some(buffer, limit, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      // peer closed, or Beast closed it (1009 for an oversized frame)
      closed_cleanly_ = ec == websocket::error::closed;
      finish();
      co_return;
    }
    if (!ws_.is_message_done()) {
      if (got > 0 && !message_started_) {
        message_started_ = Clock::now();
        arm_watchdog();
      }
      continue;
    }
    message_started_.reset();
    bool text_frame = ws_.got_text();
    std::string text = std::exchange(incoming, std::string());
    if (state_ == State::closing) continue;  // discard until the close handshake ends
    if (!text_frame) {
      close_with(static_cast<std::uint16_t>(websocket::close_code::unknown_data), "text frames only");
      continue;
    }
    if (state_ == State::awaiting_hello) {
      if (!co_await handle_hello(text)) continue;
      if (resume_)
        asio::co_spawn(
            ws_.get_executor(), [self = shared_from_this()] { return self->replay(); }, asio::detached);
    } else {
      handle_frame(text);
    }
  }
}

// The store (and, in a cluster, Redis) is asked on the blocking pool: a hello
// may wait for a token lookup, the user's chats and the bus's subscription,
// and an I/O thread must never wait.
asio::awaitable<bool> WsSession::handle_hello(const std::string& text) {
  auto parsed = protocol::parse_client_frame(text);
  auto* hello = parsed.frame ? std::get_if<protocol::HelloFrame>(&*parsed.frame) : nullptr;
  if (!hello) {
    close_with(kCloseUnauthorized, "the first frame must be hello");
    co_return false;
  }
  auto authenticate = [this, token = std::move(hello->token)] { return ctx_.core.accounts.authenticate(token); };
  auto who = co_await off_strand<Result<AuthContext>>(authenticate);
  if (state_ != State::awaiting_hello) co_return false;  // the hello deadline passed meanwhile
  if (!who) {
    if (who.error().code == ErrorCode::unauthorized) {
      close_with(kCloseUnauthorized, "invalid token");
    } else {
      close_with(kCloseInternal, "server error; retry");
    }
    co_return false;
  }
  who_ = *who;
  state_ = State::syncing;  // from here on, frames from the bus are held for the resume
  // The hello deadline is met: the watchdog sleeps until something is pending.
  stop_watching();
  auto attach_and_open = [this, self = shared_from_this(), cursor = hello->cursor] {
    // Attach before the resume reads the committed head: see ResumeReader.
    ctx_.bus.attach(self);
    ctx_.core.presence.connected(who_);
    if (!ctx_.bus.wait_until_live(who_.user_id, kLiveTimeout)) {
      return Result<ResumeReader>(make_error(ErrorCode::unavailable, "live delivery is not available"));
    }
    Result<LogPosition> head =
        ctx_.config.committed_head ? ctx_.config.committed_head() : ctx_.core.pipeline.committed_position();
    if (!head) return Result<ResumeReader>(head.error());
    // Without a cursor the device wants live frames only: its resume is empty.
    return ResumeReader::open(
        ctx_.core.conversations, who_.user_id, cursor, [&head] { return *head; },
        ResumeLimits{ctx_.config.resume_page, ctx_.config.resume_budget});
  };
  auto reader = co_await off_strand<Result<ResumeReader>>(attach_and_open);
  attached_ = true;  // finish() detaches
  if (state_ == State::closing) co_return false;
  if (!reader) {
    spdlog::error("resume of device {} failed: {}", who_.device_id, reader.error().message);
    close_with(kCloseInternal, "try again");
    co_return false;
  }
  synced_up_to_ = reader->head();
  position_ = reader->start();
  send_text(protocol::encode_welcome(who_, {ctx_.config.heartbeat_interval_ms, ctx_.core.config.max_text_bytes},
                                     reader->start()));
  if (hello->cursor) {
    resume_ = std::make_shared<ResumeReader>(std::move(*reader));
  } else {
    go_live();
  }
  spdlog::debug("device {} of user {} connected", who_.device_id, who_.user_id);
  co_return true;
}

// The coroutine resumes on this session's strand (posted there explicitly:
// the pool thread must not run session code).
template <typename T, typename Work>
asio::awaitable<T> WsSession::off_strand(Work& work) {
  auto result = co_await asio::async_initiate<decltype(use_awaitable), void(std::optional<T>)>(
      [this, &work](auto handler) {
        asio::post(ctx_.blocking, [handler = std::move(handler), &work, strand = ws_.get_executor()]() mutable {
          std::optional<T> done(work());
          asio::post(strand, [handler = std::move(handler), done = std::move(done)]() mutable {
            std::move(handler)(std::move(done));
          });
        });
      },
      use_awaitable);
  co_return std::move(*result);
}

asio::awaitable<void> WsSession::replay() {
  auto self = shared_from_this();
  const std::size_t page_frames = std::max<std::size_t>(ctx_.config.resume_page, 2);
  while (state_ == State::syncing && !resume_->done()) {
    // Only the replay touches the reader, so a pool thread may use it.
    auto next_page = [reader = resume_] { return reader->next_page(); };
    auto page = co_await off_strand<Result<std::vector<Message>>>(next_page);
    if (state_ != State::syncing) co_return;
    if (!page) {
      spdlog::error("resume of device {} failed: {}", who_.device_id, page.error().message);
      close_with(kCloseInternal, "try again");
      co_return;
    }
    for (const auto& m : *page) {
      position_.advance(m.shard, m.offset);
      send_text(protocol::encode_message_frame(m, position_));
    }
    // The next page is read only once this one has mostly gone out.
    co_await wait_for_queue_below(page_frames / 2);
  }
  if (state_ != State::syncing) co_return;
  send_text(protocol::encode_synced(synced_up_to_));
  go_live();
}

void WsSession::go_live() {
  resume_.reset();
  state_ = State::live;
  position_ = synced_up_to_;
  for (auto& frame : held_during_sync_) {
    queued_bytes_ -= frame_bytes(frame);
    if (synced_up_to_.covers(frame.shard, frame.offset)) continue;
    complete(frame);
    queued_bytes_ += frame_bytes(frame);
    queue_.push_back(std::move(frame));
  }
  held_during_sync_.clear();
  schedule_write();
}

void WsSession::release_held_presence() {
  auto held = std::move(held_presence_);
  held_presence_.clear();
  for (auto& frame : held) {
    queued_bytes_ -= frame_bytes(frame);
    enqueue(std::move(frame));
  }
}

asio::awaitable<void> WsSession::wait_for_queue_below(std::size_t frames) {
  while (queue_.size() >= frames && state_ != State::closing) {
    queue_drained_.expires_at(asio::steady_timer::time_point::max());
    beast::error_code ec;
    co_await queue_drained_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

void WsSession::schedule_write() {
  if (write_started_ || write_scheduled_) return;
  if (deferred_to_tick()) return;
  // Behind the jobs already waiting on this loop: frames they queue for this
  // connection go out in the same write. Writing at once would cost a
  // system call per frame, and a loaded server would never gather any.
  write_scheduled_ = true;
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->write_scheduled_ = false;
    self->write_queued();
  });
}

bool WsSession::deferred_to_tick() {
  // A full write's worth goes at once: waiting would gather nothing more
  // per system call, only delay a replay or a burst.
  if (queue_.size() >= kFramesPerWrite || !pacer_.pacing(Clock::now())) return false;
  write_scheduled_ = true;
  pacer_.defer(shared_from_this());
  return true;
}

void WsSession::write_paced() {
  write_scheduled_ = false;
  if (!queue_.empty() && !write_started_) process_metrics().ws_paced_writes.add();
  write_queued();
}

void WsSession::write_queued() {
  if (write_started_ || queue_.empty()) return;
  sending_.clear();
  framing_.clear();
  gathered_.clear();
  const std::size_t count = std::min(queue_.size(), kFramesPerWrite);
  std::size_t framing_bytes = 0;
  for (std::size_t i = 0; i < count; ++i) framing_bytes += kMaxFrameHeaderBytes + queue_[i].end.size();
  framing_.reserve(framing_bytes);  // never moves while the buffers below point into it
  for (std::size_t i = 0; i < count; ++i) {
    queued_bytes_ -= frame_bytes(queue_.front());
    sending_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  // One piece of `framing_` runs from a text's end to the next text: the
  // end of one frame and the header of the next.
  std::size_t piece = 0;
  for (const OutboundFrame& frame : sending_) {
    append_text_frame_header(framing_, frame.text->size() + frame.end.size());
    gathered_.push_back(asio::buffer(framing_.data() + piece, framing_.size() - piece));
    if (!frame.text->empty()) gathered_.push_back(asio::buffer(*frame.text));
    piece = framing_.size();
    framing_ += frame.end;
  }
  if (framing_.size() > piece) gathered_.push_back(asio::buffer(framing_.data() + piece, framing_.size() - piece));
  write_started_ = Clock::now();
  ProcessMetrics& metrics = process_metrics();
  metrics.ws_writes.add();
  metrics.ws_frames_written.add(sending_.size());
  pacer_.count_write();
  arm_watchdog();
  ws_.next_layer().write_frames(gathered_,
                                [self = shared_from_this()](beast::error_code ec, std::size_t) { self->written(ec); });
}

void WsSession::written(beast::error_code ec) {
  write_started_.reset();
  sending_.clear();  // the last reference to a text may go here
  queue_drained_.cancel();
  if (ec) {
    enter_closing();
    return;
  }
  if (!queue_.empty()) {
    if (!deferred_to_tick()) write_queued();
    return;
  }
  // An idle connection keeps room for one frame, not for the largest burst
  // it ever wrote.
  if (sending_.capacity() > 1) {
    sending_ = {};
    framing_ = {};
    gathered_ = {};
  }
  queue_.release_if_empty();
}

void WsSession::arm_watchdog() {
  if (watchdog_armed_ || state_ == State::closing) return;
  watch_for(watch_interval());
}

std::chrono::milliseconds WsSession::watch_interval() const {
  return std::chrono::milliseconds(
      std::max<std::int64_t>(std::min(ctx_.config.write_stall_timeout_ms, ctx_.config.frame_timeout_ms) / 4, 10));
}

// A callback, not a coroutine, and no wait at all while nothing is pending:
// an idle connection keeps neither a frame nor a timer operation.
void WsSession::watch_for(Clock::duration after) {
  watchdog_armed_ = true;
  watchdog_.expires_after(after);
  // A wait for an older deadline may already have completed; its generation
  // tells it apart.
  watchdog_.async_wait([self = shared_from_this(), generation = ++watch_generation_](beast::error_code ec) {
    if (ec || generation != self->watch_generation_) return;
    self->check_deadlines();
  });
}

void WsSession::stop_watching() {
  watchdog_armed_ = false;
  ++watch_generation_;
  watchdog_.cancel();
}

void WsSession::check_deadlines() {
  watchdog_armed_ = false;
  if (finished_ || !ws_.next_layer().next_layer().is_open()) return;
  const auto now = Clock::now();
  if (state_ == State::closing) {
    abort("did not finish the closing handshake");
    return;
  }
  if (state_ == State::awaiting_hello && now - created_at_ >= std::chrono::milliseconds(ctx_.config.hello_timeout_ms)) {
    close_with(kCloseUnauthorized, "no hello");
    return;
  }
  if (write_started_ && now - *write_started_ >= std::chrono::milliseconds(ctx_.config.write_stall_timeout_ms)) {
    abort("does not read");
    return;
  }
  if (message_started_ && now - *message_started_ >= std::chrono::milliseconds(ctx_.config.frame_timeout_ms)) {
    close_with(kClosePolicy, "frame took too long to arrive");
    return;
  }
  if (state_ == State::awaiting_hello || write_started_ || message_started_) watch_for(watch_interval());
}

bool WsSession::admit(FrameQueue& target, OutboundFrame&& frame) {
  std::size_t frames = queue_.size() + held_during_sync_.size() + held_presence_.size();
  std::size_t bytes = queued_bytes_ + frame_bytes(frame);
  if (frames >= ctx_.config.max_queued_frames || bytes > ctx_.config.max_queued_bytes) {
    spdlog::warn("device {} of user {} is too slow ({} frames, {} bytes waiting); closing", who_.device_id,
                 who_.user_id, frames, bytes);
    close_with(kClosePolicy, "too slow; resume from your cursor");
    return false;
  }
  queued_bytes_ = bytes;
  target.push_back(std::move(frame));
  pacer_.count_frame();
  return true;
}

void WsSession::enqueue(OutboundFrame frame) {
  if (state_ == State::closing || state_ == State::awaiting_hello) return;
  // Looked at only while a subscription is being answered (rarely), and
  // never for messages.
  if (presence_jobs_ > 0 && frame.offset == 0 && protocol::is_presence_frame(*frame.text)) {
    admit(held_presence_, std::move(frame));
    return;
  }
  if (state_ == State::syncing) {
    admit(held_during_sync_, std::move(frame));
    return;
  }
  // Messages at or below the head read at hello were committed before this
  // connection: the backlog carried them, or the device asked for live only.
  if (synced_up_to_.covers(frame.shard, frame.offset)) return;
  complete(frame);
  if (admit(queue_, std::move(frame))) schedule_write();
}

void WsSession::complete(OutboundFrame& frame) {
  if (frame.offset == 0) return;
  position_.advance(frame.shard, frame.offset);
  frame.end = protocol::encode_message_frame_end(position_);
}

void WsSession::send_text(std::string text) {
  if (state_ == State::closing) return;
  OutboundFrame frame;
  frame.text = std::make_shared<const std::string>(std::move(text));
  if (admit(queue_, std::move(frame))) schedule_write();
}

void WsSession::enter_closing() {
  state_ = State::closing;
  resume_.reset();
  queue_.clear();
  held_during_sync_.clear();
  held_presence_.clear();
  queued_bytes_ = 0;
  queue_drained_.cancel();
}

void WsSession::close_with(std::uint16_t code, const char* reason) {
  if (state_ == State::closing) return;
  enter_closing();
  // The watchdog drops the peer if the closing handshake does not end in time.
  watch_for(kCloseGrace);
  asio::co_spawn(
      ws_.get_executor(),
      [self = shared_from_this(), code, reason]() -> asio::awaitable<void> {
        beast::error_code ec;
        co_await self->ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                                       asio::redirect_error(use_awaitable, ec));
      },
      asio::detached);
}

void WsSession::abort(const char* why) {
  spdlog::warn("device {} of user {} {}; dropping the connection", who_.device_id, who_.user_id, why);
  enter_closing();
  stop_watching();
  // Reset rather than close: the unsent bytes are discarded at once instead
  // of waiting in the kernel for a peer that does not read.
  beast::error_code ignored;
  auto& socket = ws_.next_layer().next_layer();
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

}  // namespace parley
