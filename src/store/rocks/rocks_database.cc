#include "store/rocks/rocks_database.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "store/rocks/record_codec.h"

namespace parley::rocks {
namespace {

// Sized for one modest server; the cache is shared by every column family so
// hot indexes take what they need.
constexpr std::size_t kBlockCacheBytes = std::size_t{64} << 20;
// Caps all memtables together; RocksDB flushes the largest when it is reached.
constexpr std::size_t kMemtableBudgetBytes = std::size_t{64} << 20;
constexpr std::size_t kMessagesWriteBuffer = std::size_t{32} << 20;
constexpr std::size_t kIndexWriteBuffer = std::size_t{8} << 20;
constexpr double kBloomBitsPerKey = 10;  // ~1% false positives

constexpr std::array<const char*, kColumnCount> kColumnNames = {
    "users",        "emails",   "devices",    "tokens",  "user_devices", "chats",     "user_chats", "direct",
    "read_markers", "messages", "client_ids", "offsets", "log",          "push_jobs", "meta",
};

// Columns read mostly by exact key, often for keys that do not exist (a new
// client_msg_id, an unknown token): a bloom filter skips the disk read.
bool is_point_lookup(Column column) {
  switch (column) {
    case Column::users:
    case Column::emails:
    case Column::devices:
    case Column::tokens:
    case Column::chats:
    case Column::client_ids:
      return true;
    default:
      return false;
  }
}

// Keeps the larger big-endian u64, so "last offset" never moves backwards even
// when batches of different chats commit concurrently and out of order.
class MaxU64Merge : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    std::uint64_t current = existing ? decode_u64(existing->ToStringView()).value_or(0) : 0;
    std::uint64_t incoming = decode_u64(value.ToStringView()).value_or(0);
    *new_value = encode_u64(std::max(current, incoming));
    return true;
  }
  const char* Name() const override { return "parley.MaxU64"; }
};

rocksdb::ColumnFamilyOptions column_options(Column column, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (is_point_lookup(column)) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.write_buffer_size = column == Column::messages ? kMessagesWriteBuffer : kIndexWriteBuffer;
  if (column == Column::meta) options.merge_operator = std::make_shared<MaxU64Merge>();
  return options;
}

// An empty string_view may carry a null pointer, which Slice must not.
rocksdb::Slice slice(std::string_view s) {
  return s.empty() ? rocksdb::Slice() : rocksdb::Slice(s.data(), s.size());
}

// I/O trouble (no space, no descriptors, a busy or timed-out engine) may
// heal and is worth a retry; anything else (corruption, a bad argument) is a fault.
Error engine_error(const rocksdb::Status& status) {
  bool may_heal = status.IsIOError() || status.IsNoSpace() || status.IsBusy() || status.IsTimedOut() ||
                  status.IsTryAgain() || status.IsIncomplete();
  return make_error(may_heal ? ErrorCode::unavailable : ErrorCode::internal, "rocksdb: " + status.ToString());
}

}  // namespace

Error undecodable(Column column) {
  return make_error(ErrorCode::internal,
                    std::string("store: undecodable record in ") + kColumnNames[static_cast<int>(column)]);
}

Error dangling_index(Column index) {
  return make_error(ErrorCode::internal,
                    std::string("store: index ") + kColumnNames[static_cast<int>(index)] + " names a missing record");
}

struct RocksDatabase::Engine {
  rocksdb::DB* db = nullptr;
  // [0] is RocksDB's mandatory default family (unused), then one per Column.
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::shared_ptr<rocksdb::Cache> cache;  // shared by every column family

  ~Engine() {
    if (!db) return;
    for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close().PermitUncheckedError();  // every write was already synced or WAL-logged
    delete db;
  }
  rocksdb::ColumnFamilyHandle* handle(Column column) const { return handles[1 + static_cast<int>(column)]; }
};

std::unique_ptr<RocksDatabase> RocksDatabase::open(const std::string& dir) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.db_write_buffer_size = kMemtableBudgetBytes;
  options.keep_log_file_num = 5;
  // A bounded number of table files open at once, so that the store fits in
  // the descriptors the server keeps in reserve for it (--fd-reserve).
  options.max_open_files = 128;

  auto cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kColumnCount; ++i) {
    families.emplace_back(kColumnNames[i], column_options(static_cast<Column>(i), cache));
  }

  auto engine = std::make_unique<Engine>();
  engine->cache = cache;
  rocksdb::Status status = rocksdb::DB::Open(options, dir, families, &engine->handles, &engine->db);
  if (!status.ok()) {
    throw std::runtime_error("cannot open the message store in '" + dir + "': " + status.ToString());
  }
  return std::unique_ptr<RocksDatabase>(new RocksDatabase(std::move(engine)));
}

RocksDatabase::RocksDatabase(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}
RocksDatabase::~RocksDatabase() = default;

Result<std::optional<std::string>> RocksDatabase::get(Column column, std::string_view key) {
  std::string value;
  rocksdb::Status status = engine_->db->Get(rocksdb::ReadOptions(), engine_->handle(column), slice(key), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return engine_error(status);
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::optional<std::string>>> RocksDatabase::multi_get(Column column,
                                                                         const std::vector<std::string>& keys) {
  std::vector<rocksdb::ColumnFamilyHandle*> handles(keys.size(), engine_->handle(column));
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const std::string& key : keys) slices.push_back(slice(key));
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses = engine_->db->MultiGet(rocksdb::ReadOptions(), handles, slices, &values);
  std::vector<std::optional<std::string>> out(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].ok()) {
      out[i] = std::move(values[i]);
    } else if (!statuses[i].IsNotFound()) {
      return engine_error(statuses[i]);
    }
  }
  return out;
}

Status RocksDatabase::write(const WriteSet& writes, Durability durability) {
  rocksdb::WriteBatch batch;
  for (const WriteSet::Op& op : writes.ops()) {
    rocksdb::ColumnFamilyHandle* h = engine_->handle(op.column);
    rocksdb::Status status;
    switch (op.kind) {
      case WriteSet::Kind::put:
        status = batch.Put(h, slice(op.key), slice(op.value));
        break;
      case WriteSet::Kind::erase:
        status = batch.Delete(h, slice(op.key));
        break;
      case WriteSet::Kind::merge_max_u64:
        status = batch.Merge(h, slice(op.key), slice(op.value));
        break;
    }
    if (!status.ok()) return engine_error(status);
  }
  rocksdb::WriteOptions options;
  options.sync = durability == Durability::synced;
  rocksdb::Status status = engine_->db->Write(options, &batch);
  if (!status.ok()) return engine_error(status);
  return Ok{};
}

Status RocksDatabase::scan(Column column, std::string_view lower, std::string_view upper, Direction direction,
                           const Visitor& visit) {
  // The bounds let RocksDB skip whole files and tombstones outside the range;
  // the slices must outlive the iterator.
  const rocksdb::Slice lower_bound = slice(lower);
  const rocksdb::Slice upper_bound = slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_bound;
  if (!upper.empty()) options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(engine_->db->NewIterator(options, engine_->handle(column)));

  if (direction == Direction::forward) {
    for (it->Seek(lower_bound); it->Valid(); it->Next()) {
      if (!visit(it->key().ToStringView(), it->value().ToStringView())) break;
    }
  } else {
    if (upper.empty()) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(upper_bound);
      // The upper bound is exclusive; SeekForPrev may land on it.
      while (it->Valid() && it->key().compare(upper_bound) >= 0) it->Prev();
    }
    for (; it->Valid(); it->Prev()) {
      if (!visit(it->key().ToStringView(), it->value().ToStringView())) break;
    }
  }
  if (!it->status().ok()) return engine_error(it->status());
  return Ok{};
}

std::vector<std::pair<std::string, std::uint64_t>> RocksDatabase::memory_usage() const {
  auto total = [&](const std::string& property) {
    std::uint64_t sum = 0;
    for (std::size_t i = 1; i < engine_->handles.size(); ++i) {
      std::uint64_t value = 0;
      if (engine_->db->GetIntProperty(engine_->handles[i], property, &value)) sum += value;
    }
    return sum;
  };
  return {
      {"memtable_bytes", total(rocksdb::DB::Properties::kCurSizeAllMemTables)},
      {"block_cache_bytes", engine_->cache->GetUsage()},
      {"table_readers_bytes", total(rocksdb::DB::Properties::kEstimateTableReadersMem)},
  };
}

}  // namespace parley::rocks
