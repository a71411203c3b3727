#pragma once
// RecordingPushSender: a PushSender that records every job and completes it
// as the test chooses: at once with success or failure, or held until the test
// completes it (to test retries and in-flight limits). Thread-safe; `done`
// callbacks always run outside the lock, on the thread that completes them.

#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "core/ports.h"

namespace parley {

class RecordingPushSender final : public PushSender {
 public:
  enum class Outcome {
    delivered,  // done(PushOutcome::delivered) before send returns
    failed,     // done(PushOutcome::retry) before send returns
    rejected,   // done(PushOutcome::rejected) before send returns
    gone,       // done(PushOutcome::gone) before send returns
    held,       // kept until complete_next / complete_all
  };

  explicit RecordingPushSender(Outcome outcome = Outcome::delivered) : outcome_(outcome) {}

  void send(const PushJob& job, std::function<void(PushOutcome)> done) override;

  // Applies to later sends only.
  void set_outcome(Outcome outcome);

  // Every job passed to send, in call order.
  std::vector<PushJob> sent() const;
  std::size_t sent_count() const;
  std::size_t held_count() const;

  // Completes the oldest held send (true: delivered, false: retry); false
  // when none is held.
  bool complete_next(bool delivered);
  bool complete_next(PushOutcome outcome);
  // Completes every held send, oldest first; returns how many.
  std::size_t complete_all(bool delivered);

 private:
  mutable std::mutex mutex_;
  Outcome outcome_;
  std::vector<PushJob> sent_;
  std::deque<std::function<void(PushOutcome)>> held_;
};

}  // namespace parley
