#include "core/push_dispatcher.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace parley {

PushDispatcher::PushDispatcher(PushJobStore& store, PushSender& sender, Clock& clock, const CoreConfig& config)
    : store_(store), sender_(sender), clock_(clock), config_(config) {}

PushDispatcher::~PushDispatcher() {
  stop();
}

void PushDispatcher::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  auto stored = store_.load_push_jobs();
  // Starting with an empty queue would silently drop the stored jobs.
  if (!stored) throw std::runtime_error("cannot load the push jobs: " + stored.error().message);
  for (auto& job : *stored) {
    next_id_ = std::max(next_id_, job.id + 1);
    schedule_.emplace(job.next_attempt_at, job.id);
    jobs_.emplace(job.id, std::move(job));
  }
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void PushDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    running_ = false;
  }
  wake_.notify_all();
  thread_.join();
}

std::size_t PushDispatcher::pending() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void PushDispatcher::enqueue(std::vector<PushJob> jobs) {
  if (jobs.empty()) return;
  prepare(jobs);
  // Stored before scheduled: a job that is attempted always survives a restart.
  if (!store_.put_push_jobs(jobs)) return;
  schedule(std::move(jobs));
}

void PushDispatcher::prepare(std::vector<PushJob>& jobs) {
  if (jobs.empty()) return;
  TimeMs now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  for (auto& job : jobs) {
    job.id = next_id_++;
    job.attempts = 0;
    job.next_attempt_at = now;
    job.give_up_at = now + config_.push_give_up_after_ms;
  }
}

void PushDispatcher::schedule(std::vector<PushJob> jobs) {
  if (jobs.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (auto& job : jobs) {
      schedule_.emplace(job.next_attempt_at, job.id);
      jobs_.emplace(job.id, std::move(job));
    }
  }
  wake_.notify_all();
}

void PushDispatcher::run() {
  std::unique_lock lock(mutex_);
  while (running_) {
    TimeMs now = clock_.now_ms();
    while (!schedule_.empty() && schedule_.begin()->first <= now && in_flight_ < config_.push_max_in_flight) {
      auto id = schedule_.begin()->second;
      schedule_.erase(schedule_.begin());
      auto it = jobs_.find(id);
      if (it == jobs_.end()) continue;
      PushJob job = it->second;
      ++in_flight_;
      std::weak_ptr<bool> alive = alive_;
      lock.unlock();
      sender_.send(job, [this, alive, id](bool delivered) {
        if (auto guard = alive.lock()) finished(id, delivered);
      });
      lock.lock();
      now = clock_.now_ms();
    }
    // Poll at least every 100 ms so an injected clock that jumps is noticed.
    auto wait = std::chrono::milliseconds(100);
    if (!schedule_.empty() && in_flight_ < config_.push_max_in_flight) {
      wait = std::min(wait, std::chrono::milliseconds(std::max<TimeMs>(0, schedule_.begin()->first - now)));
    }
    wake_.wait_for(lock, wait);
  }
}

void PushDispatcher::finished(std::uint64_t id, bool delivered) {
  std::unique_lock lock(mutex_);
  if (in_flight_ > 0) --in_flight_;
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  if (delivered) {
    jobs_.erase(it);
    lock.unlock();
    (void)store_.delete_push_job(id);
    wake_.notify_all();
    return;
  }
  PushJob& job = it->second;
  ++job.attempts;
  TimeMs backoff = config_.push_retry_initial_ms;
  for (std::uint32_t i = 1; i < job.attempts && backoff < config_.push_retry_max_ms; ++i) backoff *= 2;
  backoff = std::min(backoff, config_.push_retry_max_ms);
  job.next_attempt_at = clock_.now_ms() + backoff;
  if (job.next_attempt_at > job.give_up_at) {
    jobs_.erase(it);
    lock.unlock();
    (void)store_.delete_push_job(id);
    return;
  }
  PushJob copy = job;
  schedule_.emplace(job.next_attempt_at, id);
  lock.unlock();
  (void)store_.put_push_jobs({copy});
  wake_.notify_all();
}

}  // namespace parley
