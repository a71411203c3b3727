#pragma once
// Whether `count` events over `elapsed` come to at least `per_second` a
// second, in integers: how the pacers judge a busy window. A time beyond
// kLongestCounted counts as that long, so the products stay in range for
// any count and any rate a flag accepts (up to 10^9 a second); a quiet
// spell that long is far below any busy rate either way.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace parley {

inline constexpr std::chrono::seconds kLongestCounted{100};

inline bool at_least_per_second(std::uint64_t count, std::uint64_t per_second,
                                std::chrono::steady_clock::duration elapsed) {
  using std::chrono::microseconds;
  const auto micros = static_cast<std::uint64_t>(
      std::chrono::duration_cast<microseconds>(std::min<std::chrono::steady_clock::duration>(elapsed, kLongestCounted))
          .count());
  return count * 1'000'000 >= per_second * micros;
}

}  // namespace parley
