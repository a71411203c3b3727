#pragma once
// The offline backlog scenario of parley-bench (--mode backlog): how long a
// device that was offline takes to catch up. Each repetition signs up a
// fresh pair of users A and B with a direct chat. B's device is offline: it
// connected once and kept the welcome's cursor (--backlog-cursor saved), or
// it is a fresh login that resumes from the start of the log (cursor "o0",
// --backlog-cursor start). A sends N messages over its WebSocket (at most
// --backlog-window waiting for their ack; an `overloaded` send is written
// again) and waits for every ack. Then B's device connects, writes hello
// with its cursor, and the bench times hello -> welcome, hello -> synced and
// hello -> the last of the N messages, checking every frame (BacklogCheck),
// and reads parleyd's CPU over that drain.
//
// Synchronous, on main()'s thread; the WebSockets are parley_client's
// (WsConnection: each reads on its own thread and queues the frames, which
// this code pops as they come).

#include <functional>
#include <string>

#include "backlog_report.h"
#include "bench_config.h"
#include "proc_sampler.h"

namespace parley::bench {

// `server` may be null (no --server-pid). `progress` gets one line per step.
// Throws std::runtime_error when a repetition cannot be set up (a REST call
// or a connection failed, or A's sends were not all acked).
BacklogReport run_backlog(const BenchConfig& config, const ProcSampler* server,
                          const std::function<void(const std::string&)>& progress);

}  // namespace parley::bench
