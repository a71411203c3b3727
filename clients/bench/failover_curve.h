#pragma once
// The failover scenario's arithmetic, apart from the sockets so that it can
// be tested: the reconnect backoff of a device, and the curve of devices back
// (welcome received on a live node) and synced (its backlog replayed) per
// second after the kill. Pure functions; any thread.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace parley::bench {

// Exponential backoff with equal jitter, as the parley CLI reconnects:
// half of min(max_s, first_s * 2^attempt), plus up to that half again.
// `unit_random` is uniform in [0, 1). attempt counts from 0.
double backoff_seconds(int attempt, double first_s, double max_s, double unit_random);

struct CurveRow {
  int second = 0;  // [second, second + 1) after the kill
  int back = 0;
  int synced = 0;
  int back_total = 0;  // cumulative, this second included
  int synced_total = 0;
};

// One row per second from the kill to the last event. Times are steady-clock
// nanoseconds; 0 means "never" and is left out; a time before the kill counts
// in second 0.
std::vector<CurveRow> reconnect_curve(std::int64_t kill_ns, const std::vector<std::int64_t>& back_ns,
                                      const std::vector<std::int64_t>& synced_ns);

// Seconds from the kill to the q-quantile (0..1) of the times that are set;
// -1 when none is.
double seconds_after(std::int64_t kill_ns, std::vector<std::int64_t> times_ns, double q);

struct FailoverReport {
  std::string victim;  // HOST:PORT of the killed node
  int victim_pid = 0;
  double kill_after_s = 0;  // after the start of the load
  double jitter_s = 0;
  int devices = 0;  // connected to the victim when it was killed
  int dropped = 0;  // of which noticed the loss of their connection
  int back = 0;     // welcome received again, on a live node
  int synced = 0;   // `synced` received after that welcome
  std::uint64_t route_queries = 0;
  std::uint64_t route_failures = 0;      // node unreachable, or not a 200 route answer
  std::uint64_t route_named_victim = 0;  // the ring still held the dead node
  std::uint64_t route_avoided = 0;     // connected to the node that answered, not the home named (lost or unreachable)
  std::uint64_t connect_failures = 0;  // handshakes that failed during the recovery
  double first_drop_s = -1, back_p50_s = -1, last_back_s = -1, last_synced_s = -1;
  std::map<std::string, int> back_on;  // node -> devices that came back there
  std::vector<CurveRow> curve;
  std::string kill_error;  // kill(2) failed: the scenario did not happen

  // Every device was back and synced after a kill that happened.
  bool ok() const { return kill_error.empty() && devices > 0 && back == devices && synced == devices; }
};

}  // namespace parley::bench
