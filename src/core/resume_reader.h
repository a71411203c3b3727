#pragma once
// ResumeReader: the messages a reconnecting device missed, merged across all
// of its user's chats in log order (by shard, then offset) and read a page at
// a time.
//
// The exactly-once contract of a resume, between the reader and its
// connection:
//   1. the connection attaches to live delivery (live frames are held back),
//   2. open() reads the committed head H (an offset per shard): every message
//      at or below H is in the log, every message above H will arrive live,
//   3. next_page() yields the messages with cursor < offset <= H, each shard
//      in offset order (so the cursor advanced to each is a correct resume
//      point),
//   4. the connection sends `synced` with H, then releases the held frames,
//      dropping those that covered() says the replay already carried.
//
// Memory is bounded whatever the backlog: the reader holds at most
// budget + (chats with backlog) messages, plus the page it returns; the
// caller asks for the next page only once the previous one has drained.
// Not thread-safe: one reader per connection, used from its thread.

#include <cstddef>
#include <functional>
#include <optional>
#include <queue>
#include <utility>
#include <vector>

#include "core/conversations.h"
#include "core/model.h"
#include "core/result.h"

namespace parley {

struct ResumeLimits {
  std::size_t page = 200;     // messages per next_page()
  std::size_t budget = 1024;  // messages read ahead across all chats
};

class ResumeReader {
 public:
  // `committed_head` is read once, by open(), after the caller attached.
  // Without a cursor the device wants live messages only: nothing is replayed.
  static Result<ResumeReader> open(Conversations& conversations, const UserId& user,
                                   const std::optional<LogPosition>& cursor,
                                   const std::function<LogPosition()>& committed_head, ResumeLimits limits);

  // The committed head read at open: what `synced` reports.
  const LogPosition& head() const { return head_; }
  // Where the replay starts: per shard, the cursor or the head if the cursor is ahead of it.
  const LogPosition& start() const { return start_; }
  // True when a live message at (shard, offset) was already carried by the
  // replay (or predates the connection): the connection must not send it again.
  bool covered(ShardId shard, LogOffset offset) const { return head_.covers(shard, offset); }

  bool done() const { return queue_.empty(); }
  // Up to `limits.page` messages in offset order; empty once done(). A read
  // error ends nothing silently: it is returned, and the caller closes.
  Result<std::vector<Message>> next_page();

  // Messages currently read ahead (for tests of the memory bound).
  std::size_t held() const { return held_; }

 private:
  static constexpr Seq kNoEnd = ~Seq{0};
  struct Source {
    ChatId chat;
    Seq joined_seq = 0;  // the user sees the chat's messages after it
    Seq until_seq = 0;   // and up to it (kNoEnd: a chat they are a member of)
    ShardId shard = 0;
    std::vector<Message> ahead;  // next messages of the chat, in offset order
    std::size_t next = 0;
    bool exhausted = false;  // nothing more in (start, head] beyond `ahead`
  };
  ResumeReader(Conversations& conversations, LogPosition start, LogPosition head, ResumeLimits limits)
      : conversations_(&conversations), start_(std::move(start)), head_(std::move(head)), limits_(limits) {}
  // Reads the next messages of `s` after `after`; its share of the budget.
  // `sharing`: how many chats split the read-ahead budget now.
  Status refill(Source& s, LogOffset after, std::size_t sharing);
  // Queues `index` by the offset of its next message, or frees it when it has none left.
  void requeue(std::size_t index);

  Conversations* conversations_;
  UserId user_;  // whose resume: a message withheld from it is skipped
  LogPosition start_;
  LogPosition head_;
  ResumeLimits limits_;
  std::size_t held_ = 0;         // messages in the sources' read-ahead
  std::vector<Source> sources_;  // chats with messages to send; stable indices
  // Sources by the (shard, offset) of their next message, lowest first.
  using Next = std::pair<std::pair<ShardId, LogOffset>, std::size_t>;
  std::priority_queue<Next, std::vector<Next>, std::greater<>> queue_;
};

}  // namespace parley
