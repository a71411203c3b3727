#pragma once
// PushDispatcher: sends the stored push jobs, each exactly once across the
// nodes that share the PushJobStore, retried with exponential backoff until
// the provider accepts it or its give-up time passes.
//
// Jobs come from the PushPlanner: the ones it just stored, and the stored
// jobs of every shard it owns (at start-up, when it takes a shard over, and
// periodically), so a job whose node died is sent by another. Before sending
// a due job the dispatcher claims it in the store for push_lease_ms; only
// the claimant sends. A job another node holds is tried again when that
// lease ends; a job that is gone (sent, given up) is forgotten. After a
// failed attempt the claim is kept until the next attempt; after the
// provider accepted the job, it is deleted. A job the provider refuses for
// good is deleted too; one whose subscription is gone (Web Push 404/410) is
// deleted and reported to `subscription_gone`, which drops the registration.
//
// The remaining window: a node that dies after the provider accepted a job
// and before the delete is stored leaves the job claimed; once the lease ends
// another node sends it again. Providers see at-least-once, and job.id is the
// same on every attempt, so it serves as their idempotency key.
//
// Thread-safe; owns one scheduling thread between start() and stop(). Store
// calls (claims, deletes) happen on that thread or on the sender's callback
// thread, never under the lock.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/ports.h"

namespace parley {

class PushDispatcher {
 public:
  // `owner` names this node in its claims (PushPlacement::node_id()).
  PushDispatcher(PushJobStore& store, PushSender& sender, Clock& clock, const CoreConfig& config, std::string owner);
  ~PushDispatcher();

  // Called (on the sender's callback thread) for each job whose subscription
  // the provider says no longer exists. Set before start().
  void on_subscription_gone(std::function<void(const PushJob&)> gone) { subscription_gone_ = std::move(gone); }

  void start();
  // Stops scheduling; jobs in flight get push_stop_grace_ms to be answered,
  // then the claims of those still unanswered are released (the jobs stay
  // stored: any node may send them at once; one the provider did get is
  // then sent twice, with the same job.id).
  void stop();

  // Fills in the schedule of new jobs (first attempt now, give-up time),
  // before the caller stores them.
  void prepare(std::vector<PushJob>& jobs) const;
  // Takes stored jobs into the schedule, at their next_attempt_at; jobs it
  // already has (same id) are left as they are.
  void schedule(std::vector<PushJob> jobs);

  // Jobs this dispatcher knows and has not finished.
  std::size_t pending() const;

 private:
  struct Entry {
    PushJob job;
    bool in_flight = false;
  };
  void run();
  // Claims the due jobs, then sends the ones this node got.
  void claim_and_send(std::vector<std::uint64_t> ids);
  void finished(const PushJob& job, PushOutcome outcome);
  // Back in the schedule at `at`, unless forgotten meanwhile.
  void reschedule_locked(std::uint64_t id, TimeMs at);

  PushJobStore& store_;
  PushSender& sender_;
  Clock& clock_;
  const CoreConfig& config_;
  const std::string owner_;
  std::function<void(const PushJob&)> subscription_gone_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::uint64_t, Entry> jobs_;            // every known job by id
  std::multimap<TimeMs, std::uint64_t> schedule_;  // due time -> id, for jobs not in flight
  std::size_t in_flight_ = 0;
  bool running_ = false;
  std::thread thread_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley
