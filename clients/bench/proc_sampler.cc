#include "proc_sampler.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace parley::bench {
namespace {

// utime + stime of a /proc/.../stat line, in seconds; the comm field may hold
// spaces and parentheses, so fields are counted after the last ')'.
std::optional<double> stat_cpu_s(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  // After comm: state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15).
  double utime = 0, stime = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stod(field);
    if (index == 15) stime = std::stod(field);
  }
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (utime + stime) / ticks;
}

// The first field of /proc/.../schedstat: nanoseconds on a CPU.
double schedstat_run_s(const std::string& path) {
  std::ifstream in(path);
  double ns = 0;
  return in >> ns ? ns / 1e9 : 0;
}

double steady_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double machine_busy_s() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;  // "cpu": the sum over all CPUs
  double busy = 0, value = 0;
  for (int i = 0; i < 8 && in >> value; ++i) {
    if (i != 3 && i != 4) busy += value;  // skip idle, iowait
  }
  return busy / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

std::string ProcSampler::name() const {
  std::ifstream comm("/proc/" + std::to_string(pid_) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

std::optional<std::int64_t> ProcSampler::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      std::int64_t kib = 0;
      if (fields >> kib) return kib;
    }
  }
  return std::nullopt;
}

CpuSnapshot ProcSampler::cpu() const {
  CpuSnapshot snap;
  snap.taken_at_s = steady_s();
  const std::string base = "/proc/" + std::to_string(pid_);
  snap.process_cpu_s = stat_cpu_s(base + "/stat").value_or(0);
  snap.machine_busy_s = machine_busy_s();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base + "/task", ec)) {
    ThreadCpu t;
    try {
      t.tid = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    auto cpu = stat_cpu_s(entry.path().string() + "/stat");
    if (!cpu) continue;
    t.cpu_s = *cpu;
    t.run_s = schedstat_run_s(entry.path().string() + "/schedstat");
    std::ifstream comm(entry.path().string() + "/comm");
    std::getline(comm, t.name);
    snap.threads.emplace(t.tid, std::move(t));
  }
  return snap;
}

std::vector<ThreadUsage> ProcSampler::usage_between(const CpuSnapshot& before, const CpuSnapshot& after) {
  std::vector<ThreadUsage> usage;
  double wall = after.taken_at_s - before.taken_at_s;
  if (wall <= 0) return usage;
  for (const auto& [tid, t] : after.threads) {
    auto it = before.threads.find(tid);
    double used = t.cpu_s - (it == before.threads.end() ? 0 : it->second.cpu_s);
    usage.push_back(ThreadUsage{tid, t.name, used / wall});
  }
  std::sort(usage.begin(), usage.end(), [](const ThreadUsage& a, const ThreadUsage& b) { return a.cores > b.cores; });
  return usage;
}

double ProcSampler::run_s_between(const CpuSnapshot& before, const CpuSnapshot& after) {
  double run = 0;
  for (const auto& [tid, t] : after.threads) {
    auto it = before.threads.find(tid);
    run += t.run_s - (it == before.threads.end() ? 0 : it->second.run_s);
  }
  return run;
}

}  // namespace parley::bench
