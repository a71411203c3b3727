#include "overload_timeline.h"

namespace parley::bench {

int burst_phase(const std::vector<RatePhase>& phases, std::size_t first) {
  int burst = -1;
  for (std::size_t i = first; i < phases.size(); ++i) {
    if (phases[i].rate > 0 && (burst < 0 || phases[i].rate > phases[static_cast<std::size_t>(burst)].rate)) {
      burst = static_cast<int>(i);
    }
  }
  return burst;
}

double seconds_to_recover(const std::vector<SecondRow>& rows, double from_s, double until_s, double limit_ms) {
  double recovered_at = -1;  // start of the current run of good seconds
  for (const auto& row : rows) {
    const auto start = static_cast<double>(row.second);
    if (start < from_s) continue;
    if (start >= until_s) break;
    if (row.sends == 0 && row.deliveries == 0) continue;  // a pause says nothing
    const bool under = row.deliveries > 0 && row.p99_ms < limit_ms;
    if (!under) {
      recovered_at = -1;
    } else if (recovered_at < 0) {
      recovered_at = start;
    }
  }
  return recovered_at < 0 ? -1 : recovered_at - from_s;
}

}  // namespace parley::bench
