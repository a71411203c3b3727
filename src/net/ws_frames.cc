// WsSession: the frames of a session that said hello (ws_session.h).
//
// Nothing here waits on the strand for the store or Redis. A frame whose
// handling may wait runs on the blocking pool, on one of the session's two
// lanes (strands of the pool: one job at a time, in order), and its answer
// is posted back to the strand:
// - the chat lane: sends, reads and typing. They keep the order in which
//   they arrived, so a connection's sends reach the pipeline in the order
//   sent. A send or typing on a cached chat with the lane idle needs no store
//   and is handled on the strand at once, as before (the common case: no
//   thread hop on the message path).
// - the presence lane: presence_subscribe, whose answer may wait up to a
//   Redis timeout. Sends and everything else go on meanwhile.

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>

#include "core/metrics.h"
#include "net/ws_session.h"

namespace parley {
namespace asio = boost::asio;

void WsSession::handle_frame(const std::string& text) {
  bool allowed = rate_.try_take();
  auto parsed = protocol::parse_client_frame(text);
  if (!allowed) {
    // Name the dropped send so the client knows what to resend.
    std::optional<std::string> ref;
    if (parsed.frame) {
      if (auto* send = std::get_if<protocol::SendFrame>(&*parsed.frame)) ref = send->body.client_msg_id;
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
    submit_send(*send);
  } else if (std::holds_alternative<protocol::HeartbeatFrame>(frame)) {
    // Only noted in a cluster's registry (sent to Redis from the presence thread).
    core.presence.heartbeat(who_);
    core.accounts.note_use(who_);  // in memory; stored in batches (idle expiry, device list)
  } else if (auto* read = std::get_if<protocol::ReadFrame>(&frame)) {
    // Reads the marker and the chat's last seq, and writes the marker: always off the strand.
    on_chat_lane([this, chat_id = read->chat_id, seq = read->seq]() -> std::optional<std::string> {
      if (auto r = ctx_.core.conversations.mark_read(who_, chat_id, seq); !r)
        return protocol::encode_error_frame(r.error());
      return std::nullopt;
    });
  } else if (auto* delivered = std::get_if<protocol::DeliveredFrame>(&frame)) {
    // Only gathered in memory; the membership check needs the chat, read
    // from the store when it is not cached.
    auto report = [this, chat_id = delivered->chat_id, seq = delivered->seq]() -> std::optional<std::string> {
      if (auto r = ctx_.core.delivery.record(who_, chat_id, seq); !r) return protocol::encode_error_frame(r.error());
      return std::nullopt;
    };
    if (chat_jobs_ == 0 && ctx_.core.chats.cached(delivered->chat_id)) {
      if (auto reply = report()) send_text(std::move(*reply));
    } else {
      on_chat_lane(std::move(report));
    }
  } else if (auto* typing = std::get_if<protocol::TypingFrame>(&frame)) {
    auto tell = [this, chat_id = typing->chat_id]() -> std::optional<std::string> {
      if (auto r = ctx_.core.conversations.typing(who_, chat_id); !r) return protocol::encode_error_frame(r.error());
      return std::nullopt;
    };
    if (chat_jobs_ == 0 && ctx_.core.conversations.typing_from_memory(typing->chat_id)) {
      if (auto reply = tell()) send_text(std::move(*reply));
    } else {
      on_chat_lane(std::move(tell));
    }
  } else if (auto* sub = std::get_if<protocol::PresenceSubscribeFrame>(&frame)) {
    subscribe_presence(sub->user_ids);
  } else if (std::holds_alternative<protocol::HelloFrame>(frame)) {
    send_text(protocol::encode_error_frame(make_error(ErrorCode::invalid_request, "already said hello")));
  }
}

bool WsSession::chat_op_can_run_here(const ChatId& chat_id) {
  // The cache never drops a chat, so a chat cached now is found without the
  // store; a direct chat also needs both members' blocks (cached until changed).
  return chat_jobs_ == 0 && ctx_.core.pipeline.validates_from_memory(chat_id, who_.user_id);
}

WsSession::PoolLane& WsSession::lane(std::optional<PoolLane>& lane) {
  if (!lane) lane.emplace(asio::make_strand(ctx_.blocking.get_executor()));
  return *lane;
}

template <typename Job>
void WsSession::on_chat_lane(Job job) {
  ++chat_jobs_;
  asio::post(lane(chat_lane_), [self = shared_from_this(), job = std::move(job)]() mutable {
    std::optional<std::string> reply = job();
    asio::post(self->ws_.get_executor(), [self, reply = std::move(reply)]() mutable {
      --self->chat_jobs_;
      if (reply) self->send_text(std::move(*reply));
    });
  });
}

void WsSession::submit_send(const protocol::SendFrame& send) {
  if (unacked_sends_ >= ctx_.config.max_unacked_sends) {
    send_text(protocol::encode_error_frame(
        make_error(ErrorCode::overloaded, "too many sends waiting for their ack; wait for acks, then resend"),
        send.body.client_msg_id));
    return;
  }
  SendRequest request{who_,           send.chat_id,         send.body.client_msg_id, send.body.text,
                      send.body.kind, send.body.target_seq, send.body.reply_to};
  const bool here = chat_op_can_run_here(send.chat_id);
  // Where the send would wait for its chat to be read, one that is wrong in
  // itself is refused at once: nothing bad waits in the lane holding its
  // bytes. Here, submit() validates it without waiting.
  if (!here) {
    if (auto ok = ctx_.core.pipeline.check_form(request); !ok) {
      process_metrics().sends_refused.add();
      send_text(protocol::encode_error_frame(ok.error(), send.body.client_msg_id));
      return;
    }
  }
  ++unacked_sends_;
  std::weak_ptr<WsSession> weak = shared_from_this();
  SendCallback done = [weak, ref = send.body.client_msg_id,
                       arrived = std::chrono::steady_clock::now()](Result<SendAck> result) {
    if (result) {
      process_metrics().send_ack_seconds.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived).count());
    }
    auto self = weak.lock();
    if (!self) return;
    std::string text = result ? protocol::encode_ack(*result) : protocol::encode_error_frame(result.error(), ref);
    // Posted from the commit thread before the message's fan-out, so the
    // sender sees its ack first.
    asio::post(self->ws_.get_executor(), [self, text = std::move(text)]() mutable {
      --self->unacked_sends_;
      self->send_text(std::move(text));
    });
  };
  if (here) {
    ctx_.core.pipeline.submit(std::move(request), std::move(done));
    return;
  }
  // The chat must be read first (a cluster: from MariaDB).
  on_chat_lane([this, request = std::move(request), done = std::move(done)]() mutable -> std::optional<std::string> {
    ctx_.core.pipeline.submit(std::move(request), std::move(done));
    return std::nullopt;  // answered by `done`
  });
}

// Checks membership (store reads on a cold cache) and reads the users'
// status from the registry: in a cluster a Redis round trip of up to its
// timeout, so never on the strand.
void WsSession::subscribe_presence(std::vector<UserId> users) {
  ++presence_jobs_;  // from here on, presence frames from the bus wait for the answer
  asio::post(lane(presence_lane_), [self = shared_from_this(), users = std::move(users)] {
    if (self->ended_) return;  // the connection is gone: nobody to answer, nothing to watch
    std::vector<std::string> frames;
    auto r = self->ctx_.core.presence.subscribe(self->who_, users, self->presence_watched_);
    if (!r) {
      frames.push_back(protocol::encode_error_frame(r.error()));
    } else {
      frames.reserve(r->size());
      for (const auto& status : *r) frames.push_back(protocol::encode_event(Event{status}));
    }
    asio::post(self->ws_.get_executor(),
               [self, frames = std::move(frames)]() mutable { self->presence_answered(std::move(frames)); });
  });
}

void WsSession::presence_answered(std::vector<std::string> frames) {
  --presence_jobs_;
  for (auto& frame : frames) send_text(std::move(frame));
  // A change held now may concern a user of a subscription still being
  // answered: it waits for that answer too.
  if (presence_jobs_ == 0) release_held_presence();
}

void WsSession::unsubscribe_presence() {
  if (!presence_lane_) return;  // never subscribed
  asio::post(*presence_lane_, [self = shared_from_this()] {
    auto& watched = self->presence_watched_;
    if (watched.empty()) return;
    self->ctx_.core.presence.unsubscribe(self->who_, {watched.begin(), watched.end()});
    watched.clear();
  });
}

}  // namespace parley
