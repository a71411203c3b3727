#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace parley {

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (bounds_.empty() || bounds_.size() > kMaxBuckets || !std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::logic_error("histogram bounds must be 1 to 24 ascending values");
  }
}

void Histogram::observe(double value, std::uint64_t times) {
  if (std::isnan(value) || times == 0) return;
  // A handful of bounds: a linear scan beats a binary search here.
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(times, std::memory_order_relaxed);
  count_.fetch_add(times, std::memory_order_relaxed);
  const double micros = std::max(0.0, value) * 1e6;
  const auto each = static_cast<std::uint64_t>(std::llround(std::min(micros, 1e18)));
  sum_micros_.fetch_add(each * times, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative() const {
  std::vector<std::uint64_t> out;
  out.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.push_back(running);
  }
  return out;
}

double Histogram::sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

ProcessMetrics& process_metrics() {
  static ProcessMetrics metrics;
  return metrics;
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  return buf;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void MetricsText::header(std::string_view name, std::string_view help, std::string_view type) {
  out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void MetricsText::counter(std::string_view name, std::string_view help, std::uint64_t value) {
  header(name, help, "counter");
  out_.append(name).append(" ").append(std::to_string(value)).append("\n");
}

void MetricsText::gauge(std::string_view name, std::string_view help, double value) {
  header(name, help, "gauge");
  out_.append(name).append(" ").append(format_metric_value(value)).append("\n");
}

void MetricsText::gauge_family(std::string_view name, std::string_view help, std::string_view label,
                               const std::vector<std::pair<std::string, double>>& samples) {
  header(name, help, "gauge");
  for (const auto& [label_value, value] : samples) {
    out_.append(name).append("{").append(label).append("=\"").append(escape_label_value(label_value));
    out_.append("\"} ").append(format_metric_value(value)).append("\n");
  }
}

void MetricsText::histogram(std::string_view name, std::string_view help, const Histogram& histogram) {
  header(name, help, "histogram");
  const auto counts = histogram.cumulative();
  const auto& bounds = histogram.bounds();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const std::string le = i < bounds.size() ? format_metric_value(bounds[i]) : "+Inf";
    out_.append(name).append("_bucket{le=\"").append(le).append("\"} ").append(std::to_string(counts[i])).append("\n");
  }
  out_.append(name).append("_sum ").append(format_metric_value(histogram.sum())).append("\n");
  // The +Inf bucket is the count: both from the same snapshot of the buckets.
  out_.append(name).append("_count ").append(std::to_string(counts.back())).append("\n");
}

}  // namespace parley
