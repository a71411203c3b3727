#pragma once
// HoldFirstCall: a FaultyStore hook that holds the first call of a store
// method until the test releases it (or a deadline passes) and lets every
// later call through. Tests use it to show what does NOT wait for that call:
// anything that completes while it is held never depended on it.
//
// The hook shares its state with the HoldFirstCall instead of pointing to it:
// a server thread may still call the hook, or be finishing the held call,
// after the test body (and the HoldFirstCall on its stack) has ended.

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>

namespace parley::testing {

class HoldFirstCall {
 public:
  static constexpr auto kDeadline = std::chrono::seconds(10);

  HoldFirstCall() = default;
  HoldFirstCall(const HoldFirstCall&) = delete;
  HoldFirstCall& operator=(const HoldFirstCall&) = delete;
  // A call still held is let go: nothing is left waiting for a test that ended.
  ~HoldFirstCall() { release(); }

  std::function<void()> hook() {
    return [state = state_] {
      if (state->calls.fetch_add(1) != 0) return;
      state->holding = true;
      state->entered.set_value();
      state->released_in_time = state->release_future.wait_for(kDeadline) == std::future_status::ready;
      state->holding = false;
    };
  }
  // Blocks until the first call is being held.
  bool wait_entered() { return state_->entered_future.wait_for(kDeadline) == std::future_status::ready; }
  // True while the first call is held (not yet released, deadline not passed).
  bool holding() const { return state_->holding; }
  void release() {
    if (!state_->released.exchange(true)) state_->release.set_value();
  }
  // False if the held call gave up waiting: whatever should have released it
  // was itself blocked behind the held call.
  bool released_in_time() const { return state_->released_in_time; }

 private:
  struct State {
    std::atomic<int> calls{0};
    std::atomic<bool> holding{false};
    std::promise<void> entered;
    std::future<void> entered_future = entered.get_future();
    std::atomic<bool> released{false};
    std::promise<void> release;
    std::shared_future<void> release_future = release.get_future().share();
    std::atomic<bool> released_in_time{false};
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace parley::testing
