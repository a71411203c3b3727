#include "rate_plan.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace parley::bench {
namespace {

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string plain(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::optional<std::vector<RatePhase>> parse_rate_phases(std::string_view text, double base_rate, std::string& error) {
  if (text.empty()) {
    error = "no phases";
    return std::nullopt;
  }
  std::vector<RatePhase> phases;
  for (bool more = true; more;) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    more = comma != std::string_view::npos;
    if (more) text = text.substr(comma + 1);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) {
      error = "a phase is RATE:SECONDS, got \"" + std::string(item) + "\"";
      return std::nullopt;
    }
    std::string_view rate_text = item.substr(0, colon);
    const bool relative = !rate_text.empty() && rate_text.back() == 'x';
    if (relative) rate_text.remove_suffix(1);
    auto rate = parse_number(rate_text);
    auto seconds = parse_number(item.substr(colon + 1));
    if (!rate || *rate < 0 || !seconds || *seconds <= 0) {
      error = "a phase is RATE:SECONDS with RATE >= 0 (or a multiple of --rate, \"3x\") and SECONDS > 0, got \"" +
              std::string(item) + "\"";
      return std::nullopt;
    }
    phases.push_back(RatePhase{relative ? *rate * base_rate : *rate, *seconds});
  }
  return phases;
}

std::string format_rate_phases(const std::vector<RatePhase>& phases) {
  std::string text;
  for (const auto& p : phases) {
    if (!text.empty()) text += ',';
    text += plain(p.rate) + ":" + plain(p.seconds);
  }
  return text;
}

RatePlan::RatePlan(std::vector<RatePhase> phases, std::int64_t senders)
    : phases_(std::move(phases)), senders_(static_cast<double>(std::max<std::int64_t>(0, senders))) {
  double start = 0, count = 0;
  for (const auto& p : phases_) {
    start_s_.push_back(start);
    count_s_.push_back(count);
    start += p.seconds;
    if (senders_ > 0) count += p.rate / senders_ * p.seconds;
  }
  start_s_.push_back(start);
  count_s_.push_back(count);
}

std::int64_t RatePlan::total_ns() const {
  return start_s_.empty() ? 0 : std::llround(start_s_.back() * 1e9);
}

std::int64_t RatePlan::phase_start_ns(std::size_t index) const {
  if (start_s_.empty()) return 0;
  return std::llround(start_s_[std::min(index, start_s_.size() - 1)] * 1e9);
}

double RatePlan::count_at(double seconds) const {
  if (phases_.empty() || senders_ <= 0) return 0;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    if (seconds < start_s_[i + 1]) {
      return count_s_[i] + phases_[i].rate / senders_ * std::max(0.0, seconds - start_s_[i]);
    }
  }
  return count_s_.back();
}

std::int64_t RatePlan::time_of(std::int64_t sender, std::uint32_t k) const {
  if (phases_.empty() || senders_ <= 0) return std::numeric_limits<std::int64_t>::max();
  const double target = static_cast<double>(k) + static_cast<double>(sender) / senders_;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    // A pause (rate 0) holds the count: the send falls in a later phase.
    if (target < count_s_[i + 1] && phases_[i].rate > 0) {
      const double seconds = start_s_[i] + (target - count_s_[i]) * senders_ / phases_[i].rate;
      return std::llround(seconds * 1e9);
    }
  }
  return std::numeric_limits<std::int64_t>::max();
}

std::uint32_t RatePlan::sends_before(std::int64_t sender, std::int64_t horizon_ns) const {
  if (senders_ <= 0) return 0;
  // k is scheduled before the horizon when k + sender/N < count(horizon).
  const double room = count_at(static_cast<double>(horizon_ns) / 1e9) - static_cast<double>(sender) / senders_;
  if (room <= 0) return 0;
  return static_cast<std::uint32_t>(std::ceil(room));
}

}  // namespace parley::bench
