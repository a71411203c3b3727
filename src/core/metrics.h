#pragma once
// Metrics: counters, gauges and fixed-bucket histograms that the message
// path updates without a lock or an allocation (relaxed atomics, each on its
// own cache line where it is hot), and their Prometheus text exposition
// (version 0.0.4). Values are read at scrape time; a scrape may see one
// histogram's count and sum a few observations apart, as Prometheus allows.
//
// Thread-safe: every method may be called from any thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<std::int64_t> value_{0};
};

// Fixed upper bounds (ascending, `le` in Prometheus terms) plus +Inf.
class Histogram {
 public:
  static constexpr std::size_t kMaxBuckets = 24;
  // At most kMaxBuckets bounds, ascending; anything else is a programming error.
  explicit Histogram(std::vector<double> bounds);

  // `value` seen `times` times (one delivery to many devices).
  void observe(double value, std::uint64_t times = 1);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then the total (+Inf).
  std::vector<std::uint64_t> cumulative() const;
  double sum() const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::array<std::atomic<std::uint64_t>, kMaxBuckets + 1> buckets_{};  // per bucket, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};  // sum in millionths, kept integral for atomic adds
};

// What the process counts as it works. One per process, as a Prometheus
// client keeps one default registry: the message path reaches it without
// anything wired through (two cores in one test process share it).
// Adapters' and the server's figures that already exist elsewhere (store
// sizes, connections, dependencies) are read at scrape time instead.
struct ProcessMetrics {
  Counter messages_stored;     // new messages made durable (not resends)
  Counter messages_duplicate;  // resends answered with the earlier seq
  Counter sends_refused;       // sends answered with an error
  Counter messages_delivered;  // message frames handed to a connected device (live, not resumes)
  // From the send's arrival at the pipeline to its ack (durable).
  Histogram send_ack_seconds{{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5}};
  // From the message's commit timestamp (`ts`, taken as its batch is
  // committed) to its frame being queued for a recipient device.
  Histogram send_deliver_seconds{{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5}};
  Histogram commit_batch_messages{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096}};
  Histogram commit_seconds{{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 5}};
  Gauge pending_sends;    // waiting for the commit thread
  Counter push_attempts;  // pushes sent (each try of a job)
  Counter push_failures;  // tries that failed (retried later or given up)
  Counter push_given_up;  // jobs dropped after --push-give-up-hours
  Gauge presence_users;   // users with a device heartbeating on this node
  // WebSocket writes (system calls, short writes aside) and the frames they
  // carried: their ratio shows how well writes are gathered.
  Counter ws_writes;
  Counter ws_frames_written;
  Counter ws_paced_writes;  // of ws_writes, those that waited for their loop's tick (net/write_pacer.h)
  // I/O threads waking to work, the jobs they ran, and the wakes after which
  // one paused to let more gather (net/wake_pacer.h).
  Counter io_wakes;
  Counter io_jobs;
  Counter io_paused_wakes;
};

ProcessMetrics& process_metrics();

// Writes Prometheus text: a HELP and TYPE line per metric, then its samples.
// Names and label values are the caller's constants; label values are
// escaped all the same.
class MetricsText {
 public:
  void counter(std::string_view name, std::string_view help, std::uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value);
  // A gauge with one label, one sample per (label value, value).
  void gauge_family(std::string_view name, std::string_view help, std::string_view label,
                    const std::vector<std::pair<std::string, double>>& samples);
  void histogram(std::string_view name, std::string_view help, const Histogram& histogram);
  const std::string& text() const { return out_; }

 private:
  void header(std::string_view name, std::string_view help, std::string_view type);
  std::string out_;
};

// A number as Prometheus writes it: integers without a fraction, "+Inf".
std::string format_metric_value(double value);
// Label values: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);

}  // namespace parley
