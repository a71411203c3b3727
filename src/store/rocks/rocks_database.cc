#include "store/rocks/rocks_database.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

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
constexpr double kBloomBitsPerKey = 10;       // ~1% false positives
constexpr double kMemtableBloomRatio = 0.02;  // of the memtable's bytes: ~16 bits per id key

constexpr std::array<const char*, kColumnCount> kColumnNames = {
    "users",      "emails",    "devices",      "tokens",   "user_devices",      "chats",
    "user_chats", "direct",    "read_markers", "messages", "client_ids",        "offsets",
    "log",        "push_jobs", "meta",         "search",   "delivered_markers",
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

// A key without its fixed-size tail: the search index's chat|term without
// ts|seq, a message's or an offset's chat without its be64 number, nothing of
// the log's be64 offset. A new key nearly always goes right after the
// previous one with the same prefix, so the memtable keeps an insert hint per
// prefix instead of walking its skip list from the top for every key: that
// walk made the index most of a commit's instructions (docs/benchmarks.md,
// "Search"), and the message columns pay it on every send.
class KeyWithoutTail : public rocksdb::SliceTransform {
 public:
  explicit KeyWithoutTail(std::size_t tail) : tail_(tail), name_("parley.KeyWithoutTail" + std::to_string(tail)) {}
  const char* Name() const override { return name_.c_str(); }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - tail_);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() >= tail_; }

 private:
  std::size_t tail_;
  std::string name_;
};

constexpr std::size_t kPostingTail = 16;  // be64 ts, be64 seq
constexpr std::size_t kNumberTail = 8;    // be64 seq or offset

rocksdb::ColumnFamilyOptions column_options(Column column, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (is_point_lookup(column)) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The search index takes some thirty keys per message: as busy as the messages.
  options.write_buffer_size =
      column == Column::messages || column == Column::search ? kMessagesWriteBuffer : kIndexWriteBuffer;
  if (column == Column::meta || column == Column::read_markers || column == Column::delivered_markers) {
    options.merge_operator = std::make_shared<MaxU64Merge>();
  }
  if (column == Column::client_ids) {
    // Nearly every send looks up an id that is new: a bloom filter over the
    // memtable answers that without a walk down its skip list.
    options.memtable_prefix_bloom_size_ratio = kMemtableBloomRatio;
    options.memtable_whole_key_filtering = true;
  }
  if (column == Column::search) {
    options.memtable_insert_with_hint_prefix_extractor = std::make_shared<KeyWithoutTail>(kPostingTail);
  } else if (column == Column::messages || column == Column::offsets || column == Column::log) {
    options.memtable_insert_with_hint_prefix_extractor = std::make_shared<KeyWithoutTail>(kNumberTail);
  }
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

  ~Engine() {
    if (!db) return;
    for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close().PermitUncheckedError();  // every write was already synced or WAL-logged
    delete db;
  }
  rocksdb::ColumnFamilyHandle* handle(Column column) const { return handles[1 + static_cast<int>(column)]; }
};

namespace {

using Engine = RocksDatabase::Engine;

// A per-family integer property summed over every column family; 0 while closed.
std::uint64_t sum_over_columns(const Engine* engine, const std::string& property) {
  std::uint64_t sum = 0;
  for (std::size_t i = 1; engine && i < engine->handles.size(); ++i) {
    std::uint64_t value = 0;
    if (engine->db->GetIntProperty(engine->handles[i], property, &value)) sum += value;
  }
  return sum;
}

Result<std::shared_ptr<Engine>> open_engine(const std::string& dir, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.db_write_buffer_size = kMemtableBudgetBytes;
  options.keep_log_file_num = 5;
  // A bounded number of table files open at once, so that the store fits in
  // the descriptors the server keeps in reserve for it (--fd-reserve).
  options.max_open_files = 128;

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kColumnCount; ++i) {
    families.emplace_back(kColumnNames[i], column_options(static_cast<Column>(i), cache));
  }
  auto engine = std::make_shared<Engine>();
  rocksdb::Status status = rocksdb::DB::Open(options, dir, families, &engine->handles, &engine->db);
  if (!status.ok()) return engine_error(status);
  return engine;
}

// Whether what usually stops the engine is gone: a descriptor can be opened in
// the directory and the disk has room for a full memtable budget again.
bool environment_recovered(const std::string& dir) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return false;
  if (static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize < 2 * kMemtableBudgetBytes) return false;
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace

// Brings the engine back after a write failed on I/O. RocksDB stops taking
// writes after such a failure until DB::Resume(), and some failures (its next
// WAL file could not be created) it never resumes from: then, once the cause
// is gone, the database is closed and opened again in place, which replays the
// WAL, so every acknowledged write is kept. Calls in flight hold their own
// reference to the old engine; calls made while it is closed answer
// `unavailable`. Runs on its own thread, woken by a failed write.
class RocksDatabase::Healer {
 public:
  explicit Healer(RocksDatabase& database) : database_(database), thread_([this] { run(); }) {}
  ~Healer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  Healer(const Healer&) = delete;
  Healer& operator=(const Healer&) = delete;

  void request() {
    {
      std::lock_guard lock(mutex_);
      if (requested_) return;
      requested_ = true;
    }
    wake_.notify_one();
  }

 private:
  static constexpr auto kFirstRetry = std::chrono::milliseconds(50);
  static constexpr auto kLongestRetry = std::chrono::milliseconds(2'000);

  void run() {
    std::unique_lock lock(mutex_);
    auto backoff = kFirstRetry;
    while (true) {
      wake_.wait(lock, [&] { return requested_ || stopping_; });
      if (stopping_) return;
      lock.unlock();
      bool healed = attempt();
      lock.lock();
      if (healed) {
        requested_ = false;
        backoff = kFirstRetry;
        continue;
      }
      if (wake_.wait_for(lock, backoff, [&] { return stopping_; })) return;
      backoff = std::min(backoff * 2, kLongestRetry);
    }
  }

  bool attempt() {
    std::shared_ptr<Engine> engine = database_.engine_.load();
    if (engine && engine->db->Resume().ok()) return true;  // OK at once when nothing is wrong
    if (!environment_recovered(database_.dir_)) return false;
    if (engine) {
      database_.engine_.store(nullptr);
      // Only one process-wide handle may hold the directory's lock: wait for
      // the calls still using the old engine, then close it.
      while (engine.use_count() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      engine.reset();
    }
    auto reopened = open_engine(database_.dir_, database_.cache_);
    if (!reopened) return false;
    database_.engine_.store(std::move(*reopened));
    database_.reopen_count_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  RocksDatabase& database_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

std::unique_ptr<RocksDatabase> RocksDatabase::open(const std::string& dir) {
  auto cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  auto engine = open_engine(dir, cache);
  if (!engine) throw std::runtime_error("cannot open the message store in '" + dir + "': " + engine.error().message);
  return std::unique_ptr<RocksDatabase>(new RocksDatabase(dir, std::move(cache), std::move(*engine)));
}

RocksDatabase::RocksDatabase(std::string dir, std::shared_ptr<rocksdb::Cache> cache, std::shared_ptr<Engine> engine)
    : dir_(std::move(dir)), cache_(std::move(cache)), engine_(std::move(engine)) {
  healer_ = std::make_unique<Healer>(*this);
}

RocksDatabase::~RocksDatabase() {
  healer_.reset();  // before the engine it may be reopening
}

Result<std::shared_ptr<RocksDatabase::Engine>> RocksDatabase::engine() const {
  std::shared_ptr<Engine> engine = engine_.load();
  if (!engine) return make_error(ErrorCode::unavailable, "rocksdb: the store is being reopened after an I/O error");
  return engine;
}

Status RocksDatabase::failed_write(const rocksdb::Status& status) {
  Error error = engine_error(status);
  // A write refused for I/O may have stopped the engine: heal it.
  if (error.code == ErrorCode::unavailable) healer_->request();
  return error;
}

std::uint64_t RocksDatabase::reopen_count() const {
  return reopen_count_.load(std::memory_order_relaxed);
}

Result<std::optional<std::string>> RocksDatabase::get(Column column, std::string_view key) {
  auto engine = this->engine();
  if (!engine) return engine.error();
  std::string value;
  rocksdb::Status status = (*engine)->db->Get(rocksdb::ReadOptions(), (*engine)->handle(column), slice(key), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return engine_error(status);
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::optional<std::string>>> RocksDatabase::multi_get(Column column,
                                                                         const std::vector<std::string>& keys) {
  auto engine = this->engine();
  if (!engine) return engine.error();
  std::vector<rocksdb::ColumnFamilyHandle*> handles(keys.size(), (*engine)->handle(column));
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const std::string& key : keys) slices.push_back(slice(key));
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses = (*engine)->db->MultiGet(rocksdb::ReadOptions(), handles, slices, &values);
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
  auto engine = this->engine();
  if (!engine) return engine.error();
  rocksdb::WriteBatch batch;
  for (const WriteSet::Op& op : writes.ops()) {
    rocksdb::ColumnFamilyHandle* h = (*engine)->handle(op.column);
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
  rocksdb::Status status = (*engine)->db->Write(options, &batch);
  if (!status.ok()) return failed_write(status);
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
  auto engine = this->engine();
  if (!engine) return engine.error();
  std::unique_ptr<rocksdb::Iterator> it((*engine)->db->NewIterator(options, (*engine)->handle(column)));

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

std::vector<std::pair<std::string, std::uint64_t>> RocksDatabase::engine_stats() const {
  std::shared_ptr<Engine> engine = engine_.load();
  auto total = [&](const std::string& property) { return sum_over_columns(engine.get(), property); };
  auto whole = [&](const std::string& property) {
    std::uint64_t value = 0;
    if (engine) engine->db->GetIntProperty(property, &value);
    return value;
  };
  return {
      {"live_sst_bytes", total(rocksdb::DB::Properties::kLiveSstFilesSize)},
      {"pending_compaction_bytes", total(rocksdb::DB::Properties::kEstimatePendingCompactionBytes)},
      {"running_compactions", whole(rocksdb::DB::Properties::kNumRunningCompactions)},
      {"running_flushes", whole(rocksdb::DB::Properties::kNumRunningFlushes)},
      {"write_stopped", whole(rocksdb::DB::Properties::kIsWriteStopped)},
      {"delayed_write_rate", whole(rocksdb::DB::Properties::kActualDelayedWriteRate)},
  };
}

Result<std::vector<std::pair<std::string, std::uint64_t>>> RocksDatabase::compact_and_measure() {
  auto engine = this->engine();
  if (!engine) return engine.error();
  std::vector<std::pair<std::string, std::uint64_t>> sizes;
  for (int i = 0; i < kColumnCount; ++i) {
    rocksdb::ColumnFamilyHandle* handle = (*engine)->handle(static_cast<Column>(i));
    if (auto s = (*engine)->db->Flush(rocksdb::FlushOptions(), handle); !s.ok()) return engine_error(s);
    if (auto s = (*engine)->db->CompactRange(rocksdb::CompactRangeOptions(), handle, nullptr, nullptr); !s.ok()) {
      return engine_error(s);
    }
    std::uint64_t bytes = 0;
    (*engine)->db->GetIntProperty(handle, rocksdb::DB::Properties::kLiveSstFilesSize, &bytes);
    sizes.emplace_back(kColumnNames[static_cast<std::size_t>(i)], bytes);
  }
  return sizes;
}

std::vector<std::pair<std::string, std::uint64_t>> RocksDatabase::memory_usage() const {
  std::shared_ptr<Engine> engine = engine_.load();
  auto total = [&](const std::string& property) { return sum_over_columns(engine.get(), property); };
  return {
      {"memtable_bytes", total(rocksdb::DB::Properties::kCurSizeAllMemTables)},
      {"block_cache_bytes", cache_->GetUsage()},
      {"table_readers_bytes", total(rocksdb::DB::Properties::kEstimateTableReadersMem)},
  };
}

}  // namespace parley::rocks
