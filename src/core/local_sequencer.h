#pragma once
// LocalSequencer: the single node's group commit. One process owns the whole
// log, so seq and offsets are counted in memory on the commit thread (read
// back from the log at start and after a failed write), and each batch is
// ONE synced MessageLog::append, which also carries the senders' read
// markers when the log keeps them. The log has one shard.
//
// commit() runs on one thread at a time (the pipeline's commit thread);
// committed_head() and chat_changed() on any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/ports.h"

namespace parley {

class LocalSequencer final : public MessageSequencer {
 public:
  // With `raise_read_markers`, each commit raises its senders' read markers
  // in the messages' own write (the log must keep_read_markers()).
  explicit LocalSequencer(MessageLog& log, bool raise_read_markers = false)
      : log_(log), raise_read_markers_(raise_read_markers && log.keeps_read_markers()) {}

  // Reads the log's head. Throws std::runtime_error when it cannot (start-up only).
  void start();

  std::vector<Result<CommitOutcome>> commit(const std::vector<NewMessage>& batch) override;
  LogPosition committed_head() const override { return LogPosition({committed_offset()}); }
  LogOffset committed_offset() const { return committed_offset_.load(std::memory_order_acquire); }
  Status chat_changed(const ChatId& chat, std::uint64_t version) override;
  bool raises_read_markers() const override { return raise_read_markers_; }

 private:
  // Never from a failed read: an error leaves the chat's counter unknown.
  Result<Seq> next_seq(const ChatId& chat);
  // Nothing of the batch is durable: every outcome is `error`, and what was
  // assigned is forgotten so that the next batch reads the log again.
  std::vector<Result<CommitOutcome>> fail_all(std::size_t count, const Error& error);
  // The lowest chat version each message of the batch may carry (0: any),
  // read as the batch starts; finish_batch() when it has finished.
  std::vector<std::uint64_t> start_batch(const std::vector<NewMessage>& batch);
  void finish_batch();
  // The read markers of the new messages' senders that have read them
  // (NewMessage::sender_reads), one per chat and sender; none when the log
  // does not keep them.
  std::vector<ReadMarker> senders_read(const std::vector<NewMessage>& batch,
                                       const std::vector<std::ptrdiff_t>& fresh_index,
                                       const std::vector<Message>& fresh) const;

  MessageLog& log_;
  const bool raise_read_markers_;
  std::unordered_map<ChatId, Seq> last_seq_;
  std::optional<LogOffset> last_offset_;  // nullopt: unknown until read again
  std::atomic<LogOffset> committed_offset_{0};

  // Guards the versions and the batch counters, never held across a write.
  std::mutex versions_mutex_;
  std::condition_variable batch_finished_;
  std::unordered_map<ChatId, std::uint64_t> min_version_;  // chats whose members changed since start
  std::uint64_t batches_started_ = 0;
  std::uint64_t batches_finished_ = 0;
};

}  // namespace parley
