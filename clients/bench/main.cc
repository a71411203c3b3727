// parley-bench: a load generator for parleyd over real WebSockets. Parses
// the command line, sets up accounts over REST, drives the load through
// LoadRunner (or, with --mode backlog, the offline backlog scenario) and
// prints one report. Exit code 0 when nothing was lost or duplicated, 1 when
// something was, 2 when the run could not be set up.

#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <optional>
#include <thread>

#include "account_setup.h"
#include "backlog_drain.h"
#include "bench_config.h"
#include "bench_report.h"
#include "proc_sampler.h"
#include "ws_load.h"

namespace {

using parley::bench::BenchConfig;
using parley::bench::ChatMode;

// Every connection needs a descriptor; the soft limit is often 1024.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::uint64_t open_file_limit() {
  rlimit limit{};
  return getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<std::uint64_t>(limit.rlim_cur) : 0;
}

bool split_server(const std::string& server, BenchConfig& config) {
  auto colon = server.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  config.host = server.substr(0, colon);
  try {
    auto port = std::stoul(server.substr(colon + 1));
    if (port == 0 || port > 65535) return false;
    config.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// Progress goes to stderr so that stdout holds only the report (--json).
void progress(const std::string& line) {
  std::cerr << "parley-bench: " << line << std::endl;
}

// --mode backlog: its own setup and report (backlog_drain.h).
int run_backlog_mode(const BenchConfig& config, int server_pid) {
  std::optional<parley::bench::ProcSampler> server;
  if (server_pid > 0) {
    server.emplace(server_pid);
    if (!server->rss_kib()) {
      std::cerr << "parley-bench: cannot read /proc/" << server_pid << "/status\n";
      return 2;
    }
  }
  parley::bench::BacklogReport report;
  try {
    parley::bench::check_server(config);
    report = parley::bench::run_backlog(config, server ? &*server : nullptr, progress);
  } catch (const std::exception& e) {
    std::cerr << "parley-bench: backlog: " << e.what() << "\n";
    return 2;
  }
  std::cout << (config.json ? parley::bench::format_backlog_json(report) : parley::bench::format_backlog_text(report));
  return report.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"parley-bench — load generator for parleyd over real WebSockets"};
  BenchConfig config;
  std::string server = "127.0.0.1:8080";
  std::string mode = "direct";
  app.add_option("--server", server, "parleyd HOST:PORT")->capture_default_str();
  app.add_option("--users", config.users, "load users; each opens one WebSocket and sends")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--rate", config.rate, "messages per second, all senders together (open loop)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--duration", config.duration_s, "seconds of measured load")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--mode", mode,
                 "direct: pairs (i, i+1); group: groups of --group-size; backlog: an offline device catches up on "
                 "--backlog-messages")
      ->check(CLI::IsMember({"direct", "group", "backlog"}))
      ->capture_default_str();
  app.add_option("--group-size", config.group_size, "members per group in group mode")
      ->capture_default_str()
      ->check(CLI::Range(2, 1'000'000));
  app.add_option("--warmup", config.warmup_s, "seconds of load before the measurement (not in the latencies)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--drain", config.drain_s,
                 "after the load, wait for outstanding acks and deliveries until none came for this many seconds")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--drain-max", config.drain_max_s, "longest drain in all, seconds")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--threads", config.threads, "I/O threads of the load generator")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_flag("--connections-only", config.connections_only,
               "open the connections, hold them for --duration seconds, send nothing");
  app.add_option("--idle-connections", config.idle_connections,
                 "extra WebSockets (over a few chat-less devices) that only heartbeat")
      ->capture_default_str()
      ->check(CLI::Range(0, 10'000'000));
  app.add_option("--idle-devices", config.idle_devices, "devices the idle connections share (0: up to 100)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--settle", config.settle_s,
                 "--connections-only: seconds to wait after each phase (time to read the server's RSS)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--text-bytes", config.text_bytes, "bytes of text per message")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--text-words", config.text_words, "words of English per message instead of --text-bytes of 'x'")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  app.add_option("--setup-concurrency", config.setup_concurrency, "parallel HTTP clients for signup/login/chats")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--connect-concurrency", config.connect_concurrency, "WebSocket handshakes in flight at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  app.add_flag("--json", config.json, "print the report as one JSON object");
  int server_pid = 0;
  app.add_option("--server-pid", server_pid,
                 "pid of a local parleyd: report its VmRSS around the idle connections and its CPU per thread")
      ->check(CLI::PositiveNumber);
  app.add_option("--sample-pid", config.sample_pids,
                 "more local processes (other nodes, redis-server, mariadbd) whose CPU over the window is reported; "
                 "repeat the flag")
      ->check(CLI::PositiveNumber);
  app.add_flag("--route", config.route,
               "ask GET /v1/route for every load user and connect its WebSocket to the node it names");
  std::string failover_node;
  auto* kill_pid = app.add_option("--failover-kill-pid", config.failover_kill_pid,
                                  "the failover scenario: SIGKILL this local parleyd (the node of --failover-node) "
                                  "during the load; implies --route")
                       ->check(CLI::PositiveNumber);
  app.add_option("--failover-node", failover_node, "the node to be killed, HOST:PORT as its route answers name it")
      ->needs(kill_pid);
  kill_pid->needs(app.get_option("--failover-node"));
  app.add_option("--failover-after", config.failover_after_s, "seconds after the load starts (warm-up included)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--failover-devices", config.failover_devices, "devices connected to the node that is killed")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--failover-devices-per-user", config.failover_devices_per_user,
                 "logins of each user whose devices are on the node that is killed")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--reconnect-jitter", config.reconnect_jitter_s,
                 "a device that lost its node waits a uniform random delay below this many seconds before it asks "
                 "/v1/route")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--reconnect-backoff", config.reconnect_backoff_s,
                 "first retry delay when the route or the reconnection fails, doubling (equal jitter)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--reconnect-backoff-max", config.reconnect_backoff_max_s, "longest retry delay")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  std::string rate_phases;
  app.add_option("--rate-phases", rate_phases,
                 "the overload scenario: RATE:SECONDS,... (RATE in msg/s, or a multiple of --rate such as 3x) "
                 "instead of --rate and --duration; reports every second and how the server took the burst (the "
                 "phase of the highest rate)");
  app.add_option("--recovery-factor", config.recovery_factor,
                 "--rate-phases: recovered once the per-second p99 stays under this many times the p99 before the "
                 "burst")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--backlog-messages", config.backlog_messages,
                 "backlog: messages user A sends while user B's device is offline")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  std::string backlog_cursor = "saved";
  app.add_option("--backlog-cursor", backlog_cursor,
                 "backlog: saved (B's device connected once and resumes from that cursor) or start (a fresh login "
                 "resuming from the start of the log, \"o0\")")
      ->check(CLI::IsMember({"saved", "start"}))
      ->capture_default_str();
  app.add_option("--backlog-window", config.backlog_window,
                 "backlog: A's sends waiting for their ack at most (parleyd --max-unacked-sends: 1024)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--repeats", config.repeats, "backlog: repetitions, each with a fresh pair of users")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);
  if (!rate_phases.empty()) {
    std::string error;
    auto phases = parley::bench::parse_rate_phases(rate_phases, config.rate, error);
    if (!phases) {
      std::cerr << "--rate-phases: " << error << "\n";
      return 2;
    }
    if (config.connections_only) {
      std::cerr << "--rate-phases needs a load, not --connections-only\n";
      return 2;
    }
    config.rate_phases = *phases;
    double seconds = 0, messages = 0;
    for (const auto& phase : config.rate_phases) {
      seconds += phase.seconds;
      messages += phase.rate * phase.seconds;
    }
    config.duration_s = seconds;
    config.rate = messages / seconds;  // the mean, for the report
  }
  if (config.failover()) {
    auto node = parley::bench::parse_node_address(failover_node);
    if (!node) {
      std::cerr << "--failover-node must be HOST:PORT or http://HOST:PORT, got " << failover_node << "\n";
      return 2;
    }
    config.failover_node = *node;
    config.route = true;
    if (config.connections_only || config.rate <= 0 || config.failover_after_s >= config.warmup_s + config.duration_s) {
      std::cerr << "--failover-kill-pid needs a load (--rate > 0) that lasts past --failover-after\n";
      return 2;
    }
  }
  config.mode = mode == "group" ? ChatMode::group : ChatMode::direct;
  if (!split_server(server, config)) {
    std::cerr << "--server must be HOST:PORT, got " << server << "\n";
    return 2;
  }
  config.backlog = mode == "backlog";
  config.backlog_from_start = backlog_cursor == "start";
  if (config.backlog) return run_backlog_mode(config, server_pid);

  raise_open_file_limit();
  const std::uint64_t needed = static_cast<std::uint64_t>(config.users + config.idle_connections) + 64 +
                               (config.failover() ? static_cast<std::uint64_t>(config.failover_devices) * 2 : 0);
  if (open_file_limit() < needed) {
    std::cerr << "parley-bench: open-file limit " << open_file_limit() << " is below the " << needed
              << " this run needs; raise it (ulimit -n)\n";
    return 2;
  }

  parley::bench::BenchReport report;
  report.mode = config.mode == ChatMode::direct ? "direct" : "group";
  report.users = config.users;
  report.group_size = config.group_size;
  report.threads = config.threads;
  report.machine_cores = static_cast<int>(std::thread::hardware_concurrency());
  report.connections_only = config.connections_only;
  report.rate_target = config.connections_only ? 0 : config.rate;
  report.duration_s = config.duration_s;
  report.warmup_s = config.connections_only ? 0 : config.warmup_s;

  parley::bench::BenchPlan plan;
  try {
    parley::bench::check_server(config);
    progress("setting up " + std::to_string(config.users) + " users" +
             (config.idle_connections > 0 ? " and the idle devices" : ""));
    plan = config.failover() ? parley::bench::set_up_failover(config) : parley::bench::set_up_accounts(config);
  } catch (const std::exception& e) {
    std::cerr << "parley-bench: setup failed: " << e.what() << "\n";
    return 2;
  }
  report.run_id = plan.run_id;
  report.users = static_cast<int>(plan.users.size());
  report.accounts_s = plan.timings.accounts_s;
  report.chats_s = plan.timings.chats_s;
  progress("run " + plan.run_id + ": accounts " + std::to_string(plan.timings.accounts_s) + " s, " +
           std::to_string(plan.chats.size()) + " chats " + std::to_string(plan.timings.chats_s) + " s");

  std::optional<parley::bench::ProcSampler> server_proc;
  if (server_pid > 0) {
    server_proc.emplace(server_pid);
    if (!server_proc->rss_kib()) {
      std::cerr << "parley-bench: cannot read /proc/" << server_pid << "/status\n";
      return 2;
    }
    report.server_pid = server_pid;
  }
  std::vector<parley::bench::ProcSampler> sampled;
  std::vector<std::string> sampled_names;  // read now: a process may die during the run
  for (int pid : config.sample_pids) {
    sampled.emplace_back(pid);
    sampled_names.push_back(sampled.back().name());
    if (sampled_names.back().empty()) {
      std::cerr << "parley-bench: cannot read /proc/" << pid << "/comm\n";
      return 2;
    }
  }
  auto server_rss = [&]() -> std::int64_t { return server_proc ? server_proc->rss_kib().value_or(0) : 0; };

  int exit_code = 0;
  {
    parley::bench::LoadRunner runner(config, plan);
    auto load = runner.open_load_connections();
    report.connections = load.opened;
    report.connect_s = load.seconds;
    report.connect_failures = load.failed;
    progress("phase load-connections-open: " + std::to_string(load.opened) + " open, " + std::to_string(load.failed) +
             " failed in " + std::to_string(load.seconds) + " s" +
             (load.first_error.empty() ? "" : " (first error: " + load.first_error + ")"));
    if (load.failed > 0) exit_code = 2;

    if (config.idle_connections > 0 && exit_code == 0) {
      if (config.connections_only) runner.hold(config.settle_s);
      report.server_rss_before_idle_kib = server_rss();
      progress("phase idle-opening");
      auto idle = runner.open_idle_connections(config.idle_connections);
      report.idle_connections = idle.opened;
      report.idle_connect_s = idle.seconds;
      report.connect_failures += idle.failed;
      progress("phase idle-connections-open: " + std::to_string(idle.opened) + " open, " + std::to_string(idle.failed) +
               " failed in " + std::to_string(idle.seconds) + " s" +
               (idle.first_error.empty() ? "" : " (first error: " + idle.first_error + ")"));
      if (idle.failed > 0) exit_code = 2;
      if (config.connections_only) runner.hold(config.settle_s);
      report.server_rss_after_idle_kib = server_rss();
    }

    if (exit_code == 0) {
      if (config.connections_only) {
        progress("phase hold: " + std::to_string(config.duration_s) + " s");
        runner.hold(config.duration_s);
      } else {
        progress("phase load: " +
                 (config.rate_phases.empty() ? std::to_string(config.rate) + " msg/s"
                                             : "phases " + parley::bench::format_rate_phases(config.rate_phases)) +
                 " for " + std::to_string(config.warmup_s) + " + " + std::to_string(config.duration_s) + " s");
        parley::bench::ProcSampler self(static_cast<int>(getpid()));
        parley::bench::CpuSnapshot self_start, server_start;
        std::vector<parley::bench::CpuSnapshot> sampled_start(sampled.size());
        runner.run_load(
            [&] {
              self_start = self.cpu();
              if (server_proc) server_start = server_proc->cpu();
              for (std::size_t i = 0; i < sampled.size(); ++i) sampled_start[i] = sampled[i].cpu();
            },
            [&] {
              auto self_end = self.cpu();
              double wall = self_end.taken_at_s - self_start.taken_at_s;
              if (wall > 0) {
                report.bench_cpu_cores = (self_end.process_cpu_s - self_start.process_cpu_s) / wall;
                report.machine_cpu_cores = (self_end.machine_busy_s - self_start.machine_busy_s) / wall;
              }
              if (server_proc) {
                auto server_end = server_proc->cpu();
                wall = server_end.taken_at_s - server_start.taken_at_s;
                if (wall > 0) {
                  report.server_cpu_cores = (server_end.process_cpu_s - server_start.process_cpu_s) / wall;
                }
                report.server_threads = parley::bench::ProcSampler::usage_between(server_start, server_end);
              }
              for (std::size_t i = 0; i < sampled.size(); ++i) {
                auto end = sampled[i].cpu();
                const double span = end.taken_at_s - sampled_start[i].taken_at_s;
                const double used = end.process_cpu_s - sampled_start[i].process_cpu_s;  // < 0: it died
                report.processes.push_back(parley::bench::ProcessUsage{sampled[i].pid(), sampled_names[i],
                                                                       span > 0 ? std::max(0.0, used) / span : 0});
              }
            });
      }
      report.server_rss_end_kib = server_rss();
      progress("phase closing");
    }
    runner.close_all();
    runner.fill_report(report);
  }

  std::cout << (config.json ? parley::bench::format_json(report) : parley::bench::format_text(report));
  if (exit_code != 0) return exit_code;
  if (report.connections_dropped > 0) return 1;
  return report.ok() ? 0 : 1;
}
