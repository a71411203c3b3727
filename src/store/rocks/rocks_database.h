#pragma once
// RocksDatabase: the column families of RocksStore on one embedded RocksDB,
// behind a small string-in/string-out interface so that RocksDB's headers stay
// inside rocks_database.cc. Internal to store/rocks.
//
// Thread-safe: RocksDB serialises writers itself and reads see a consistent
// snapshot per call. After a write fails on I/O (no space, no descriptors) the
// database heals itself in the background, reopening the engine in place if
// RocksDB cannot resume; meanwhile calls answer `unavailable`.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace rocksdb {
class Cache;
class Status;
}  // namespace rocksdb

namespace parley::rocks {

// One column family per index, so each gets its own tuning (bloom filters on
// the point-lookup ones) and its keys never mix with another index's.
enum class Column : int {
  users,              // user id -> User
  emails,             // email -> user id
  devices,            // device id -> Device
  tokens,             // token digest -> device id
  user_devices,       // user|device -> ""
  chats,              // chat id -> Chat
  user_chats,         // user|chat -> ""
  direct,             // min user|max user -> chat id
  read_markers,       // chat|user -> be64 seq
  messages,           // chat|be64 seq -> Message
  client_ids,         // chat|sender|client_msg_id -> be64 seq
  offsets,            // chat|be64 offset -> be64 seq
  log,                // be64 offset -> chat|be64 seq (the messages key): the whole log in commit order
  push_jobs,          // be64 id -> PushJob
  meta,               // name -> value; "last_offset" merges by max
  search,             // chat|term|be64 ts|be64 seq -> "": the search index (core/search_terms.h)
  delivered_markers,  // chat|user -> be64 seq, merged by max
};
inline constexpr int kColumnCount = static_cast<int>(Column::delivered_markers) + 1;

// Writes applied together, all or nothing.
class WriteSet {
 public:
  enum class Kind { put, erase, merge_max_u64 };
  struct Op {
    Kind kind;
    Column column;
    std::string key;
    std::string value;
  };

  void put(Column column, std::string key, std::string value) {
    ops_.push_back({Kind::put, column, std::move(key), std::move(value)});
  }
  void erase(Column column, std::string key) { ops_.push_back({Kind::erase, column, std::move(key), {}}); }
  // Keeps the larger of the stored and the given big-endian u64 (meta and markers),
  // so concurrent batches never move the value backwards without a lock.
  void merge_max_u64(Column column, std::string key, std::string be64) {
    ops_.push_back({Kind::merge_max_u64, column, std::move(key), std::move(be64)});
  }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<Op> ops_;
};

enum class Durability {
  synced,    // fsync'd before returning: survives power loss
  wal_only,  // in the OS page cache: survives a process crash only
};

enum class Direction { forward, backward };

class RocksDatabase {
 public:
  // Opens or creates the database in `dir`. Throws std::runtime_error with
  // the directory and RocksDB's reason on failure (start-up only).
  static std::unique_ptr<RocksDatabase> open(const std::string& dir);
  ~RocksDatabase();
  RocksDatabase(const RocksDatabase&) = delete;
  RocksDatabase& operator=(const RocksDatabase&) = delete;

  // nullopt when absent; an error for I/O failure or corruption.
  // What the engine is doing, by name: live table files, compaction debt,
  // background work, whether writes are stopped or slowed (bytes per s).
  std::vector<std::pair<std::string, std::uint64_t>> engine_stats() const;
  Result<std::optional<std::string>> get(Column column, std::string_view key);
  // One result per key, in order, nullopt for absent keys; an error if any read failed.
  Result<std::vector<std::optional<std::string>>> multi_get(Column column, const std::vector<std::string>& keys);
  Status write(const WriteSet& writes, Durability durability);

  // Visits the entries with lower <= key < upper (empty upper: no bound) in
  // the given direction until `visit` returns false.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  Status scan(Column column, std::string_view lower, std::string_view upper, Direction direction, const Visitor& visit);

  // What the engine holds in memory, in bytes, by name: memtables (capped by
  // the memtable budget), the block cache (capped by its capacity) and table
  // readers (indexes and filters of open table files). Any thread.
  std::vector<std::pair<std::string, std::uint64_t>> memory_usage() const;

  // Flushes the memtables and compacts every column family, then answers
  // each family's table file bytes by name: what the data takes on disk
  // once settled (tools and benchmarks; slow on a large store).
  Result<std::vector<std::pair<std::string, std::uint64_t>>> compact_and_measure();

  // How often the engine was closed and opened again to heal (for /v1/stats and tests).
  std::uint64_t reopen_count() const;

  struct Engine;  // the open RocksDB and its handles; opaque outside the .cc

 private:
  class Healer;
  RocksDatabase(std::string dir, std::shared_ptr<rocksdb::Cache> cache, std::shared_ptr<Engine> engine);
  Result<std::shared_ptr<Engine>> engine() const;
  Status failed_write(const rocksdb::Status& status);

  const std::string dir_;
  const std::shared_ptr<rocksdb::Cache> cache_;  // kept across reopens
  std::atomic<std::shared_ptr<Engine>> engine_;  // null while being reopened
  std::atomic<std::uint64_t> reopen_count_{0};
  std::unique_ptr<Healer> healer_;
};

Error undecodable(Column column);

// Reads and decodes one record: nullopt when absent, an error when the read
// fails or the bytes do not decode (RocksDB checksums its blocks, so that means
// a record of an unknown format version).
template <typename T>
Result<std::optional<T>> load(RocksDatabase& db, Column column, std::string_view key,
                              std::optional<T> (*decode)(std::string_view)) {
  auto bytes = db.get(column, key);
  if (!bytes) return bytes.error();
  if (!bytes->has_value()) return std::optional<T>();
  std::optional<T> record = decode(**bytes);
  if (!record) return undecodable(column);
  return record;
}

// The error for an index entry that names a record which is not there.
Error dangling_index(Column index);

}  // namespace parley::rocks
