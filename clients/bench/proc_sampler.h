#pragma once
// ProcSampler: reads a local process's memory and CPU from /proc, so that
// `--server-pid` can report parleyd's RSS per idle connection and its CPU
// per thread over the load window. Linux only; every read tolerates the
// process being gone (empty results). Not thread-safe; main()'s thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace parley::bench {

struct ThreadCpu {
  int tid = 0;
  std::string name;  // /proc/<pid>/task/<tid>/comm
  double cpu_s = 0;  // user + system, in clock ticks (10 ms)
  double run_s = 0;  // time on a CPU from /proc/.../schedstat, to the nanosecond
};

struct CpuSnapshot {
  double taken_at_s = 0;  // steady clock
  double process_cpu_s = 0;
  double machine_busy_s = 0;  // all CPUs, from /proc/stat (everything but idle and iowait)
  std::map<int, ThreadCpu> threads;
};

// CPU used by each thread between two snapshots, busiest first.
struct ThreadUsage {
  int tid = 0;
  std::string name;
  double cores = 0;  // CPU seconds per wall second
};

class ProcSampler {
 public:
  explicit ProcSampler(int pid) : pid_(pid) {}
  int pid() const { return pid_; }
  // /proc/<pid>/comm ("parleyd", "redis-server"); empty when unreadable.
  std::string name() const;
  // VmRSS in KiB, nullopt when unreadable.
  std::optional<std::int64_t> rss_kib() const;
  CpuSnapshot cpu() const;
  static std::vector<ThreadUsage> usage_between(const CpuSnapshot& before, const CpuSnapshot& after);
  // CPU seconds the process's threads ran between two snapshots, to the
  // nanosecond (schedstat), for spans too short for clock ticks; a thread
  // that ended between them is left out.
  static double run_s_between(const CpuSnapshot& before, const CpuSnapshot& after);

 private:
  int pid_;
};

}  // namespace parley::bench
