// MariaDbPushJobStore: push jobs and per-shard planning markers as InnoDB
// rows. The schema is push_migration_1 in mariadb_schema.cc.
#include "store/mariadb/mariadb_push_jobs.h"

#include <map>

#include "store/mariadb/connection_pool.h"
#include "store/mariadb/mariadb_schema.h"
#include "store/mariadb/message_shards.h"
#include "store/mariadb/pooled_calls.h"

namespace parley {

using mariadb::Connection;
using mariadb::Param;
using mariadb::Row;

namespace {

// Rows per multi-row INSERT and ids per IN list (a power of two).
constexpr std::size_t kRowsPerStatement = 32;
// A job id is (shard << kShardShift) | the shard's counter.
constexpr unsigned kShardShift = 48;
constexpr std::uint64_t kCounterLimit = std::uint64_t{1} << kShardShift;
constexpr ShardId kShardLimit = 1u << 16;

constexpr const char* kJobColumns =
    "id, shard, user_id, device_id, url, chat_id, seq, sender_id, preview, count, attempts, next_attempt_at, "
    "give_up_at, provider, p256dh, auth";
constexpr std::size_t kJobColumnCount = 16;

Error undecodable(const char* table) {
  return make_error(ErrorCode::internal, std::string("mariadb: a row of ") + table + " does not decode");
}

Error planned_elsewhere() {
  return make_error(ErrorCode::conflict, "push planning of the shard moved on: another node planned it");
}

// A job from the kJobColumns of `r`, starting at column 0.
Result<PushJob> job_from(const Row& r) {
  PushJob job;
  job.id = r.u64(0);
  const std::uint64_t shard = r.u64(1);
  job.user_id = r.text(2);
  job.device_id = r.text(3);
  job.url = r.text(4);
  job.chat_id = r.text(5);
  job.seq = r.u64(6);
  job.sender_id = r.text(7);
  job.preview = r.text(8);
  const std::uint64_t count = r.u64(9);
  const std::uint64_t attempts = r.u64(10);
  job.next_attempt_at = r.i64(11);
  job.give_up_at = r.i64(12);
  job.provider = r.text(13);
  job.p256dh = r.text(14);
  job.auth = r.text(15);
  if (r.bad() || shard >= kShardLimit || count > UINT32_MAX || attempts > UINT32_MAX) return undecodable("push_jobs");
  job.shard = static_cast<ShardId>(shard);
  job.count = static_cast<std::uint32_t>(count);
  job.attempts = static_cast<std::uint32_t>(attempts);
  return job;
}

void bind_job(std::vector<Param>& params, const PushJob& job) {
  params.emplace_back(job.id);
  params.emplace_back(std::uint64_t{job.shard});
  params.emplace_back(std::string_view(job.user_id));
  params.emplace_back(std::string_view(job.device_id));
  params.emplace_back(std::string_view(job.url));
  params.emplace_back(std::string_view(job.chat_id));
  params.emplace_back(job.seq);
  params.emplace_back(std::string_view(job.sender_id));
  params.emplace_back(std::string_view(job.preview));
  params.emplace_back(std::uint64_t{job.count});
  params.emplace_back(std::uint64_t{job.attempts});
  params.emplace_back(std::int64_t{job.next_attempt_at});
  params.emplace_back(std::int64_t{job.give_up_at});
  params.emplace_back(std::string_view(job.provider));
  params.emplace_back(std::string_view(job.p256dh));
  params.emplace_back(std::string_view(job.auth));
}

Status insert_jobs(Connection& c, const std::vector<PushJob>& jobs) {
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t count : mariadb::power_of_two_chunks(jobs.size(), kRowsPerStatement)) {
    const std::string sql = std::string("INSERT INTO push_jobs (") + kJobColumns + ") VALUES " +
                            mariadb::placeholder_rows(count, kJobColumnCount);
    params.clear();
    for (std::size_t i = next; i < next + count; ++i) bind_job(params, jobs[i]);
    next += count;
    auto inserted = c.query(sql.c_str(), params);
    if (!inserted) return inserted.error();
  }
  return Ok{};
}

// The body of the planning transaction: the compare-and-set, then the jobs.
Status plan_in_transaction(Connection& c, std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                           LogOffset up_to) {
  auto rows =
      c.query("SELECT planned_offset, next_job FROM push_plans WHERE shard = ? FOR UPDATE", {std::uint64_t{shard}});
  if (!rows) return rows.error();
  std::uint64_t next = 1;
  const bool first_plan = rows->empty();
  if (first_plan) {
    if (from) return planned_elsewhere();
  } else {
    const LogOffset planned = rows->front().u64(0);
    next = rows->front().u64(1);
    if (rows->front().bad()) return undecodable("push_plans");
    if (!from || *from != planned) return planned_elsewhere();
  }
  if (jobs.size() >= kCounterLimit - next) return make_error(ErrorCode::internal, "push job ids of the shard ran out");
  const std::uint64_t base = std::uint64_t{shard} << kShardShift;
  for (PushJob& job : jobs) {
    job.id = base | next++;
    job.shard = shard;
  }
  if (first_plan) {
    auto inserted = c.execute("INSERT INTO push_plans (shard, planned_offset, next_job) VALUES (?, ?, ?)",
                              {std::uint64_t{shard}, up_to, next});
    if (!inserted) return c.duplicate_key() == "PRIMARY" ? planned_elsewhere() : inserted.error();
  } else {
    auto updated = c.execute("UPDATE push_plans SET planned_offset = ?, next_job = ? WHERE shard = ?",
                             {up_to, next, std::uint64_t{shard}});
    if (!updated) return updated.error();
  }
  return insert_jobs(c, jobs);
}

}  // namespace

std::unique_ptr<MariaDbPushJobStore> MariaDbPushJobStore::open(const MariaDbConfig& config) {
  mariadb::ensure_push_schema(config.connection);
  return std::unique_ptr<MariaDbPushJobStore>(
      new MariaDbPushJobStore(std::make_unique<mariadb::ConnectionPool>(config.connection, config.pool_size)));
}

MariaDbPushJobStore::MariaDbPushJobStore(std::unique_ptr<mariadb::ConnectionPool> pool) : pool_(std::move(pool)) {}
MariaDbPushJobStore::~MariaDbPushJobStore() = default;

Result<std::optional<LogOffset>> MariaDbPushJobStore::push_planned_offset(ShardId shard) {
  return mariadb::pooled_read<std::optional<LogOffset>>(*pool_, [&](Connection& c) -> Result<std::optional<LogOffset>> {
    auto rows = c.query("SELECT planned_offset FROM push_plans WHERE shard = ?", {std::uint64_t{shard}});
    if (!rows) return rows.error();
    if (rows->empty()) return std::nullopt;
    const LogOffset planned = rows->front().u64(0);
    if (rows->front().bad()) return undecodable("push_plans");
    return std::optional<LogOffset>(planned);
  });
}

Status MariaDbPushJobStore::put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard,
                                                  std::optional<LogOffset> from, LogOffset up_to) {
  if (shard >= kShardLimit) return make_error(ErrorCode::invalid_request, "push planning: shard out of range");
  if (from && up_to < *from) return make_error(ErrorCode::invalid_request, "push planning cannot move back");
  // A rerun (deadlock victim) starts from the caller's jobs again.
  std::vector<PushJob> staged;
  auto done = mariadb::pooled_write<Ok>(*pool_, [&](Connection& c) -> Status {
    staged = jobs;
    return mariadb::in_transaction(c, [&] { return plan_in_transaction(c, staged, shard, from, up_to); });
  });
  if (done) jobs = std::move(staged);
  return done;
}

Result<std::vector<PushJob>> MariaDbPushJobStore::load_push_jobs(ShardId shard) {
  return mariadb::pooled_read<std::vector<PushJob>>(*pool_, [&](Connection& c) -> Result<std::vector<PushJob>> {
    const std::string sql = std::string("SELECT ") + kJobColumns + " FROM push_jobs WHERE shard = ? ORDER BY id";
    auto rows = c.query(sql.c_str(), {std::uint64_t{shard}});
    if (!rows) return rows.error();
    std::vector<PushJob> jobs;
    jobs.reserve(rows->size());
    for (const Row& row : *rows) {
      auto job = job_from(row);
      if (!job) return job.error();
      jobs.push_back(std::move(*job));
    }
    return jobs;
  });
}

Result<std::vector<PushClaim>> MariaDbPushJobStore::claim_push_jobs(const std::vector<std::uint64_t>& ids,
                                                                    const std::string& owner, TimeMs now,
                                                                    TimeMs lease_until) {
  std::map<std::uint64_t, PushClaim> found;
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t count : mariadb::power_of_two_chunks(ids.size(), kRowsPerStatement)) {
    const std::string in = mariadb::placeholder_rows(1, count);
    // Autocommit: once this UPDATE commits, the jobs it matched carry this
    // owner's lease, and no other claimant matches them before it ends.
    const std::string claim = "UPDATE push_jobs SET owner = ?, lease_until = ? WHERE id IN " + in +
                              " AND (owner IS NULL OR owner = ? OR lease_until <= ?)";
    params.clear();
    params.emplace_back(std::string_view(owner));
    params.emplace_back(std::int64_t{lease_until});
    for (std::size_t i = next; i < next + count; ++i) params.emplace_back(ids[i]);
    params.emplace_back(std::string_view(owner));
    params.emplace_back(std::int64_t{now});
    auto claimed =
        mariadb::pooled_write<std::vector<Row>>(*pool_, [&](Connection& c) { return c.query(claim.c_str(), params); });
    if (!claimed) return claimed.error();

    const std::string read =
        std::string("SELECT ") + kJobColumns + ", owner, lease_until FROM push_jobs WHERE id IN " + in;
    params.clear();
    for (std::size_t i = next; i < next + count; ++i) params.emplace_back(ids[i]);
    next += count;
    auto rows =
        mariadb::pooled_read<std::vector<Row>>(*pool_, [&](Connection& c) { return c.query(read.c_str(), params); });
    if (!rows) return rows.error();
    for (const Row& row : *rows) {
      auto job = job_from(row);
      if (!job) return job.error();
      const bool mine = !row.is_null(kJobColumnCount) && row.text(kJobColumnCount) == owner;
      const TimeMs until = row.i64(kJobColumnCount + 1);
      if (row.bad()) return undecodable("push_jobs");
      PushClaim& out = found[job->id];
      out.id = job->id;
      if (mine) {
        out.state = PushClaimState::claimed;
        out.job = std::move(*job);
      } else {
        out.state = PushClaimState::held;
        out.held_until = until;
      }
    }
  }
  std::vector<PushClaim> out;
  out.reserve(ids.size());
  for (std::uint64_t id : ids) {
    auto it = found.find(id);
    if (it != found.end()) {
      out.push_back(it->second);
    } else {
      PushClaim gone;
      gone.id = id;
      out.push_back(std::move(gone));
    }
  }
  return out;
}

Result<bool> MariaDbPushJobStore::reschedule_push_job(const PushJob& job, const std::string& owner) {
  return mariadb::pooled_write<bool>(*pool_, [&](Connection& c) -> Result<bool> {
    // The claim lasts until the next attempt, when the owner claims it again.
    auto updated =
        c.execute("UPDATE push_jobs SET attempts = ?, next_attempt_at = ?, lease_until = ? WHERE id = ? AND owner = ?",
                  {std::uint64_t{job.attempts}, std::int64_t{job.next_attempt_at}, std::int64_t{job.next_attempt_at},
                   job.id, std::string_view(owner)});
    if (!updated) return updated.error();
    return *updated == 1;
  });
}

Status MariaDbPushJobStore::release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) {
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t count : mariadb::power_of_two_chunks(ids.size(), kRowsPerStatement)) {
    const std::string release = "UPDATE push_jobs SET owner = NULL, lease_until = 0 WHERE id IN " +
                                mariadb::placeholder_rows(1, count) + " AND owner = ?";
    params.clear();
    for (std::size_t i = next; i < next + count; ++i) params.emplace_back(ids[i]);
    params.emplace_back(std::string_view(owner));
    next += count;
    auto released = mariadb::pooled_write<std::vector<Row>>(
        *pool_, [&](Connection& c) { return c.query(release.c_str(), params); });
    if (!released) return released.error();
  }
  return Ok{};
}

Status MariaDbPushJobStore::delete_push_job(std::uint64_t id) {
  return mariadb::pooled_write<Ok>(*pool_, [&](Connection& c) -> Status {
    auto deleted = c.execute("DELETE FROM push_jobs WHERE id = ?", {id});
    if (!deleted) return deleted.error();
    return Ok{};
  });
}

}  // namespace parley
