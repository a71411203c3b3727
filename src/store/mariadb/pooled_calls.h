#pragma once
// How the MariaDB adapters run a call on a pooled connection: when a failed
// call may be run again, and one transaction around a body. Shared by every
// store on a ConnectionPool, so they all retry by the same rules.

#include "store/mariadb/connection_pool.h"

namespace parley::mariadb {

// Deadlock victims were rolled back: run them again, this many times.
inline constexpr int kDeadlockRetries = 3;

// Runs `op` on a pooled connection. A read is run once more on a new
// connection when a reused one turns out dead (a leftover of an outage).
template <typename T, typename Op>
Result<T> pooled_read(ConnectionPool& pool, Op&& op) {
  for (int attempt = 0;; ++attempt) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    Result<T> result = op(**lease);
    if (result.ok() || attempt > 0 || lease->fresh() || !(*lease)->broken()) return result;
  }
}

// Runs `op` on a pooled connection; again only when that cannot apply it
// twice: the connection was gone before anything was sent, or the
// transaction was a deadlock victim and rolled back.
template <typename T, typename Op>
Result<T> pooled_write(ConnectionPool& pool, Op&& op) {
  int deadlocks = 0;
  bool retried_lost = false;
  for (;;) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    Connection& c = **lease;
    Result<T> result = op(c);
    if (result.ok()) return result;
    if (c.deadlocked() && ++deadlocks <= kDeadlockRetries) continue;
    if (c.lost_before_sending() && !lease->fresh() && !retried_lost) {
      retried_lost = true;
      continue;
    }
    return result;
  }
}

// Runs `body` in one transaction on `c`: committed when it succeeds, rolled
// back when it fails (the connection is discarded if even that fails).
template <typename Body>
Status in_transaction(Connection& c, Body&& body) {
  if (auto begun = c.run("START TRANSACTION"); !begun) return begun;
  Status status = body();
  if (!status) {
    if (!c.broken()) (void)c.run("ROLLBACK");
    return status;
  }
  return c.run("COMMIT");
}

}  // namespace parley::mariadb
