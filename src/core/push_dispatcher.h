#pragma once
// PushDispatcher: the durable queue of push notifications. Jobs are stored
// before they are attempted, retried with exponential backoff until they
// succeed or their give-up time passes, and reloaded after a restart.
// Thread-safe; owns one scheduling thread between start() and stop().

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/ports.h"

namespace parley {

class PushDispatcher {
 public:
  PushDispatcher(PushJobStore& store, PushSender& sender, Clock& clock, const CoreConfig& config);
  ~PushDispatcher();

  // Loads jobs left from a previous run and starts sending. Throws
  // std::runtime_error when they cannot be read (start-up only).
  void start();
  // Stops scheduling; jobs in flight are abandoned and stay stored.
  void stop();

  // Fills in ids and schedule, stores the jobs durably, then schedules them.
  void enqueue(std::vector<PushJob> jobs);
  // The two halves of enqueue, for callers that store the jobs themselves
  // in a larger atomic write: fill in ids and schedule, then, once stored,
  // schedule them.
  void prepare(std::vector<PushJob>& jobs);
  void schedule(std::vector<PushJob> jobs);

  std::size_t pending() const;

 private:
  void run();
  void finished(std::uint64_t id, bool delivered);

  PushJobStore& store_;
  PushSender& sender_;
  Clock& clock_;
  const CoreConfig& config_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::uint64_t, PushJob> jobs_;          // every stored job by id
  std::multimap<TimeMs, std::uint64_t> schedule_;  // due time -> id, for jobs not in flight
  std::size_t in_flight_ = 0;
  std::uint64_t next_id_ = 1;
  bool running_ = false;
  std::thread thread_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley
