#include "core/push_dispatcher.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "core/metrics.h"

namespace parley {

PushDispatcher::PushDispatcher(PushJobStore& store, PushSender& sender, Clock& clock, const CoreConfig& config,
                               std::string owner)
    : store_(store), sender_(sender), clock_(clock), config_(config), owner_(std::move(owner)) {}

PushDispatcher::~PushDispatcher() {
  stop();
}

void PushDispatcher::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
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
  // Nothing is sent from here on; answers may still come in (finished()).
  std::vector<std::uint64_t> unanswered;
  {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(config_.push_stop_grace_ms), [&] { return in_flight_ == 0; });
    for (const auto& [id, entry] : jobs_) {
      if (entry.in_flight) unanswered.push_back(id);
    }
  }
  // A failed release leaves the claims to end with their lease.
  if (!unanswered.empty()) (void)store_.release_push_jobs(unanswered, owner_);
}

std::size_t PushDispatcher::pending() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void PushDispatcher::prepare(std::vector<PushJob>& jobs) const {
  TimeMs now = clock_.now_ms();
  for (auto& job : jobs) {
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
      auto [it, fresh] = jobs_.try_emplace(job.id);
      if (!fresh) continue;  // known: already scheduled or in flight
      schedule_.emplace(job.next_attempt_at, job.id);
      it->second.job = std::move(job);
    }
  }
  wake_.notify_all();
}

void PushDispatcher::reschedule_locked(std::uint64_t id, TimeMs at) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  it->second.in_flight = false;
  schedule_.emplace(at, id);
}

void PushDispatcher::run() {
  std::unique_lock lock(mutex_);
  while (running_) {
    TimeMs now = clock_.now_ms();
    // Every known job is either in flight or in the schedule exactly once.
    std::vector<std::uint64_t> due;
    while (!schedule_.empty() && schedule_.begin()->first <= now && in_flight_ < config_.push_max_in_flight) {
      auto id = schedule_.begin()->second;
      schedule_.erase(schedule_.begin());
      auto it = jobs_.find(id);
      if (it == jobs_.end()) continue;
      it->second.in_flight = true;
      ++in_flight_;
      due.push_back(id);
    }
    if (!due.empty()) {
      lock.unlock();
      claim_and_send(std::move(due));
      lock.lock();
      continue;
    }
    // Poll at least every 100 ms so an injected clock that jumps is noticed.
    auto wait = std::chrono::milliseconds(100);
    if (!schedule_.empty() && in_flight_ < config_.push_max_in_flight) {
      wait = std::min(wait, std::chrono::milliseconds(std::max<TimeMs>(0, schedule_.begin()->first - now)));
    }
    wake_.wait_for(lock, wait);
  }
}

void PushDispatcher::claim_and_send(std::vector<std::uint64_t> ids) {
  const TimeMs now = clock_.now_ms();
  auto claims = store_.claim_push_jobs(ids, owner_, now, now + config_.push_lease_ms);
  std::vector<PushJob> to_send;
  std::vector<std::uint64_t> given_up;
  {
    std::lock_guard lock(mutex_);
    if (!claims) {
      // The store may heal: ask again later. Not an attempt: nothing was sent.
      in_flight_ -= ids.size();
      for (auto id : ids) reschedule_locked(id, now + config_.push_retry_initial_ms);
      return;
    }
    std::set<std::uint64_t> unanswered(ids.begin(), ids.end());
    for (const PushClaim& claim : *claims) {
      if (unanswered.erase(claim.id) == 0) continue;  // not asked, or answered twice
      auto it = jobs_.find(claim.id);
      if (it == jobs_.end()) {
        --in_flight_;
        continue;
      }
      switch (claim.state) {
        case PushClaimState::claimed:
          if (claim.job.give_up_at < now) {
            --in_flight_;
            jobs_.erase(it);
            given_up.push_back(claim.id);
            process_metrics().push_given_up.add();
            break;
          }
          // The stored job is the truth: another node may have attempted it.
          it->second.job = claim.job;
          to_send.push_back(claim.job);
          break;
        case PushClaimState::held:
          // Another node is sending it; look again when its lease ends.
          --in_flight_;
          reschedule_locked(claim.id, std::max(claim.held_until, now + 1));
          break;
        case PushClaimState::gone:
          --in_flight_;
          jobs_.erase(it);
          break;
      }
    }
    // A store that left an id unanswered must not leave it in flight forever.
    in_flight_ -= unanswered.size();
    for (auto id : unanswered) reschedule_locked(id, now + config_.push_retry_initial_ms);
  }
  for (auto id : given_up) (void)store_.delete_push_job(id);
  for (PushJob& job : to_send) {
    std::weak_ptr<bool> alive = alive_;
    auto copy = job;
    sender_.send(job, [this, alive, copy = std::move(copy)](PushOutcome outcome) {
      if (auto guard = alive.lock()) finished(copy, outcome);
    });
  }
  wake_.notify_all();
}

void PushDispatcher::finished(const PushJob& sent, PushOutcome outcome) {
  process_metrics().push_attempts.add();
  if (outcome != PushOutcome::delivered) process_metrics().push_failures.add();
  const TimeMs now = clock_.now_ms();
  PushJob job = sent;
  // Refused for good or gone: retrying cannot help.
  bool forget = outcome != PushOutcome::retry;
  if (outcome == PushOutcome::rejected) process_metrics().push_given_up.add();
  if (outcome == PushOutcome::gone && subscription_gone_) subscription_gone_(job);
  if (outcome == PushOutcome::retry) {
    ++job.attempts;
    TimeMs backoff = config_.push_retry_initial_ms;
    for (std::uint32_t i = 1; i < job.attempts && backoff < config_.push_retry_max_ms; ++i) backoff *= 2;
    job.next_attempt_at = now + std::min(backoff, config_.push_retry_max_ms);
    forget = job.next_attempt_at > job.give_up_at;
    if (forget) process_metrics().push_given_up.add();
  }
  if (forget) {
    // If this delete is lost, the job is sent again after its lease.
    (void)store_.delete_push_job(job.id);
  } else if (auto kept = store_.reschedule_push_job(job, owner_); kept && !*kept) {
    forget = true;  // gone, or another node took it over: it is theirs
  }
  // A failed reschedule write keeps the local retry: the claim is renewed then.
  {
    std::lock_guard lock(mutex_);
    if (in_flight_ > 0) --in_flight_;
    if (forget) {
      jobs_.erase(job.id);
    } else if (auto it = jobs_.find(job.id); it != jobs_.end()) {
      it->second.job = job;
      reschedule_locked(job.id, job.next_attempt_at);
    }
  }
  wake_.notify_all();
}

}  // namespace parley
