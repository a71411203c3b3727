#pragma once
// LastActiveWriter: stores users' last_active_at in batches on its own
// thread, so that marking users offline (Presence::sweep, logout) never waits
// for the store and never runs store I/O on the caller's thread. Every user
// recorded while a write is in flight joins the next write: one synced write
// stores any number of users.
//
// Until a value is durable it stays readable through pending(), so presence
// answers never go back in time. A failed write is retried with backoff
// (nothing recorded is dropped); stop() makes one last attempt.
//
// Thread-safe; owns one writer thread between start() and stop().

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "core/config.h"
#include "core/ports.h"

namespace parley {

class LastActiveWriter {
 public:
  LastActiveWriter(AccountStore& store, const CoreConfig& config);
  ~LastActiveWriter();

  void start();
  // Writes what is pending (one attempt), then stops.
  void stop();

  // Never blocks on the store. A later time for the same user replaces an
  // earlier one; what is recorded together is written together.
  void record(const std::vector<LastActive>& updates);
  // The newest recorded value not yet known to be durable.
  std::optional<TimeMs> pending(const UserId& user) const;

 private:
  void run();
  // One batch write of everything pending; clears what it stored.
  Status write_pending(std::unique_lock<std::mutex>& lock);

  AccountStore& store_;
  const CoreConfig& config_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_map<UserId, TimeMs> pending_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley
