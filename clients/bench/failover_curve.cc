#include "failover_curve.h"

#include <algorithm>
#include <cmath>

namespace parley::bench {

double backoff_seconds(int attempt, double first_s, double max_s, double unit_random) {
  const double ceiling = std::min(max_s, first_s * std::ldexp(1.0, std::clamp(attempt, 0, 30)));
  return ceiling / 2 + std::clamp(unit_random, 0.0, 1.0) * ceiling / 2;
}

std::vector<CurveRow> reconnect_curve(std::int64_t kill_ns, const std::vector<std::int64_t>& back_ns,
                                      const std::vector<std::int64_t>& synced_ns) {
  auto second_of = [kill_ns](std::int64_t t) {
    return t <= kill_ns ? 0 : static_cast<int>((t - kill_ns) / 1'000'000'000);
  };
  int last = -1;
  for (auto t : back_ns) {
    if (t != 0) last = std::max(last, second_of(t));
  }
  for (auto t : synced_ns) {
    if (t != 0) last = std::max(last, second_of(t));
  }
  std::vector<CurveRow> rows(static_cast<std::size_t>(last + 1));
  for (std::size_t s = 0; s < rows.size(); ++s) rows[s].second = static_cast<int>(s);
  for (auto t : back_ns) {
    if (t != 0) ++rows[static_cast<std::size_t>(second_of(t))].back;
  }
  for (auto t : synced_ns) {
    if (t != 0) ++rows[static_cast<std::size_t>(second_of(t))].synced;
  }
  int back = 0, synced = 0;
  for (auto& row : rows) {
    row.back_total = back += row.back;
    row.synced_total = synced += row.synced;
  }
  return rows;
}

double seconds_after(std::int64_t kill_ns, std::vector<std::int64_t> times_ns, double q) {
  std::erase(times_ns, 0);
  if (times_ns.empty()) return -1;
  std::sort(times_ns.begin(), times_ns.end());
  auto index = static_cast<std::size_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(times_ns.size())));
  index = std::clamp<std::size_t>(index, 1, times_ns.size()) - 1;
  return static_cast<double>(times_ns[index] - kill_ns) / 1e9;
}

}  // namespace parley::bench
