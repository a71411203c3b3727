#pragma once
// MariaDbPushJobStore: the cluster's push job queue, on InnoDB in the
// accounts database, shared by every node.
//
// Planning a shard is a compare-and-set in one transaction:
//
//   START TRANSACTION
//   SELECT planned_offset, next_job FROM push_plans WHERE shard = ? FOR UPDATE
//   -- refuse with `conflict` unless planned_offset is the caller's `from`
//   INSERT INTO push_jobs ... ; UPDATE push_plans SET planned_offset, next_job
//   COMMIT
//
// so of two nodes planning the same range, the second waits for the first's
// row lock, then finds the offset moved and stores nothing. A shard's first
// plan INSERTs its row; a concurrent first plan collides on the primary key
// (`conflict`). Job ids are (shard << 48) | the shard's counter: unique across
// shards, never reused.
//
// Claims are one conditional UPDATE (owner, lease_until) that matches a job
// only if it is unclaimed, the caller's, or its lease has ended; InnoDB's row
// lock makes one of several concurrent claimants match. A SELECT then tells
// the caller which jobs are its own. Lease times are the nodes' clocks: their
// skew must stay well below push_lease_ms.
//
// Thread-safe and blocking, like MariaDbStore: any thread off the I/O
// threads; no lock of this class is held during a query. Fails with
// unavailable while MariaDB cannot be reached.

#include <memory>

#include "core/ports.h"
#include "store/mariadb/mariadb_store.h"

namespace parley {

class MariaDbPushJobStore final : public PushJobStore {
 public:
  // Creates the push schema if missing (idempotent, safe when several nodes
  // start at once). Throws std::runtime_error with the reason on failure;
  // start-up only.
  static std::unique_ptr<MariaDbPushJobStore> open(const MariaDbConfig& config);
  ~MariaDbPushJobStore() override;
  MariaDbPushJobStore(const MariaDbPushJobStore&) = delete;
  MariaDbPushJobStore& operator=(const MariaDbPushJobStore&) = delete;

  Result<std::optional<LogOffset>> push_planned_offset(ShardId shard) override;
  // Also invalid_request for a shard >= 65536 (it would not fit the id).
  Status put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                               LogOffset up_to) override;
  Result<std::vector<PushJob>> load_push_jobs(ShardId shard) override;
  Result<std::vector<PushClaim>> claim_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner,
                                                 TimeMs now, TimeMs lease_until) override;
  Result<bool> reschedule_push_job(const PushJob& job, const std::string& owner) override;
  Status delete_push_job(std::uint64_t id) override;
  Status release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) override;

 private:
  explicit MariaDbPushJobStore(std::unique_ptr<mariadb::ConnectionPool> pool);

  std::unique_ptr<mariadb::ConnectionPool> pool_;
};

}  // namespace parley
