#include "core/message_pipeline.h"

#include <stdexcept>
#include <unordered_set>

#include "core/text.h"

namespace parley {
namespace {

std::string dedup_key(const ChatId& chat, const UserId& sender, const std::string& client_msg_id) {
  std::string key;
  key.reserve(chat.size() + sender.size() + client_msg_id.size() + 2);
  key.append(chat).push_back('\0');
  key.append(sender).push_back('\0');
  key.append(client_msg_id);
  return key;
}

// What a sender sees when the store failed: its code (unavailable may heal,
// so the client retries) but not the engine's words.
Error store_failure(const Error& cause) {
  ErrorCode code = cause.code == ErrorCode::unavailable ? ErrorCode::unavailable : ErrorCode::internal;
  return make_error(code, "the message could not be stored; retry");
}

}  // namespace

MessagePipeline::MessagePipeline(MessageLog& log, ChatDirectory& chats, EventSink& sink, PushPlanner& push_planner,
                                 Clock& clock, const CoreConfig& config)
    : log_(log), chats_(chats), sink_(sink), push_planner_(push_planner), clock_(clock), config_(config) {}

MessagePipeline::~MessagePipeline() {
  stop();
}

void MessagePipeline::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  auto last = log_.last_offset();
  if (!last) throw std::runtime_error("cannot read the message log's head: " + last.error().message);
  last_offset_ = *last;
  committed_offset_.store(*last, std::memory_order_release);
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

Status MessagePipeline::validate(const SendRequest& r) {
  if (r.client_msg_id.empty() || r.client_msg_id.size() > config_.max_client_msg_id_bytes ||
      !is_valid_utf8(r.client_msg_id)) {
    return make_error(ErrorCode::invalid_request, "client_msg_id must be 1 to 128 bytes of UTF-8");
  }
  if (r.text.empty()) return make_error(ErrorCode::empty_text, "text must not be empty");
  if (r.text.size() > config_.max_text_bytes) {
    return make_error(ErrorCode::text_too_long,
                      "text is longer than " + std::to_string(config_.max_text_bytes) + " bytes");
  }
  if (!is_valid_utf8(r.text)) return make_error(ErrorCode::invalid_utf8, "text is not valid UTF-8");
  auto chat = chats_.find_for_member(r.sender.user_id, r.chat_id);
  if (!chat) return chat.error();
  return Ok{};
}

void MessagePipeline::submit(SendRequest request, SendCallback done) {
  if (auto ok = validate(request); !ok) {
    done(ok.error());
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (!running_ || stopping_) {
      done(make_error(ErrorCode::overloaded, "the server is shutting down"));
      return;
    }
    if (queue_.size() >= config_.max_pending_sends) {
      done(make_error(ErrorCode::overloaded, "too many messages waiting to be stored; retry shortly"));
      return;
    }
    queue_.push_back({std::move(request), std::move(done)});
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
    }
    commit(batch);
    batch.clear();
  }
}

Result<Seq> MessagePipeline::next_seq(const ChatId& chat) {
  auto it = last_seq_.find(chat);
  if (it == last_seq_.end()) {
    auto last = log_.last_seq(chat);
    if (!last) return last.error();
    it = last_seq_.emplace(chat, *last).first;
  }
  return ++it->second;
}

void MessagePipeline::fail_batch(std::vector<Pending>& batch, const Error& error) {
  last_seq_.clear();
  last_offset_.reset();
  for (auto& p : batch) p.done(store_failure(error));
}

void MessagePipeline::commit(std::vector<Pending>& batch) {
  if (!last_offset_) {
    auto last = log_.last_offset();
    if (!last) return fail_batch(batch, last.error());
    last_offset_ = *last;
  }
  std::vector<Message> fresh;
  fresh.reserve(batch.size());
  // For each request: index into `fresh`, or -1 with `earlier` set for a
  // resend, or `failed` when a read it needed failed.
  struct Outcome {
    std::ptrdiff_t fresh_index = -1;
    std::optional<Message> earlier;
    std::optional<Error> failed;
  };
  std::vector<Outcome> outcomes(batch.size());
  std::unordered_map<std::string, std::size_t> in_batch;  // dedup key -> index into fresh
  TimeMs now = clock_.now_ms();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& r = batch[i].request;
    auto key = dedup_key(r.chat_id, r.sender.user_id, r.client_msg_id);
    if (auto it = in_batch.find(key); it != in_batch.end()) {
      outcomes[i].fresh_index = static_cast<std::ptrdiff_t>(it->second);
      outcomes[i].earlier = fresh[it->second];  // resent before the first was durable
      continue;
    }
    auto stored = log_.find_by_client_msg_id(r.chat_id, r.sender.user_id, r.client_msg_id);
    if (!stored) {
      outcomes[i].failed = store_failure(stored.error());
      continue;
    }
    if (*stored) {
      outcomes[i].earlier = std::move(**stored);
      continue;
    }
    auto seq = next_seq(r.chat_id);
    if (!seq) {
      outcomes[i].failed = store_failure(seq.error());
      continue;
    }
    Message m;
    m.chat_id = r.chat_id;
    m.seq = *seq;
    m.sender_id = r.sender.user_id;
    m.sender_device_id = r.sender.device_id;
    m.client_msg_id = r.client_msg_id;
    m.text = std::move(r.text);
    m.ts = now;
    m.offset = ++*last_offset_;
    m.shard = log_.shard_of(m.chat_id);
    in_batch.emplace(std::move(key), fresh.size());
    outcomes[i].fresh_index = static_cast<std::ptrdiff_t>(fresh.size());
    fresh.push_back(std::move(m));
  }

  auto deliveries = recipients_of(fresh);
  if (!deliveries) return fail_batch(batch, deliveries.error());
  if (!fresh.empty()) {
    if (auto ok = log_.append(fresh); !ok) return fail_batch(batch, ok.error());
    committed_offset_.store(*last_offset_, std::memory_order_release);
  }

  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Outcome& o = outcomes[i];
    if (o.failed) {
      batch[i].done(*o.failed);
      continue;
    }
    const Message& m = o.earlier ? *o.earlier : fresh[static_cast<std::size_t>(o.fresh_index)];
    batch[i].done(SendAck{m.chat_id, m.client_msg_id, m.seq, m.ts, m.offset, o.earlier.has_value()});
  }
  fan_out(fresh, *deliveries);
  // Push planning happens on its own thread; this only notes who was offline.
  if (!fresh.empty()) push_planner_.committed(*last_offset_, offline_at_commit(fresh, *deliveries));
}

Result<std::vector<MessagePipeline::Delivery>> MessagePipeline::recipients_of(const std::vector<Message>& messages) {
  std::vector<Delivery> deliveries(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    // Current membership (cached: the send was validated against it): a
    // member removed before the commit gets nothing.
    auto chat = chats_.find(messages[i].chat_id);
    if (!chat) return chat.error();
    if (!*chat) continue;
    for (const auto& member : (*chat)->members) deliveries[i].recipients.push_back(member.user_id);
  }
  return deliveries;
}

std::vector<OfflineAtCommit> MessagePipeline::offline_at_commit(const std::vector<Message>& messages,
                                                                const std::vector<Delivery>& deliveries) {
  std::vector<OfflineAtCommit> out;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    OfflineAtCommit note{messages[i].offset, {}};
    for (const auto& user : deliveries[i].recipients) {
      // An in-memory lookup in the connection registry, no store access.
      if (user != messages[i].sender_id && !sink_.has_connected_device(user)) note.users.push_back(user);
    }
    out.push_back(std::move(note));
  }
  return out;
}

void MessagePipeline::fan_out(const std::vector<Message>& messages, const std::vector<Delivery>& deliveries) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (deliveries[i].recipients.empty()) continue;
    sink_.deliver(deliveries[i].recipients, std::make_shared<const Event>(MessageEvent{messages[i]}));
  }
}

}  // namespace parley
