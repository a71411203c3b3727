#pragma once
// BenchReport: the figures of one run, filled by main() from the setup and
// load phases, printed as text for people or as one JSON object (--json).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "failover_curve.h"
#include "latency_histogram.h"
#include "overload_timeline.h"
#include "proc_sampler.h"

namespace parley::bench {

struct LatencySummary {
  std::uint64_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  static LatencySummary of(const LatencyHistogram& h);
};

// CPU of one sampled process (--sample-pid) over the measured window.
struct ProcessUsage {
  int pid = 0;
  std::string name;
  double cores = 0;
};

struct BenchReport {
  std::string run_id;
  std::string mode;
  int users = 0;
  int group_size = 0;
  int connections = 0;  // load connections open at the start of the load
  int idle_connections = 0;
  int threads = 0;
  bool connections_only = false;
  double rate_target = 0;
  double duration_s = 0;
  double warmup_s = 0;

  double accounts_s = 0;
  double chats_s = 0;
  double connect_s = 0;
  double idle_connect_s = 0;
  int connect_failures = 0;
  int connections_dropped = 0;  // closed by the server or the network during the run
  std::map<std::string, int> close_reasons;

  std::uint64_t sent = 0;           // every send written, warm-up included
  std::uint64_t sent_measured = 0;  // sends scheduled inside the measured window
  double send_rate = 0;             // sent_measured per second of the window
  std::uint64_t acked = 0;
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t> error_codes;
  std::uint64_t unanswered = 0;  // sends with neither ack nor error

  std::uint64_t expected = 0;    // deliveries owed: recipients of every send not refused by an error
  std::uint64_t delivered = 0;   // unique (connection, chat, seq) deliveries of our sends
  std::uint64_t lost = 0;        // expected - delivered (never negative)
  std::uint64_t duplicates = 0;  // a (connection, chat, seq) seen again
  std::uint64_t out_of_order = 0;
  std::uint64_t seq_mismatch = 0;  // deliveries or acks of one send disagreeing on its seq
  std::uint64_t extra = 0;         // deliveries beyond a send's recipients (a send stored twice)
  std::uint64_t unknown = 0;       // message frames that are not ours
  double drain_s = 0;
  double delivered_per_s = 0;  // deliveries received inside the measured window, per second

  LatencySummary latency;
  LatencySummary ack_latency;
  LatencySummary send_lag;  // how late the generator wrote each send against its schedule

  // Local resource use, from /proc (server: only with --server-pid).
  int server_pid = 0;
  double bench_cpu_cores = 0;   // the generator's own CPU over the window
  double server_cpu_cores = 0;  // parleyd's CPU over the window
  // Every process's CPU over the window, from /proc/stat: a hint of other
  // load on a shared machine. On the Firecracker VM of docs/benchmarks.md it
  // under-counts light, bursty load, so it is only in the JSON.
  double machine_cpu_cores = 0;
  int machine_cores = 0;
  std::vector<ThreadUsage> server_threads;  // busiest first
  std::int64_t server_rss_before_idle_kib = 0;
  std::int64_t server_rss_after_idle_kib = 0;
  std::int64_t server_rss_end_kib = 0;
  std::vector<ProcessUsage> processes;  // --sample-pid, in the order given

  // --route / failover: where the load users' devices connected first.
  std::map<std::string, int> users_per_node;
  std::map<std::string, int> connections_per_node;
  std::optional<FailoverReport> failover;
  // --rate-phases: per second of the run, and how the server took the burst.
  std::optional<OverloadReport> overload;

  bool ok() const {
    return lost == 0 && duplicates == 0 && out_of_order == 0 && seq_mismatch == 0 && extra == 0 &&
           (!failover || failover->ok()) && (!overload || overload->ok());
  }
};

std::string format_text(const BenchReport& r);
std::string format_json(const BenchReport& r);

}  // namespace parley::bench
