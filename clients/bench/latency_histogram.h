#pragma once
// LatencyHistogram: a log-linear histogram of durations in microseconds
// (128 sub-buckets per power of two: under 1% error), safe to record into
// from any thread (relaxed atomics), read once recording has stopped.

#include <array>
#include <atomic>
#include <cstdint>

namespace parley::bench {

class LatencyHistogram {
 public:
  void record(std::int64_t micros);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  std::int64_t max() const { return max_.load(std::memory_order_relaxed); }
  // The q-quantile (0 < q <= 1) in microseconds; 0 when empty. The value is
  // the middle of the bucket that holds it, capped at the exact maximum.
  double quantile(double q) const;

 private:
  static constexpr int kSubBits = 7;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = kSub + (64 - kSubBits) * kSub;
  static int bucket_of(std::uint64_t v);
  static double bucket_middle(int bucket);

  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::int64_t> max_{0};
};

}  // namespace parley::bench
