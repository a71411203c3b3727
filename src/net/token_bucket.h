#pragma once
// Token-bucket rate limiter for frames of one connection. Not thread-safe:
// owned by the connection's strand.

#include <algorithm>
#include <chrono>

namespace parley {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate_per_second, double burst)
      : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(Clock::now()) {}

  // Takes one token if there is one.
  bool try_take(Clock::time_point now = Clock::now()) {
    if (rate_ <= 0) return true;  // unlimited
    double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace parley
