#include "net/ws_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <queue>

#include <spdlog/spdlog.h>

namespace parley {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using asio::use_awaitable;

namespace {
constexpr std::uint16_t kCloseUnauthorized = 4401;
}

WsSession::WsSession(beast::tcp_stream&& stream, NetContext& context)
    : ws_(std::move(stream)),
      ctx_(context),
      wake_writer_(ws_.get_executor()),
      hello_timer_(ws_.get_executor()),
      queue_drained_(ws_.get_executor()),
      rate_(context.config.max_frames_per_second, context.config.max_frames_per_second * 2) {}

WsSession::~WsSession() = default;

void WsSession::start(std::shared_ptr<WsSession> session, http::request<http::string_body> upgrade) {
  auto executor = session->ws_.get_executor();
  asio::co_spawn(
      executor, [s = std::move(session), req = std::move(upgrade)]() mutable { return s->run(std::move(req)); },
      asio::detached);
}

void WsSession::push(const OutboundFrame& frame) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), frame] { self->enqueue(frame); });
}

void WsSession::close_for_logout() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] { self->close_with(kCloseUnauthorized, "logged out"); });
}

asio::awaitable<void> WsSession::run(http::request<http::string_body> upgrade) {
  auto self = shared_from_this();
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  // Pings keep NATs open and find dead peers; three missed heartbeats is dead.
  timeouts.idle_timeout = std::chrono::milliseconds(std::max<std::int64_t>(3 * ctx_.config.heartbeat_interval_ms, 3000));
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

  asio::co_spawn(ws_.get_executor(), [self] { return self->write_loop(); }, asio::detached);
  asio::co_spawn(ws_.get_executor(), [self] { return self->hello_deadline(); }, asio::detached);

  beast::flat_buffer buffer;
  while (state_ != State::closing) {
    co_await ws_.async_read(buffer, asio::redirect_error(use_awaitable, ec));
    if (ec) break;  // peer closed, or Beast closed it (1009 for an oversized frame)
    if (!ws_.got_text()) {
      close_with(static_cast<std::uint16_t>(websocket::close_code::unknown_data), "text frames only");
      break;
    }
    std::string text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    if (buffer.capacity() > 16384) buffer.shrink_to_fit();  // idle connections stay small
    if (state_ == State::awaiting_hello) {
      if (!co_await handle_hello(text)) break;
    } else if (state_ != State::closing) {
      handle_frame(text);
    }
  }
  state_ = State::closing;
  hello_timer_.cancel();
  wake_writer_.cancel();
  queue_drained_.cancel();
  if (attached_) {
    ctx_.bus.detach(*this);
    ctx_.core.presence.unsubscribe(who_, {presence_watched_.begin(), presence_watched_.end()});
  }
}

asio::awaitable<void> WsSession::hello_deadline() {
  auto self = shared_from_this();
  hello_timer_.expires_after(std::chrono::milliseconds(ctx_.config.hello_timeout_ms));
  beast::error_code ec;
  co_await hello_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  if (!ec && state_ == State::awaiting_hello) close_with(kCloseUnauthorized, "no hello");
}

asio::awaitable<bool> WsSession::handle_hello(const std::string& text) {
  auto parsed = protocol::parse_client_frame(text);
  auto* hello = parsed.frame ? std::get_if<protocol::HelloFrame>(&*parsed.frame) : nullptr;
  if (!hello) {
    close_with(kCloseUnauthorized, "the first frame must be hello");
    co_return false;
  }
  auto who = ctx_.core.accounts.authenticate(hello->token);
  if (!who) {
    if (who.error().code == ErrorCode::unauthorized) {
      close_with(kCloseUnauthorized, "invalid token");
    } else {
      close_with(static_cast<std::uint16_t>(websocket::close_code::internal_error), "server error; retry");
    }
    co_return false;
  }
  hello_timer_.cancel();
  who_ = *who;
  state_ = State::syncing;
  // Attach before reading the committed offset: every message above it is
  // then certain to arrive live, and everything at or below it is in the log.
  ctx_.bus.attach(shared_from_this());
  attached_ = true;
  ctx_.core.presence.heartbeat(who_);
  LogOffset head = ctx_.core.pipeline.committed_offset();
  synced_up_to_ = head;
  LogOffset resume_from = hello->cursor ? std::min(*hello->cursor, head) : head;
  send_text(protocol::encode_welcome(
      who_, {ctx_.config.heartbeat_interval_ms, ctx_.core.config.max_text_bytes}, resume_from));
  if (hello->cursor) {
    co_await replay_backlog(resume_from, head);
    if (state_ == State::closing) co_return false;
    send_text(protocol::encode_synced(head));
  }
  state_ = State::live;
  for (auto& frame : held_during_sync_) {
    if (frame.offset == 0 || frame.offset > synced_up_to_) queue_.push_back(std::move(frame));
  }
  held_during_sync_.clear();
  wake_writer_.cancel();
  spdlog::debug("device {} of user {} connected", who_.device_id, who_.user_id);
  co_return true;
}

asio::awaitable<void> WsSession::replay_backlog(LogOffset after, LogOffset up_to) {
  if (after >= up_to) co_return;
  auto& conversations = ctx_.core.conversations;
  const std::size_t page = ctx_.config.resume_page;
  // Merge the chats by log offset so that the cursor of every replayed
  // message is a correct resume point, whatever chat it belongs to.
  struct Source {
    ChatId chat;
    std::vector<Message> page;
    std::size_t next = 0;
    bool exhausted = false;
  };
  // A page that cannot be read must not be skipped: close, and the device
  // resumes from its cursor, which never passed it.
  auto store_failed = [&] {
    close_with(static_cast<std::uint16_t>(websocket::close_code::internal_error), "store unavailable; resume later");
  };
  std::vector<Source> sources;
  auto chats = conversations.resume_chats(who_.user_id);
  if (!chats) co_return store_failed();
  for (auto& chat : *chats) {
    Source s{std::move(chat), {}, 0, false};
    auto first = conversations.backlog(s.chat, after, up_to, page);
    if (!first) co_return store_failed();
    s.page = std::move(*first);
    s.exhausted = s.page.size() < page;
    if (!s.page.empty()) sources.push_back(std::move(s));
  }
  auto later = [&](std::size_t a, std::size_t b) {
    return sources[a].page[sources[a].next].offset > sources[b].page[sources[b].next].offset;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heap(later);
  for (std::size_t i = 0; i < sources.size(); ++i) heap.push(i);
  while (!heap.empty() && state_ != State::closing) {
    std::size_t i = heap.top();
    heap.pop();
    Source& s = sources[i];
    const Message& m = s.page[s.next++];
    LogOffset last = m.offset;
    send_text(protocol::encode_message_frame(m));
    if (s.next == s.page.size()) {
      if (s.exhausted) continue;
      auto next = conversations.backlog(s.chat, last, up_to, page);
      if (!next) co_return store_failed();
      s.page = std::move(*next);
      s.next = 0;
      s.exhausted = s.page.size() < page;
      if (s.page.empty()) continue;
    }
    heap.push(i);
    if (queue_.size() >= page) co_await wait_for_queue_below(page / 2);
  }
}

asio::awaitable<void> WsSession::wait_for_queue_below(std::size_t frames) {
  while (queue_.size() >= frames && state_ != State::closing) {
    queue_drained_.expires_at(asio::steady_timer::time_point::max());
    beast::error_code ec;
    co_await queue_drained_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

asio::awaitable<void> WsSession::write_loop() {
  auto self = shared_from_this();
  beast::error_code ec;
  for (;;) {
    if (queue_.empty()) {
      if (state_ == State::closing) break;
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_writer_.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    auto text = std::move(queue_.front().text);  // owned here while the write is in flight
    queue_.pop_front();
    co_await ws_.async_write(asio::buffer(*text), asio::redirect_error(use_awaitable, ec));
    queue_drained_.cancel();
    if (ec) {
      state_ = State::closing;
      queue_.clear();
      break;
    }
  }
}

void WsSession::enqueue(OutboundFrame frame) {
  if (state_ == State::closing || state_ == State::awaiting_hello) return;
  // Messages at or below the head read at hello were committed before this
  // connection: the backlog carried them, or the device asked for live only.
  if (state_ == State::live && frame.offset != 0 && frame.offset <= synced_up_to_) return;
  auto& target = state_ == State::syncing ? held_during_sync_ : queue_;
  if (target.size() >= ctx_.config.max_queued_frames) {
    spdlog::warn("device {} of user {} is too slow; closing", who_.device_id, who_.user_id);
    close_with(static_cast<std::uint16_t>(websocket::close_code::policy_error), "too slow; resume from your cursor");
    return;
  }
  target.push_back(std::move(frame));
  if (state_ == State::live) wake_writer_.cancel();
}

void WsSession::send_text(std::string text) {
  if (state_ == State::closing) return;
  queue_.push_back(OutboundFrame{std::make_shared<const std::string>(std::move(text)), 0});
  wake_writer_.cancel();
}

void WsSession::close_with(std::uint16_t code, const char* reason) {
  if (state_ == State::closing) return;
  state_ = State::closing;
  queue_.clear();
  held_during_sync_.clear();
  hello_timer_.cancel();
  queue_drained_.cancel();
  wake_writer_.cancel();
  asio::co_spawn(
      ws_.get_executor(),
      [self = shared_from_this(), code, reason]() -> asio::awaitable<void> {
        beast::error_code ec;
        co_await self->ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason), asio::redirect_error(use_awaitable, ec));
      },
      asio::detached);
}

void WsSession::handle_frame(const std::string& text) {
  bool allowed = rate_.try_take();
  auto parsed = protocol::parse_client_frame(text);
  if (!allowed) {
    // Name the dropped send so the client knows what to resend.
    std::optional<std::string> ref;
    if (parsed.frame) {
      if (auto* send = std::get_if<protocol::SendFrame>(&*parsed.frame)) ref = send->client_msg_id;
    }
    send_text(protocol::encode_error_frame(make_error(ErrorCode::rate_limited, "too many frames; slow down"), ref));
    return;
  }
  if (parsed.error) {
    send_text(protocol::encode_error_frame(parsed.error->error, parsed.error->ref));
    return;
  }
  handle(*parsed.frame);
}

void WsSession::handle(const protocol::ClientFrame& frame) {
  auto& core = ctx_.core;
  if (auto* send = std::get_if<protocol::SendFrame>(&frame)) {
    auto ref = send->client_msg_id;
    SendRequest request{who_, send->chat_id, send->client_msg_id, send->text};
    std::weak_ptr<WsSession> weak = shared_from_this();
    core.pipeline.submit(std::move(request), [weak, ref](Result<SendAck> result) {
      auto self = weak.lock();
      if (!self) return;
      std::string text = result ? protocol::encode_ack(*result) : protocol::encode_error_frame(result.error(), ref);
      // Posted from the commit thread before the message's fan-out, so
      // the sender sees its ack first.
      asio::post(self->ws_.get_executor(), [self, text = std::move(text)]() mutable {
        self->send_text(std::move(text));
      });
    });
  } else if (std::holds_alternative<protocol::HeartbeatFrame>(frame)) {
    core.presence.heartbeat(who_);
  } else if (auto* read = std::get_if<protocol::ReadFrame>(&frame)) {
    if (auto r = core.conversations.mark_read(who_, read->chat_id, read->seq); !r) {
      send_text(protocol::encode_error_frame(r.error()));
    }
  } else if (auto* typing = std::get_if<protocol::TypingFrame>(&frame)) {
    if (auto r = core.conversations.typing(who_, typing->chat_id); !r) send_text(protocol::encode_error_frame(r.error()));
  } else if (auto* sub = std::get_if<protocol::PresenceSubscribeFrame>(&frame)) {
    auto r = core.presence.subscribe(who_, sub->user_ids, presence_watched_);
    if (!r) {
      send_text(protocol::encode_error_frame(r.error()));
    } else {
      for (const auto& status : *r) send_text(protocol::encode_event(Event{status}));
    }
  } else if (std::holds_alternative<protocol::HelloFrame>(frame)) {
    send_text(protocol::encode_error_frame(make_error(ErrorCode::invalid_request, "already said hello")));
  }
}

}  // namespace parley
