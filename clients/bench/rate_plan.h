#pragma once
// RatePlan: when each sender of parley-bench writes each send, for a rate
// that may change in phases (--rate-phases "15000:10,45000:30": messages per
// second, all senders together, for so many seconds each). Sender s of N
// writes its k-th send when the per-sender count of the schedule reaches
// k + s/N, so the senders stay evenly interleaved whatever the rate; with one
// phase this is the constant-rate schedule start + (s/N + k) × N/rate.
// Pure; immutable once built, so any thread may read it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bench {

struct RatePhase {
  double rate = 0;     // messages per second, all senders together (0: a pause)
  double seconds = 0;  // > 0
};

// "RATE:SECONDS[,RATE:SECONDS...]"; RATE is messages per second, or a
// multiple of `base_rate` when it ends in 'x' ("3x", "0.5x"). nullopt, with
// the reason in `error`, when the text is not such a list.
std::optional<std::vector<RatePhase>> parse_rate_phases(std::string_view text, double base_rate, std::string& error);

// "15000:10,45000:30": the phases as --rate-phases takes them (rates resolved).
std::string format_rate_phases(const std::vector<RatePhase>& phases);

class RatePlan {
 public:
  RatePlan() = default;
  // `senders` <= 0 or no phases: a plan without sends.
  RatePlan(std::vector<RatePhase> phases, std::int64_t senders);

  const std::vector<RatePhase>& phases() const { return phases_; }
  std::int64_t total_ns() const;
  // When phase `index` starts, after the start of the load; total_ns() for
  // an index past the last phase.
  std::int64_t phase_start_ns(std::size_t index) const;
  // Nanoseconds after the start of the load at which `sender` writes its
  // k-th send (k from 0). Only meaningful for k < sends_before(sender, total_ns()).
  std::int64_t time_of(std::int64_t sender, std::uint32_t k) const;
  // Sends of `sender` scheduled strictly before `horizon_ns`.
  std::uint32_t sends_before(std::int64_t sender, std::int64_t horizon_ns) const;

 private:
  // The per-sender count of the schedule at `seconds` after the start.
  double count_at(double seconds) const;

  std::vector<RatePhase> phases_;
  std::vector<double> start_s_;  // each phase's start; one more entry: the end
  std::vector<double> count_s_;  // count_at(start_s_[i]), same indices
  double senders_ = 0;
};

}  // namespace parley::bench
