#include "core/message_pipeline.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string_view>
#include <unordered_map>

#include "core/emoji.h"
#include "core/message_actions.h"
#include "core/metrics.h"
#include "core/text.h"

namespace parley {
namespace {

// What a sender sees when the store failed: its code (unavailable may heal,
// so the client retries) but not the engine's words.
Error store_failure(const Error& cause) {
  if (is_action_refusal(cause)) return cause;  // a rule the commit checked: said as it is
  ErrorCode code = cause.code == ErrorCode::unavailable ? ErrorCode::unavailable : ErrorCode::internal;
  return make_error(code, "the message could not be stored; retry");
}

}  // namespace

MessagePipeline::MessagePipeline(MessageSequencer& sequencer, ChatDirectory& chats, Privacy& privacy, EventSink& sink,
                                 PushPlanner& push_planner, Clock& clock, const CoreConfig& config)
    : sequencer_(sequencer),
      chats_(chats),
      privacy_(privacy),
      sink_(sink),
      push_planner_(push_planner),
      clock_(clock),
      config_(config) {}

bool MessagePipeline::validates_from_memory(const ChatId& chat_id, const UserId& sender) {
  ChatPtr chat = chats_.cached(chat_id);
  if (!chat) return false;
  if (chat->kind != ChatKind::direct) return true;
  for (const auto& m : chat->members) {
    if (!privacy_.cached(m.user_id)) return false;
  }
  return privacy_.cached(sender);
}

MessagePipeline::~MessagePipeline() {
  stop();
}

void MessagePipeline::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void MessagePipeline::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::lock_guard lock(mutex_);
  running_ = false;
}

Status MessagePipeline::validate_text(const SendRequest& r) {
  if (r.text.empty()) return make_error(ErrorCode::empty_text, "text must not be empty");
  if (r.text.size() > config_.max_text_bytes) {
    return make_error(ErrorCode::text_too_long,
                      "text is longer than " + std::to_string(config_.max_text_bytes) + " bytes");
  }
  if (!is_valid_utf8(r.text)) return make_error(ErrorCode::invalid_utf8, "text is not valid UTF-8");
  return Ok{};
}

Status MessagePipeline::check_form(const SendRequest& r) {
  if (r.client_msg_id.empty() || r.client_msg_id.size() > config_.max_client_msg_id_bytes ||
      !is_valid_utf8(r.client_msg_id)) {
    return make_error(ErrorCode::invalid_request, "client_msg_id must be 1 to 128 bytes of UTF-8");
  }
  const bool action = r.kind != MessageKind::text;
  if (action && r.target_seq == 0) return make_error(ErrorCode::invalid_request, "an action needs target_seq");
  if (!action && r.target_seq != 0) return make_error(ErrorCode::invalid_request, "target_seq is for actions");
  if (action && r.reply_to != 0) return make_error(ErrorCode::invalid_request, "only a text message can reply");
  switch (r.kind) {
    case MessageKind::text:
    case MessageKind::edit:
      if (auto ok = validate_text(r); !ok) return ok.error();
      break;
    case MessageKind::deletion:
      if (!r.text.empty()) return make_error(ErrorCode::invalid_request, "a delete carries no text");
      break;
    case MessageKind::reaction:
      // Empty removes the sender's reaction.
      if (!r.text.empty() && !is_single_emoji(r.text)) {
        return make_error(ErrorCode::invalid_request, "a reaction is one emoji (or empty to remove it)");
      }
      break;
    case MessageKind::event:
      break;  // the server's own lines: validate() answers them before this
  }
  return Ok{};
}

Result<MessagePipeline::Validated> MessagePipeline::validate(const SendRequest& r) {
  if (r.kind == MessageKind::event) {
    // Written by the server after a change of the group, by someone who may
    // have just left it: only the chat must still exist.
    auto chat = chats_.find(r.chat_id);
    if (!chat) return chat.error();
    if (!*chat) return make_error(ErrorCode::not_found, "no such chat");
    return Validated{};
  }
  if (r.erasure) {
    if (r.kind != MessageKind::deletion || r.target_seq == 0 || !r.text.empty()) {
      return make_error(ErrorCode::invalid_request, "an erasure is a deletion of one message");
    }
    auto chat = chats_.find(r.chat_id);
    if (!chat) return chat.error();
    if (!*chat) return make_error(ErrorCode::not_found, "no such chat");
    return Validated{};
  }
  if (auto ok = check_form(r); !ok) return ok.error();
  auto chat = chats_.find_for_member(r.sender.user_id, r.chat_id);
  if (!chat) return chat.error();
  const Member* me = (*chat)->member(r.sender.user_id);
  Validated out;
  out.may_delete_any = (*chat)->kind == ChatKind::group && me && me->role == MemberRole::admin;
  if ((*chat)->kind == ChatKind::direct) {
    for (const auto& peer : (*chat)->members) {
      if (peer.user_id == r.sender.user_id) continue;
      // Whoever blocks someone writes to them no more (deleting your own
      // messages stays possible); whoever is blocked does not learn it.
      auto blocking = privacy_.blocks(r.sender.user_id, peer.user_id);
      if (!blocking) return blocking.error();
      if (*blocking && r.kind != MessageKind::deletion) {
        return make_error(ErrorCode::forbidden, "you blocked this user: unblock them to write to them");
      }
      auto blocked = privacy_.blocks(peer.user_id, r.sender.user_id);
      if (!blocked) return blocked.error();
      out.withheld = out.withheld || *blocked;
    }
  }
  return out;
}

void MessagePipeline::submit(SendRequest request, SendCallback done) {
  auto checked = validate(request);
  if (!checked) {
    process_metrics().sends_refused.add();
    done(checked.error());
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (!running_ || stopping_) {
      process_metrics().sends_refused.add();
      done(make_error(ErrorCode::overloaded, "the server is shutting down"));
      return;
    }
    const TimeMs now = clock_.now_ms();
    // The queue is in arrival order (sends validated again go first, with
    // their first arrival): its front has waited longest.
    const bool behind = !queue_.empty() && now - queue_.front().queued_at > config_.max_pending_send_wait_ms;
    if (queue_.size() >= config_.max_pending_sends || behind) {
      process_metrics().sends_refused.add();
      done(make_error(ErrorCode::overloaded, "too many messages waiting to be stored; retry shortly"));
      return;
    }
    queue_.push_back({std::move(request), std::move(done), 0, checked->may_delete_any, checked->withheld, now});
    process_metrics().pending_sends.set(static_cast<std::int64_t>(queue_.size()));
  }
  wake_.notify_one();
}

void MessagePipeline::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) return;
      if (queue_.size() <= config_.max_commit_batch) {
        batch.swap(queue_);
      } else {
        auto split = queue_.begin() + static_cast<std::ptrdiff_t>(config_.max_commit_batch);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(split));
        queue_.erase(queue_.begin(), split);
      }
      process_metrics().pending_sends.set(static_cast<std::int64_t>(queue_.size()));
    }
    commit(batch);
    batch.clear();
  }
}

void MessagePipeline::commit(std::vector<Pending>& batch) {
  // Who gets what, from the cached chats the sends were validated against,
  // before anything is stored: a chat that cannot be read fails the batch.
  std::vector<ChatId> chat_ids;
  chat_ids.reserve(batch.size());
  for (const auto& p : batch) chat_ids.push_back(p.request.chat_id);
  ProcessMetrics& metrics = process_metrics();
  auto deliveries = recipients_of(chat_ids);
  if (!deliveries) {
    metrics.sends_refused.add(batch.size());
    for (auto& p : batch) p.done(store_failure(deliveries.error()));
    return;
  }
  std::vector<NewMessage> requests;
  requests.reserve(batch.size());
  const TimeMs now = clock_.now_ms();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& r = batch[i].request;
    NewMessage m{r.chat_id,
                 r.sender.user_id,
                 r.sender.device_id,
                 r.client_msg_id,
                 std::move(r.text),
                 now,
                 (*deliveries)[i].chat_version};
    m.kind = r.kind;
    m.target_seq = r.target_seq;
    m.reply_to = r.reply_to;
    m.may_delete_any = batch[i].may_delete_any;
    m.withheld = batch[i].withheld;
    m.sender_reads = chats_.sender_reads(m.chat_id, m.sender_id, m.kind);
    requests.push_back(std::move(m));
  }
  const auto commit_started = std::chrono::steady_clock::now();
  auto outcomes = sequencer_.commit(requests);
  metrics.commit_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_started).count());
  metrics.commit_batch_messages.observe(static_cast<double>(batch.size()));

  // Validated against a chat that has changed since (on another node, or
  // just now): never delivered to the old members, validated again.
  std::vector<Pending> stale;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (outcomes[i] || outcomes[i].error().code != ErrorCode::conflict) continue;
    batch[i].request.text = std::move(requests[i].text);
    stale.push_back(std::move(batch[i]));
    batch[i].done = nullptr;
  }
  if (!stale.empty()) revalidate(std::move(stale));

  std::vector<Message> fresh;
  std::vector<FanOutItem> fan_out_items;  // one per fresh message, in order
  std::vector<Recipients> fresh_recipients;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (outcomes[i] && !outcomes[i]->duplicate) {
      fresh.push_back(std::move(outcomes[i]->message));  // its ack below needs only its numbers
      const Message& m = fresh.back();
      auto recipients = std::move((*deliveries)[i].recipients);
      // A withheld message (also an action on one) goes to its sender's devices only.
      if (m.withheld) {
        auto sender_only = std::make_shared<std::vector<UserId>>();
        for (const UserId& u : *recipients) {
          if (u == m.sender_id) sender_only->push_back(u);
        }
        recipients = std::move(sender_only);
      }
      fresh_recipients.push_back(recipients);
      fan_out_items.push_back({std::move(recipients), std::make_shared<const Event>(MessageEvent{m})});
    }
  }
  // Before the ack, so a sender that lists its chats right after sending
  // never sees its own messages as unread.
  if (on_stored_ && !fresh.empty()) on_stored_(fresh);
  // Who is offline is noted before anyone hears of the commit, so a device
  // connected when its sender got the ack is never pushed the message. The
  // same look-up of each recipient's devices then serves the fan-out.
  std::unique_ptr<PreparedFanOut> prepared;
  std::vector<OfflineAtCommit> offline;
  if (!fresh.empty()) {
    prepared = sink_.prepare_fan_out(std::move(fan_out_items));
    offline = offline_at_commit(fresh, fresh_recipients, *prepared);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].done) continue;  // validated again, queued
    if (!outcomes[i]) {
      metrics.sends_refused.add();
      batch[i].done(store_failure(outcomes[i].error()));
      continue;
    }
    (outcomes[i]->duplicate ? metrics.messages_duplicate : metrics.messages_stored).add();
    // The stored message has the request's chat and client_msg_id (they are
    // its idempotency key); its text may have moved on to `fresh`.
    const CommitOutcome& o = *outcomes[i];
    const SendRequest& r = batch[i].request;
    batch[i].done(SendAck{r.chat_id, r.client_msg_id, o.message.seq, o.message.ts, o.message.offset, o.duplicate});
  }
  if (fresh.empty()) return;
  fan_out(fresh, *prepared);
  // Push planning happens on its own thread; this only hands it the notes.
  push_planner_.committed(sequencer_.committed_head(), std::move(offline));
}

void MessagePipeline::revalidate(std::vector<Pending> stale) {
  // A chat changing again and again between validation and commit: the
  // sender hears so rather than the commit thread spinning.
  constexpr int kStaleAttempts = 5;
  std::vector<ChatId> refreshed;
  std::vector<Pending> again;
  for (auto& p : stale) {
    if (++p.stale_attempts > kStaleAttempts) {
      p.done(make_error(ErrorCode::unavailable, "the chat keeps changing; send again"));
      continue;
    }
    if (std::find(refreshed.begin(), refreshed.end(), p.request.chat_id) == refreshed.end()) {
      if (auto reloaded = chats_.refresh(p.request.chat_id); !reloaded) {
        p.done(store_failure(reloaded.error()));
        continue;
      }
      refreshed.push_back(p.request.chat_id);
    }
    auto checked = validate(p.request);
    if (!checked) {
      p.done(checked.error());
      continue;
    }
    p.may_delete_any = checked->may_delete_any;
    p.withheld = checked->withheld;
    again.push_back(std::move(p));
  }
  if (again.empty()) return;
  std::lock_guard lock(mutex_);
  queue_.insert(queue_.begin(), std::make_move_iterator(again.begin()), std::make_move_iterator(again.end()));
}

Result<std::vector<MessagePipeline::Delivery>> MessagePipeline::recipients_of(const std::vector<ChatId>& chats) {
  std::vector<Delivery> deliveries(chats.size());
  // One read per chat: every send of a batch into a chat carries the same
  // version, so a change racing the batch makes all of them stale or none,
  // and the sends validated again keep their order with the rest. They
  // share one list of recipients.
  std::unordered_map<std::string_view, std::size_t> first_of_chat;
  for (std::size_t i = 0; i < chats.size(); ++i) {
    if (auto [it, fresh] = first_of_chat.try_emplace(chats[i], i); !fresh) {
      deliveries[i] = deliveries[it->second];
      continue;
    }
    // Current membership (cached: the send was validated against it): a
    // member removed before the commit gets nothing.
    auto chat = chats_.find(chats[i]);
    if (!chat) return chat.error();
    auto recipients = std::make_shared<std::vector<UserId>>();
    if (*chat) {
      recipients->reserve((*chat)->members.size());
      for (const auto& member : (*chat)->members) recipients->push_back(member.user_id);
      deliveries[i].chat_version = (*chat)->version;
    }
    deliveries[i].recipients = std::move(recipients);
  }
  return deliveries;
}

std::vector<OfflineAtCommit> MessagePipeline::offline_at_commit(const std::vector<Message>& messages,
                                                                const std::vector<Recipients>& recipients_of,
                                                                const PreparedFanOut& prepared) {
  std::vector<OfflineAtCommit> out;
  out.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    OfflineAtCommit note{m.shard, m.offset, {}};
    const auto& recipients = *recipients_of[i];
    for (std::size_t r = 0; r < recipients.size(); ++r) {
      if (recipients[r] != m.sender_id && !prepared.connected(i, r)) note.users.push_back(recipients[r]);
    }
    out.push_back(std::move(note));
  }
  return out;
}

void MessagePipeline::fan_out(const std::vector<Message>& messages, PreparedFanOut& prepared) {
  // Each shard's new messages are delivered in offset order, then the bus
  // hears that the shard's batch is complete.
  prepared.deliver();
  struct Range {
    LogOffset first = 0;
    LogOffset last = 0;
  };
  std::map<ShardId, Range> batches;
  for (const Message& m : messages) {
    auto [it, added] = batches.try_emplace(m.shard, Range{m.offset, m.offset});
    if (!added) {
      it->second.first = std::min(it->second.first, m.offset);
      it->second.last = std::max(it->second.last, m.offset);
    }
  }
  for (const auto& [shard, range] : batches) sink_.batch_committed(shard, range.first, range.last);
}

}  // namespace parley
