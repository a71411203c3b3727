#include "core/local_sequencer.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/message_actions.h"
#include "core/senders_read.h"

namespace parley {

void LocalSequencer::start() {
  auto last = log_.last_offset();
  if (!last) throw std::runtime_error("cannot read the message log's head: " + last.error().message);
  last_offset_ = *last;
  committed_offset_.store(*last, std::memory_order_release);
}

Result<Seq> LocalSequencer::next_seq(const ChatId& chat) {
  auto it = last_seq_.find(chat);
  if (it == last_seq_.end()) {
    auto last = log_.last_seq(chat);
    if (!last) return last.error();
    it = last_seq_.emplace(chat, *last).first;
  }
  return ++it->second;
}

std::vector<Result<CommitOutcome>> LocalSequencer::fail_all(std::size_t count, const Error& error) {
  last_seq_.clear();
  last_offset_.reset();
  return std::vector<Result<CommitOutcome>>(count, Result<CommitOutcome>(error));
}

Status LocalSequencer::chat_changed(const ChatId& chat, std::uint64_t version) {
  std::unique_lock lock(versions_mutex_);
  auto& min = min_version_[chat];
  min = std::max(min, version);
  // A batch that read the versions before this must finish first: what it
  // commits counts as committed before the change.
  const std::uint64_t started = batches_started_;
  batch_finished_.wait(lock, [&] { return batches_finished_ >= started; });
  return Ok{};
}

std::vector<std::uint64_t> LocalSequencer::start_batch(const std::vector<NewMessage>& batch) {
  std::vector<std::uint64_t> min(batch.size(), 0);
  std::lock_guard lock(versions_mutex_);
  ++batches_started_;
  if (min_version_.empty()) return min;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (auto it = min_version_.find(batch[i].chat_id); it != min_version_.end()) min[i] = it->second;
  }
  return min;
}

void LocalSequencer::finish_batch() {
  {
    std::lock_guard lock(versions_mutex_);
    ++batches_finished_;
  }
  batch_finished_.notify_all();
}

std::vector<ReadMarker> LocalSequencer::senders_read(const std::vector<NewMessage>& batch,
                                                     const std::vector<std::ptrdiff_t>& fresh_index,
                                                     const std::vector<Message>& fresh) const {
  if (!raises_read_markers()) return {};
  SendersRead read;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].sender_reads && fresh_index[i] >= 0) read.add(fresh[static_cast<std::size_t>(fresh_index[i])]);
  }
  return read.markers();
}

std::vector<Result<CommitOutcome>> LocalSequencer::commit(const std::vector<NewMessage>& batch) {
  const std::vector<std::uint64_t> min_version = start_batch(batch);
  struct Finish {
    LocalSequencer& self;
    ~Finish() { self.finish_batch(); }
  } finish{*this};
  if (!last_offset_) {
    auto last = log_.last_offset();
    if (!last) return fail_all(batch.size(), last.error());
    last_offset_ = *last;
  }
  std::vector<Result<CommitOutcome>> outcomes;
  outcomes.reserve(batch.size());
  std::vector<Message> fresh;
  fresh.reserve(batch.size());
  std::vector<std::ptrdiff_t> fresh_index(batch.size(), -1);  // into `fresh`, for new messages
  std::unordered_map<std::string, std::size_t> in_batch;      // resend key -> index into fresh
  ActionBatch actions([this](const ChatId& chat, Seq seq) { return log_.find(chat, seq); });
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const NewMessage& r = batch[i];
    auto key = resend_key(r.chat_id, r.sender_id, r.client_msg_id);
    if (auto it = in_batch.find(key); it != in_batch.end()) {
      // Resent before the first was durable: the same message.
      fresh_index[i] = static_cast<std::ptrdiff_t>(it->second);
      outcomes.emplace_back(CommitOutcome{fresh[it->second], true});
      continue;
    }
    auto stored = log_.find_by_client_msg_id(r.chat_id, r.sender_id, r.client_msg_id);
    if (!stored) {
      outcomes.emplace_back(stored.error());
      continue;
    }
    if (*stored) {
      outcomes.emplace_back(CommitOutcome{std::move(**stored), true});
      continue;
    }
    if (r.chat_version != 0 && r.chat_version < min_version[i]) {
      outcomes.emplace_back(stale_chat_error());
      continue;
    }
    if (auto allowed = actions.check(r); !allowed) {
      outcomes.emplace_back(allowed.error());
      continue;
    }
    auto seq = next_seq(r.chat_id);
    if (!seq) {
      outcomes.emplace_back(seq.error());
      continue;
    }
    Message m;
    m.chat_id = r.chat_id;
    m.seq = *seq;
    m.sender_id = r.sender_id;
    m.sender_device_id = r.sender_device_id;
    m.client_msg_id = r.client_msg_id;
    m.text = r.text;
    m.ts = r.ts;
    m.offset = ++*last_offset_;
    m.shard = 0;
    m.kind = r.kind;
    m.target_seq = r.target_seq;
    m.reply_to = r.reply_to;
    m.withheld = r.withheld;
    actions.apply(m);
    in_batch.emplace(std::move(key), fresh.size());
    fresh_index[i] = static_cast<std::ptrdiff_t>(fresh.size());
    outcomes.emplace_back(CommitOutcome{Message{}, false});  // the message moves in once durable
    fresh.push_back(std::move(m));
  }
  if (fresh.empty()) return outcomes;
  const std::vector<Message> changed = actions.finish(fresh);
  const std::vector<ReadMarker> read = senders_read(batch, fresh_index, fresh);
  if (auto ok = log_.append(fresh, changed, read); !ok) return fail_all(batch.size(), ok.error());
  committed_offset_.store(*last_offset_, std::memory_order_release);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (fresh_index[i] >= 0 && outcomes[i] && !outcomes[i]->duplicate) {
      outcomes[i]->message = std::move(fresh[static_cast<std::size_t>(fresh_index[i])]);
    }
  }
  return outcomes;
}

}  // namespace parley
