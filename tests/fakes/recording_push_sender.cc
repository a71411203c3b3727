#include "fakes/recording_push_sender.h"

#include <utility>

namespace parley {

void RecordingPushSender::send(const PushJob& job, std::function<void(PushOutcome)> done) {
  Outcome outcome;
  {
    std::lock_guard lock(mutex_);
    sent_.push_back(job);
    outcome = outcome_;
    if (outcome == Outcome::held) {
      held_.push_back(std::move(done));
      return;
    }
  }
  // Outside the lock: the callback may well send again.
  if (!done) return;
  switch (outcome) {
    case Outcome::delivered:
      done(PushOutcome::delivered);
      break;
    case Outcome::rejected:
      done(PushOutcome::rejected);
      break;
    case Outcome::gone:
      done(PushOutcome::gone);
      break;
    default:
      done(PushOutcome::retry);
      break;
  }
}

void RecordingPushSender::set_outcome(Outcome outcome) {
  std::lock_guard lock(mutex_);
  outcome_ = outcome;
}

std::vector<PushJob> RecordingPushSender::sent() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

std::size_t RecordingPushSender::sent_count() const {
  std::lock_guard lock(mutex_);
  return sent_.size();
}

std::size_t RecordingPushSender::held_count() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

bool RecordingPushSender::complete_next(bool delivered) {
  return complete_next(delivered ? PushOutcome::delivered : PushOutcome::retry);
}

bool RecordingPushSender::complete_next(PushOutcome outcome) {
  std::function<void(PushOutcome)> done;
  {
    std::lock_guard lock(mutex_);
    if (held_.empty()) return false;
    done = std::move(held_.front());
    held_.pop_front();
  }
  if (done) done(outcome);
  return true;
}

std::size_t RecordingPushSender::complete_all(bool delivered) {
  std::deque<std::function<void(PushOutcome)>> held;
  {
    std::lock_guard lock(mutex_);
    held.swap(held_);
  }
  for (auto& done : held) {
    if (done) done(delivered ? PushOutcome::delivered : PushOutcome::retry);
  }
  return held.size();
}

}  // namespace parley
