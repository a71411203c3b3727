#pragma once
// Waiting in tests: poll a condition until it holds or a deadline passes.
// A deadline, never a timing assertion: the caller asserts the result.

#include <chrono>
#include <thread>

namespace parley::testing {

template <typename Pred>
bool poll_until(Pred pred, std::chrono::milliseconds timeout, std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace parley::testing
