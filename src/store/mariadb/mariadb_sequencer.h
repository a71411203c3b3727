#pragma once
// MariaDbSequencer: the cluster's group commit. Several nodes commit into the
// same chats at once, so seq and offsets cannot be counted in any one
// process: each is assigned inside the transaction that stores the message,
// one transaction per shard of the batch:
//
//   START TRANSACTION
//   SELECT last_offset FROM shard_head ... FOR UPDATE   -- writers of a shard queue here
//   SELECT ... FROM messages WHERE (chat, sender, client_msg_id) ...   -- resends
//   SELECT chat_id, last_seq, members_version FROM chat_heads WHERE chat_id IN (...) FOR UPDATE
//   -- a message validated against a version older than members_version: refused
//   INSERT INTO messages ... ; INSERT INTO chat_heads ... ON DUPLICATE KEY UPDATE
//   UPDATE shard_head SET last_offset = ...
//   COMMIT   -- synced: rocksdb_flush_log_at_trx_commit = 1
//
// A message without a client_msg_id is never a resend (the pipeline refuses
// one anyway). A transaction that did not commit took no seq and no offset. Its messages
// are answered with its error (unavailable while MariaDB is down or busy);
// it is run again by itself only when it certainly did not apply (a deadlock
// victim, a connection found dead before anything was sent). When the
// connection is lost during COMMIT the outcome is unknown: the messages are
// answered unavailable, and the client's resend (same client_msg_id) finds
// the stored message if the COMMIT did land, so nothing is stored twice.
//
// chat_changed() raises members_version in a transaction of its own that
// first takes the same shard head lock, so it waits for a commit in flight
// and every later commit sees it (MyRocks has no gap locks: the shard head
// lock, not the chat's row, covers a chat without a head row yet).
//
// The transactions of a batch's shards run in parallel (one short-lived
// thread per shard beyond the first), each on its own pooled connection.
// commit() is called by one thread at a time (the node's commit thread);
// committed_head() and refresh_committed_head() from any thread.

#include <atomic>
#include <memory>
#include <vector>

#include "core/ports.h"
#include "store/mariadb/message_shards.h"

namespace parley {

class MariaDbSequencer final : public MessageSequencer {
 public:
  explicit MariaDbSequencer(std::shared_ptr<MessageShards> shards);

  // Reads every shard's head. Throws std::runtime_error when it cannot
  // (start-up only).
  void start();

  std::vector<Result<CommitOutcome>> commit(const std::vector<NewMessage>& batch) override;

  // Per shard, the highest offset this node knows committed: its own
  // commits, the heads it finds under the lock when it commits to a shard,
  // and the heads read by start() and refresh_committed_head(). Each is a
  // head some transaction committed, and offsets are assigned under the
  // shard's head lock, so every message at or below it is committed.
  LogPosition committed_head() const override;
  // Reads every shard's head now (on demand: a resume that wants the newest
  // heads, a periodic refresh by the owner). Fails with the first read error;
  // the heads read before it are kept.
  Status refresh_committed_head();

  Status chat_changed(const ChatId& chat, std::uint64_t version) override;

 private:
  // One shard's part of the batch: `indexes` into `batch`, answered into
  // `outcomes`.
  void commit_shard(ShardId shard, const std::vector<NewMessage>& batch, const std::vector<std::size_t>& indexes,
                    std::vector<Result<CommitOutcome>>& outcomes);
  void advance(ShardId shard, LogOffset offset);

  std::shared_ptr<MessageShards> shards_;
  std::vector<std::atomic<LogOffset>> committed_;  // by shard
};

}  // namespace parley
