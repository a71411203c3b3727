#pragma once
// BenchConfig: everything parley-bench was asked to do, parsed once in main()
// and handed by const reference to the setup and load phases.

#include <cstdint>
#include <string>
#include <vector>

#include "rate_plan.h"
#include "route_answer.h"

namespace parley::bench {

enum class ChatMode { direct, group };

struct BenchConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int users = 100;
  double rate = 1000;  // messages per second, all senders together
  double duration_s = 10;
  double warmup_s = 1;
  double drain_s = 5;        // after the load, stop waiting for acks and deliveries after this long without any
  double drain_max_s = 120;  // ... or after this long in all
  ChatMode mode = ChatMode::direct;
  int group_size = 50;
  int threads = 2;  // io_context threads of the load generator
  bool connections_only = false;
  int idle_connections = 0;
  int idle_devices = 0;  // logged-in devices the idle connections share (0: automatic)
  double settle_s = 3;   // connections-only: pause between the phases, for RSS readings
  int text_bytes = 32;
  // > 0: each text is this many words of everyday English (a realistic
  // load for the search index) instead of text_bytes of 'x'.
  int text_words = 0;
  int setup_concurrency = 8;      // parallel HTTP clients for signup/login/chats
  int connect_concurrency = 256;  // WebSocket handshakes in flight at once
  bool json = false;
  // Ask GET /v1/route for every load user and connect it to the node named
  // (its home in a cluster); setup still goes to host:port.
  bool route = false;
  std::vector<int> sample_pids;  // more local processes whose CPU is reported (cluster: nodes, engines)

  // The failover scenario (failover_kill_pid > 0; implies route): devices on
  // the victim node, senders on the others, SIGKILL of the victim during the
  // load, devices reconnecting with jitter through /v1/route.
  int failover_kill_pid = 0;
  NodeAddress failover_node;           // the victim's HOST:PORT, as its route answers name it
  double failover_after_s = 5;         // after the start of the load (warm-up included)
  double reconnect_jitter_s = 20;      // a device waits uniform [0, this) after losing its connection
  double reconnect_backoff_s = 0.5;    // first retry delay when the route or the connection fails ...
  double reconnect_backoff_max_s = 4;  // ... doubling up to this (equal jitter)
  int failover_devices = 1000;
  int failover_devices_per_user = 10;  // logins of each victim user
  bool failover() const { return failover_kill_pid > 0; }

  // The overload scenario: a rate that changes in phases (--rate-phases),
  // replacing --rate and --duration; the warm-up runs at the first phase's
  // rate. The burst is the phase of the highest rate (overload_timeline.h).
  std::vector<RatePhase> rate_phases;
  double recovery_factor = 2;  // recovered: per-second p99 under this × the p99 before the burst

  // The offline backlog scenario (--mode backlog, backlog_drain.h).
  bool backlog = false;
  int backlog_messages = 10'000;
  bool backlog_from_start = false;  // resume from "o0", not from the cursor of a first connection
  int backlog_window = 256;         // A's sends waiting for their ack at most
  int repeats = 5;
};

}  // namespace parley::bench
