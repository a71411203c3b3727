#pragma once
// MessageShards: the shard map of the cluster's message log. Each shard is
// one MariaDB database with the message schema on MyRocks (messages,
// shard_head, chat_heads; mariadb_schema.cc), reached through its own
// connection pool, so each shard may be its own server.
//
// A chat lives on shard cluster::stable_hash(chat_id) % count (a hash fixed
// forever, cluster/stable_hash.h), for the life of the
// data: the order and number of shards in the configuration must never
// change once messages are stored.
//
// Thread-safe: the map is immutable once open, the pools are thread-safe.
// MariaDbMessageLog and MariaDbSequencer share one; another node (or a test
// standing in for one) opens its own, with its own connections.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/stable_hash.h"
#include "core/model.h"
#include "core/result.h"
#include "store/mariadb/connection_pool.h"

namespace parley {

struct MessageShardsConfig {
  // In shard order: shard i is shards[i]. At least one; each may be its own
  // server (parse_mariadb_url reads one from a URL). `myrocks` is set on each
  // by open(); every database name must be a plain identifier.
  std::vector<mariadb::ConnectionConfig> shards;
  std::size_t pool_size = 4;  // connections per shard at most; opened on demand
};

// The configuration of shards that are databases on one server: `server`'s
// settings, with each name of `databases` in order.
MessageShardsConfig shards_on_one_server(const mariadb::ConnectionConfig& server,
                                         const std::vector<std::string>& databases, std::size_t pool_size = 4);

class MessageShards {
 public:
  // Creates each shard's database and schema if missing (idempotent, safe
  // when several nodes start at once). Throws std::runtime_error with the
  // reason on failure (no shard, a server unreachable, MyRocks missing);
  // start-up only.
  static std::shared_ptr<MessageShards> open(const MessageShardsConfig& config);
  MessageShards(const MessageShards&) = delete;
  MessageShards& operator=(const MessageShards&) = delete;

  ShardId count() const { return static_cast<ShardId>(pools_.size()); }
  ShardId shard_of(const ChatId& chat) const {
    return static_cast<ShardId>(cluster::stable_hash(chat) % pools_.size());
  }
  // shard < count().
  mariadb::ConnectionPool& pool(ShardId shard) const { return *pools_[shard]; }

  // Runs `op` on a connection of the shard. A read is run once more on a new
  // connection when a reused one turns out dead (a leftover of an outage).
  template <typename T, typename Op>
  Result<T> read(ShardId shard, Op&& op) const;

 private:
  explicit MessageShards(std::vector<std::unique_ptr<mariadb::ConnectionPool>> pools) : pools_(std::move(pools)) {}

  std::vector<std::unique_ptr<mariadb::ConnectionPool>> pools_;
};

template <typename T, typename Op>
Result<T> MessageShards::read(ShardId shard, Op&& op) const {
  for (int attempt = 0;; ++attempt) {
    auto lease = pool(shard).acquire();
    if (!lease) return lease.error();
    Result<T> result = op(**lease);
    if (result.ok() || attempt > 0 || lease->fresh() || !(*lease)->broken()) return result;
  }
}

namespace mariadb {

// The columns of a message row, in the order message_from() reads them
// (message schema 3 added those after log_offset: the state actions change).
inline constexpr const char* kMessageColumns =
    "chat_id, seq, sender_id, sender_device_id, client_msg_id, text, ts, log_offset, kind, target_seq, reply_to, "
    "edited_at, deleted, reactions, edit_seqs, withheld";
inline constexpr std::size_t kMessageColumnCount = 16;

// A message from a row of kMessageColumns, with `shard` set.
Result<Message> message_from(const Row& row, ShardId shard);

// Splits n into chunks whose sizes are powers of two, at most `largest`
// (itself a power of two), largest first: 13 -> 8, 4, 1. Multi-row
// statements are prepared and cached per connection by their text, so only
// these few sizes ever get prepared, however the batches vary.
std::vector<std::size_t> power_of_two_chunks(std::size_t n, std::size_t largest);

// "(?, ?), (?, ?)": `rows` groups of `columns` placeholders, for multi-row
// statements. Placeholders only: values still travel as bound parameters.
std::string placeholder_rows(std::size_t rows, std::size_t columns);

// ---- Statements of a shard's write transaction (sequencer and append) ----

// The last offset committed on the shard, as a consistent read.
Result<LogOffset> read_shard_head(Connection& c);
// Locks the shard's head row (FOR UPDATE) and answers the last offset
// committed on the shard. Every writer of the shard takes this lock first,
// so its writers commit one after another and offsets follow commit order.
Result<LogOffset> lock_shard_head(Connection& c);
// Inserts the messages (multi-row INSERTs; an empty client_msg_id is stored
// as NULL: not indexed) and their search postings.
Status insert_messages(Connection& c, const std::vector<Message>& messages);
// Replaces the state of stored messages (text, edited_at, deleted,
// reactions, edit entries): what an action committed with them changed.
// Their search postings follow: those of the stored text go, the new text's come.
Status update_messages(Connection& c, const std::vector<Message>& messages);
// Inserts the search postings of the messages (core/search_terms.h,
// index_terms) into search_postings: chat_id, term, ts, seq. With
// `ignore_present`, postings already there are left (rebuilding the index).
Status insert_search_postings(Connection& c, const std::vector<Message>& messages, bool ignore_present);
// Moves each chat's head up to its seq (never down).
Status raise_chat_heads(Connection& c, const std::vector<std::pair<ChatId, Seq>>& heads);
// Moves the shard's head up to `offset` (never down).
Status raise_shard_head(Connection& c, LogOffset offset);

}  // namespace mariadb

}  // namespace parley
