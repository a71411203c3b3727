#pragma once
// LocalSequencer: the single node's group commit. One process owns the whole
// log, so seq and offsets are counted in memory on the commit thread (read
// back from the log at start and after a failed write), and each batch is
// ONE synced MessageLog::append. The log has one shard.
//
// commit() runs on one thread at a time (the pipeline's commit thread);
// committed_head() on any thread.

#include <atomic>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/ports.h"

namespace parley {

class LocalSequencer final : public MessageSequencer {
 public:
  explicit LocalSequencer(MessageLog& log) : log_(log) {}

  // Reads the log's head. Throws std::runtime_error when it cannot (start-up only).
  void start();

  std::vector<Result<CommitOutcome>> commit(const std::vector<NewMessage>& batch) override;
  LogPosition committed_head() const override { return LogPosition({committed_offset()}); }
  LogOffset committed_offset() const { return committed_offset_.load(std::memory_order_acquire); }

 private:
  // Never from a failed read: an error leaves the chat's counter unknown.
  Result<Seq> next_seq(const ChatId& chat);
  // Nothing of the batch is durable: every outcome is `error`, and what was
  // assigned is forgotten so that the next batch reads the log again.
  std::vector<Result<CommitOutcome>> fail_all(std::size_t count, const Error& error);

  MessageLog& log_;
  std::unordered_map<ChatId, Seq> last_seq_;
  std::optional<LogOffset> last_offset_;  // nullopt: unknown until read again
  std::atomic<LogOffset> committed_offset_{0};
};

}  // namespace parley
