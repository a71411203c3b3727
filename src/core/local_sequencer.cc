#include "core/local_sequencer.h"

#include <stdexcept>
#include <string>

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

}  // namespace

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

std::vector<Result<CommitOutcome>> LocalSequencer::commit(const std::vector<NewMessage>& batch) {
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
  std::unordered_map<std::string, std::size_t> in_batch;      // dedup key -> index into fresh
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const NewMessage& r = batch[i];
    auto key = dedup_key(r.chat_id, r.sender_id, r.client_msg_id);
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
    in_batch.emplace(std::move(key), fresh.size());
    fresh_index[i] = static_cast<std::ptrdiff_t>(fresh.size());
    outcomes.emplace_back(CommitOutcome{m, false});
    fresh.push_back(std::move(m));
  }
  if (!fresh.empty()) {
    if (auto ok = log_.append(fresh); !ok) return fail_all(batch.size(), ok.error());
    committed_offset_.store(*last_offset_, std::memory_order_release);
  }
  return outcomes;
}

}  // namespace parley
