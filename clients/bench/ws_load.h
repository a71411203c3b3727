#pragma once
// LoadRunner: the asynchronous WebSocket side of parley-bench. One
// io_context runs on `config.threads` threads; each connection lives on its
// own strand with two coroutines: a reader that records every ack, error and
// message frame, and a writer that owns every write (hello, paced sends,
// heartbeats, close), so thousands of connections fit in a few threads.
// Beast lives in ws_load.cc only (it is slow to compile).
//
// Threads: every public method is called from main()'s thread only, in the
// order open_*() -> run_load() or hold() -> close_all() -> fill_report().

#include <functional>
#include <memory>
#include <string>

#include "account_setup.h"
#include "bench_config.h"
#include "bench_report.h"

namespace parley::bench {

struct ConnectResult {
  int opened = 0;
  int failed = 0;
  double seconds = 0;
  std::string first_error;
};

class LoadRunner {
 public:
  // `plan` must outlive the runner. Starts the I/O threads.
  LoadRunner(const BenchConfig& config, const BenchPlan& plan);
  // Closes what is still open and joins the I/O threads.
  ~LoadRunner();
  LoadRunner(const LoadRunner&) = delete;
  LoadRunner& operator=(const LoadRunner&) = delete;

  // One WebSocket per load user (hello with its token, heartbeats from then
  // on). Blocks until every handshake has succeeded or failed.
  ConnectResult open_load_connections();
  // `count` more WebSockets over the plan's idle devices; they only heartbeat.
  ConnectResult open_idle_connections(int count);

  // Sends at config.rate for warmup + duration seconds, then waits up to
  // config.drain_s for outstanding acks and deliveries. The callbacks run on
  // the caller's thread at the start and the end of the measured window.
  void run_load(const std::function<void()>& at_window_start, const std::function<void()>& at_window_end);
  // Keeps every connection open (heartbeating) for `seconds`.
  void hold(double seconds);
  // Close handshake on every connection; waits a few seconds at most.
  void close_all();

  // Counters, latencies and connection events into `report`.
  void fill_report(BenchReport& report) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::bench
