#pragma once
// HoldFirstCall: a FaultyStore hook that holds the first call of a store
// method until the test releases it (or a deadline passes) and lets every
// later call through. Tests use it to show what does NOT wait for that call:
// anything that completes while it is held never depended on it.

#include <atomic>
#include <chrono>
#include <functional>
#include <future>

namespace parley::testing {

class HoldFirstCall {
 public:
  static constexpr auto kDeadline = std::chrono::seconds(10);

  std::function<void()> hook() {
    return [this] {
      if (calls_.fetch_add(1) != 0) return;
      holding_ = true;
      entered_.set_value();
      released_in_time_ = release_.get_future().wait_for(kDeadline) == std::future_status::ready;
      holding_ = false;
    };
  }
  // Blocks until the first call is being held.
  bool wait_entered() { return entered_future_.wait_for(kDeadline) == std::future_status::ready; }
  // True while the first call is held (not yet released, deadline not passed).
  bool holding() const { return holding_; }
  void release() { release_.set_value(); }
  // False if the held call gave up waiting: whatever should have released it
  // was itself blocked behind the held call.
  bool released_in_time() const { return released_in_time_; }

 private:
  std::atomic<int> calls_{0};
  std::atomic<bool> holding_{false};
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::promise<void> release_;
  std::atomic<bool> released_in_time_{false};
};

}  // namespace parley::testing
