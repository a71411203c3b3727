#include "core/resume_reader.h"

#include <algorithm>

namespace parley {

Result<ResumeReader> ResumeReader::open(Conversations& conversations, const UserId& user,
                                        const std::optional<LogPosition>& cursor,
                                        const std::function<LogPosition()>& committed_head, ResumeLimits limits) {
  limits.page = std::max<std::size_t>(limits.page, 1);
  limits.budget = std::max<std::size_t>(limits.budget, 1);
  LogPosition head = committed_head();
  LogPosition start = cursor ? LogPosition::lower(*cursor, head) : head;
  ResumeReader reader(conversations, std::move(start), std::move(head), limits);
  reader.user_ = user;
  if (reader.start_ == reader.head_) return reader;
  auto chats = conversations.resume_chats(user);
  if (!chats) return chats.error();
  reader.sources_.reserve(chats->size());
  for (auto& chat : *chats) {
    const ShardId shard = conversations.shard_of(chat.chat_id);
    if (reader.start_.at(shard) >= reader.head_.at(shard)) continue;  // nothing new on its shard
    reader.sources_.push_back(
        Source{std::move(chat.chat_id), chat.joined_seq, chat.until_seq.value_or(kNoEnd), shard, {}, 0, false});
  }
  // Every chat starts with an equal share; chats with nothing to replay drop out.
  std::vector<Source> owed;
  const std::size_t sharing = reader.sources_.size();
  for (auto& s : reader.sources_) {
    if (auto ok = reader.refill(s, reader.start_.at(s.shard), sharing); !ok) return ok.error();
    if (!s.ahead.empty()) owed.push_back(std::move(s));
  }
  reader.sources_ = std::move(owed);
  for (std::size_t i = 0; i < reader.sources_.size(); ++i) reader.requeue(i);
  return reader;
}

Status ResumeReader::refill(Source& s, LogOffset after, std::size_t sharing) {
  // A fair share of the budget, and never more than what is left of it;
  // at least one message, so every chat makes progress.
  std::size_t fair = limits_.budget / std::max<std::size_t>(sharing, 1);
  std::size_t left = limits_.budget > held_ ? limits_.budget - held_ : 0;
  std::size_t limit = std::clamp<std::size_t>(std::min(fair, left), 1, limits_.page);
  for (;;) {
    auto page = conversations_->backlog(s.chat, after, head_.at(s.shard), limit);
    if (!page) return page.error();
    bool exhausted = page->size() < limit;
    const LogOffset last = page->empty() ? after : page->back().offset;
    // In seq order: past the end of a chat that ended for the user, nothing more is theirs.
    if (!page->empty() && page->back().seq > s.until_seq) {
      std::erase_if(*page, [&](const Message& m) { return m.seq > s.until_seq; });
      exhausted = true;
    }
    // What was said before the user joined is not theirs: a prefix of the
    // chat's log, skipped page by page; nor is a message withheld from it.
    std::erase_if(*page, [&](const Message& m) { return m.seq <= s.joined_seq || !visible_to(m, user_); });
    if (page->empty() && !exhausted) {
      after = last;
      continue;
    }
    held_ -= s.ahead.size() - s.next;
    held_ += page->size();
    s.ahead = std::move(*page);
    s.next = 0;
    s.exhausted = exhausted;
    return Ok{};
  }
}

void ResumeReader::requeue(std::size_t index) {
  Source& s = sources_[index];
  if (s.next < s.ahead.size()) {
    queue_.emplace(std::pair{s.shard, s.ahead[s.next].offset}, index);
  } else {
    s.ahead = {};  // give the memory back now, not when the resume ends
  }
}

Result<std::vector<Message>> ResumeReader::next_page() {
  std::vector<Message> page;
  while (!queue_.empty() && page.size() < limits_.page) {
    std::size_t i = queue_.top().second;
    queue_.pop();
    Source& s = sources_[i];
    LogOffset last = s.ahead[s.next].offset;
    page.push_back(std::move(s.ahead[s.next++]));
    --held_;
    if (s.next == s.ahead.size() && !s.exhausted) {
      if (auto ok = refill(s, last, queue_.size() + 1); !ok) return ok.error();
    }
    requeue(i);
  }
  return page;
}

}  // namespace parley
