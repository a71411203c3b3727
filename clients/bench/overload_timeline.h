#pragma once
// The overload scenario's arithmetic (--rate-phases), apart from the sockets
// so that it can be tested: which phase is the burst, and how long after it
// the per-second delivery p99 is back near what it was before the burst.
// Pure functions and plain figures; any thread.

#include <cstdint>
#include <vector>

#include "rate_plan.h"

namespace parley::bench {

struct SecondRow {
  int second = 0;           // [second, second + 1) after the start of the load, warm-up included
  int phase = 0;            // the phase (index into OverloadReport::phases) the second starts in; -1: after the load
  double rate = 0;          // that phase's target, messages per second
  std::uint64_t sends = 0;  // written in this second
  std::uint64_t acks = 0;   // received in this second
  std::uint64_t overloaded = 0;    // `overloaded` errors received in this second
  std::uint64_t other_errors = 0;  // every other error code
  std::uint64_t deliveries = 0;    // received in this second
  double p50_ms = 0, p99_ms = 0;   // send-to-delivery latency of those deliveries
};

// The burst: the phase with the highest rate (the first of equals) from
// index `first` on, so that a warm-up phase is never the burst; -1 when none
// has a rate above 0.
int burst_phase(const std::vector<RatePhase>& phases, std::size_t first);

// Seconds from `from_s` (the end of the burst) to the start of the first
// second that starts at or after it and from which every second that starts
// before `until_s` (the end of the load) and had sends or deliveries
// delivered with a p99 under `limit_ms`; a second with sends but no delivery
// is not under. -1 when there is no such second (not recovered in the load).
double seconds_to_recover(const std::vector<SecondRow>& rows, double from_s, double until_s, double limit_ms);

struct OverloadReport {
  std::vector<RatePhase> phases;                              // as run: the warm-up first when there was one
  int warmup_phases = 0;                                      // 0 or 1
  int burst = -1;                                             // index into phases
  double burst_start_s = 0, burst_end_s = 0, load_end_s = 0;  // after the start of the load
  double recovery_factor = 2;                                 // recovered: per-second p99 under this × baseline_p99_ms
  double baseline_p99_ms = -1;     // deliveries received between the warm-up and the burst; -1: none
  double first_overloaded_s = -1;  // first `overloaded` after the start of the burst; -1: none
  double recovered_s = -1;         // after the end of the burst; -1: not within the load
  std::uint64_t overloaded = 0;    // every `overloaded` error of the run
  // Checks that hold however many sends were refused: a refused send stores
  // nothing, so it must never be delivered, and an acked one must reach every
  // device of its chat.
  std::uint64_t refused_delivered = 0;  // sends answered with an error and delivered anyway
  std::uint64_t acked_and_refused = 0;  // sends answered with both an ack and an error
  std::uint64_t acked_undelivered = 0;  // (acked send, device) deliveries that never came
  std::vector<SecondRow> seconds;

  bool ok() const { return refused_delivered == 0 && acked_and_refused == 0 && acked_undelivered == 0; }
};

}  // namespace parley::bench
