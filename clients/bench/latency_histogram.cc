#include "latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace parley::bench {

int LatencyHistogram::bucket_of(std::uint64_t v) {
  if (v < kSub) return static_cast<int>(v);
  int exponent = std::bit_width(v) - 1;  // >= kSubBits
  int shift = exponent - kSubBits;
  int sub = static_cast<int>(v >> shift) - kSub;  // [0, kSub)
  return kSub + shift * kSub + sub;
}

double LatencyHistogram::bucket_middle(int bucket) {
  if (bucket < kSub) return bucket;
  int shift = (bucket - kSub) / kSub;
  int sub = (bucket - kSub) % kSub;
  double low = std::ldexp(static_cast<double>(kSub + sub), shift);
  double width = std::ldexp(1.0, shift);
  return low + (width - 1) / 2;
}

void LatencyHistogram::record(std::int64_t micros) {
  std::uint64_t v = micros < 0 ? 0 : static_cast<std::uint64_t>(micros);
  buckets_[static_cast<std::size_t>(bucket_of(v))].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  std::int64_t seen = max_.load(std::memory_order_relaxed);
  while (static_cast<std::int64_t>(v) > seen &&
         !max_.compare_exchange_weak(seen, static_cast<std::int64_t>(v), std::memory_order_relaxed)) {
  }
}

double LatencyHistogram::quantile(double q) const {
  std::uint64_t total = count();
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  rank = std::clamp<std::uint64_t>(rank, 1, total);
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<std::size_t>(b)].load(std::memory_order_relaxed);
    if (seen >= rank) return std::min(bucket_middle(b), static_cast<double>(max()));
  }
  return static_cast<double>(max());
}

}  // namespace parley::bench
