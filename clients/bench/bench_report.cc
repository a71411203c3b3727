#include "bench_report.h"

#include <cstdio>
#include <sstream>

#include <boost/json.hpp>

#include "report_format.h"

namespace parley::bench {
namespace json = boost::json;

LatencySummary LatencySummary::of(const LatencyHistogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.p50_ms = h.quantile(0.50) / 1000;
  s.p90_ms = h.quantile(0.90) / 1000;
  s.p99_ms = h.quantile(0.99) / 1000;
  s.p999_ms = h.quantile(0.999) / 1000;
  s.max_ms = static_cast<double>(h.max()) / 1000;
  return s;
}

namespace {

json::object to_json(const LatencySummary& s) {
  return {{"count", s.count},
          {"p50", round_to(s.p50_ms, 0.001)},
          {"p90", round_to(s.p90_ms, 0.001)},
          {"p99", round_to(s.p99_ms, 0.001)},
          {"p999", round_to(s.p999_ms, 0.001)},
          {"max", round_to(s.max_ms, 0.001)}};
}

// A time (seconds, or ms), or null when the event never happened (-1).
json::value or_null(double s) {
  return s < 0 ? json::value(nullptr) : json::value(round_to(s, 0.001));
}

double idle_bytes_per_connection(const BenchReport& r) {
  if (r.idle_connections <= 0 || r.server_rss_before_idle_kib <= 0 || r.server_rss_after_idle_kib <= 0) return 0;
  return static_cast<double>(r.server_rss_after_idle_kib - r.server_rss_before_idle_kib) * 1024.0 / r.idle_connections;
}

double processes_cores(const BenchReport& r) {
  double cores = 0;
  for (const auto& p : r.processes) cores += p.cores;
  return cores;
}

std::map<std::string, double> cores_by_name(const BenchReport& r) {
  std::map<std::string, double> by_name;
  for (const auto& p : r.processes) by_name[p.name] += p.cores;
  return by_name;
}

void write_nodes(std::ostringstream& out, const BenchReport& r) {
  if (r.users_per_node.empty()) return;
  out << "  nodes       users (connections) per node:";
  for (const auto& [node, users] : r.users_per_node) {
    auto it = r.connections_per_node.find(node);
    out << " " << node << " " << users << " (" << (it == r.connections_per_node.end() ? 0 : it->second) << ")";
  }
  out << "\n";
}

void write_failover(std::ostringstream& out, const FailoverReport& f) {
  out << "  failover    SIGKILL of " << f.victim << " (PID " << f.victim_pid << ") " << fixed(f.kill_after_s, 1)
      << " s into the load";
  if (!f.kill_error.empty()) out << " FAILED: " << f.kill_error;
  out << "; jitter " << fixed(f.jitter_s, 1) << " s\n";
  out << "  devices     " << f.devices << " on it, " << f.dropped << " noticed, " << f.back << " back, " << f.synced
      << " synced; first drop +" << fixed(f.first_drop_s) << " s, half back +" << fixed(f.back_p50_s)
      << " s, last back +" << fixed(f.last_back_s) << " s, last synced +" << fixed(f.last_synced_s) << " s\n";
  out << "  recovery    route queries " << f.route_queries << " (" << f.route_failures << " unanswered, "
      << f.route_named_victim << " named the dead node), " << f.route_avoided
      << " went to the answering node instead, failed reconnects " << f.connect_failures << "; back on:";
  for (const auto& [node, n] : f.back_on) out << " " << node << " " << n;
  out << "\n";
  out << "  curve       second after the kill: devices back (synced) [total back]\n";
  for (const auto& row : f.curve) {
    if (row.back == 0 && row.synced == 0) continue;
    out << "              +" << row.second << " s: " << row.back << " (" << row.synced << ") [" << row.back_total
        << "]\n";
  }
}

std::string seconds_or_never(double s, const char* never) {
  return s < 0 ? std::string(never) : fixed(s, 2) + " s";
}

void write_overload(std::ostringstream& out, const OverloadReport& o) {
  out << "  phases      " << format_rate_phases(o.phases) << " (msg/s:s"
      << (o.warmup_phases > 0 ? ", warm-up first" : "") << ")";
  if (o.burst >= 0) {
    out << "; burst: phase " << o.burst << " at " << fixed(o.phases[static_cast<std::size_t>(o.burst)].rate, 0)
        << " msg/s, " << fixed(o.burst_start_s, 1) << "–" << fixed(o.burst_end_s, 1) << " s";
  }
  out << "\n";
  out << "  overload    first overloaded " << seconds_or_never(o.first_overloaded_s, "never")
      << " after the burst started; p99 before the burst "
      << (o.baseline_p99_ms < 0 ? std::string("- (no phase between the warm-up and the burst)")
                                : fixed(o.baseline_p99_ms, 3) + " ms")
      << "; per-second p99 back under " << fixed(o.recovery_factor, 1) << "× that "
      << seconds_or_never(o.recovered_s, "never (not within the load)") << " after the burst ended\n";
  out << "  refusals    overloaded " << o.overloaded << "; refused yet delivered " << o.refused_delivered
      << ", acked and refused " << o.acked_and_refused << ", acked but not delivered " << o.acked_undelivered << "\n";
  out << "  second  phase  target/s    sends     acks  overloaded  other errors  deliveries    p50 ms    p99 ms\n";
  for (const auto& row : o.seconds) {
    char line[200];
    std::snprintf(line, sizeof line, "  %6d %6s %9.0f %8llu %8llu %11llu %13llu %11llu %9.3f %9.3f\n", row.second,
                  row.phase < 0 ? "drain" : std::to_string(row.phase).c_str(), row.rate,
                  static_cast<unsigned long long>(row.sends), static_cast<unsigned long long>(row.acks),
                  static_cast<unsigned long long>(row.overloaded), static_cast<unsigned long long>(row.other_errors),
                  static_cast<unsigned long long>(row.deliveries), row.p50_ms, row.p99_ms);
    out << line;
  }
}

json::object to_json(const OverloadReport& o) {
  json::array phases;
  for (const auto& p : o.phases) phases.push_back(json::object{{"rate", p.rate}, {"seconds", p.seconds}});
  json::array seconds;
  for (const auto& row : o.seconds) {
    seconds.push_back(json::object{{"second", row.second},
                                   {"phase", row.phase},
                                   {"rate", row.rate},
                                   {"sends", row.sends},
                                   {"acks", row.acks},
                                   {"overloaded", row.overloaded},
                                   {"other_errors", row.other_errors},
                                   {"deliveries", row.deliveries},
                                   {"p50_ms", round_to(row.p50_ms, 0.001)},
                                   {"p99_ms", round_to(row.p99_ms, 0.001)}});
  }
  return json::object{
      {"phases", std::move(phases)},
      {"warmup_phases", o.warmup_phases},
      {"burst", o.burst},
      {"burst_start_s", round_to(o.burst_start_s, 0.001)},
      {"burst_end_s", round_to(o.burst_end_s, 0.001)},
      {"load_end_s", round_to(o.load_end_s, 0.001)},
      {"recovery_factor", o.recovery_factor},
      {"baseline_p99_ms", or_null(o.baseline_p99_ms)},
      {"first_overloaded_s", or_null(o.first_overloaded_s)},
      {"recovered_s", or_null(o.recovered_s)},
      {"overloaded", o.overloaded},
      {"refused_delivered", o.refused_delivered},
      {"acked_and_refused", o.acked_and_refused},
      {"acked_undelivered", o.acked_undelivered},
      {"seconds", std::move(seconds)},
      {"ok", o.ok()},
  };
}

void write_resources(std::ostringstream& out, const BenchReport& r) {
  if (!r.connections_only) {
    out << "  cpu         bench " << fixed(r.bench_cpu_cores) << " cores";
    if (r.server_pid > 0) {
      out << ", parleyd " << fixed(r.server_cpu_cores) << " cores";
      if (r.server_cpu_cores > 0) {
        out << " (" << fixed(r.delivered_per_s / r.server_cpu_cores, 0) << " deliveries per parleyd core-second)";
      }
    }
    out << " over the window\n";
    if (!r.processes.empty()) {
      out << "  processes  ";
      for (const auto& p : r.processes) out << " " << p.name << "[" << p.pid << "] " << fixed(p.cores);
      out << " cores;";
      for (const auto& [name, cores] : cores_by_name(r)) out << " " << name << " " << fixed(cores);
      const double all = processes_cores(r);
      out << ", all " << fixed(all) << " cores";
      if (all > 0) out << " (" << fixed(r.delivered_per_s / all, 0) << " deliveries per core-second)";
      out << "\n";
    }
    if (!r.server_threads.empty()) {
      out << "  threads     parleyd, busiest first:";
      for (std::size_t i = 0; i < r.server_threads.size() && i < 8; ++i) {
        out << " " << r.server_threads[i].tid << "/" << r.server_threads[i].name << " "
            << fixed(r.server_threads[i].cores * 100, 0) << "%";
      }
      out << "\n";
    }
  }
  if (r.server_pid > 0) {
    out << "  memory      parleyd VmRSS ";
    if (r.idle_connections > 0) {
      out << r.server_rss_before_idle_kib << " KiB before the idle connections, " << r.server_rss_after_idle_kib
          << " KiB after (" << fixed(idle_bytes_per_connection(r), 0) << " bytes per idle connection), ";
    }
    out << r.server_rss_end_kib << " KiB at the end\n";
  }
}

}  // namespace

std::string format_text(const BenchReport& r) {
  std::ostringstream out;
  out << "parley-bench run " << r.run_id << ": mode " << r.mode;
  if (r.mode == "group") out << " (groups of " << r.group_size << ")";
  out << ", " << r.users << " users, " << r.connections << " load connections, " << r.idle_connections
      << " idle connections, " << r.threads << " threads\n";
  out << "  setup       accounts " << fixed(r.accounts_s) << " s, chats " << fixed(r.chats_s) << " s, connect "
      << fixed(r.connect_s) << " s, idle connect " << fixed(r.idle_connect_s) << " s, connect failures "
      << r.connect_failures << "\n";
  if (r.connections_dropped > 0) {
    out << "  dropped     " << r.connections_dropped << " connections:";
    for (const auto& [reason, n] : r.close_reasons) out << " [" << reason << "] x" << n;
    out << "\n";
  }
  if (r.connections_only) {
    out << "  connections only: held " << fixed(r.duration_s, 1) << " s, no messages\n";
    write_resources(out, r);
    return out.str();
  }
  out << "  load        target " << fixed(r.rate_target, 0) << " msg/s for " << fixed(r.duration_s, 1) << " s after "
      << fixed(r.warmup_s, 1) << " s warm-up; drain " << fixed(r.drain_s) << " s\n";
  out << "  sent        " << r.sent << " (" << r.sent_measured << " in the window, " << fixed(r.send_rate, 1)
      << " msg/s)\n";
  out << "  acked       " << r.acked << ", errors " << r.errors << ", unanswered " << r.unanswered << "\n";
  if (!r.error_codes.empty()) {
    out << "  error codes";
    for (const auto& [code, n] : r.error_codes) out << " " << code << " x" << n;
    out << "\n";
    if (r.error_codes.count("rate_limited")) {
      out << "  hint        start parleyd with --max-frames-per-second 0 (unlimited) for benchmarks\n";
    }
  }
  out << "  deliveries  expected " << r.expected << ", delivered " << r.delivered << ", lost " << r.lost
      << ", duplicates " << r.duplicates << " (out of order " << r.out_of_order << ", seq mismatch " << r.seq_mismatch
      << ", extra " << r.extra << ", unknown " << r.unknown << ")\n";
  out << "  throughput  " << fixed(r.delivered_per_s, 1) << " deliveries/s over the load window\n";
  write_nodes(out, r);
  if (r.failover) write_failover(out, *r.failover);
  if (r.overload) write_overload(out, *r.overload);
  auto line = [&](const char* name, const LatencySummary& s) {
    out << "  " << name << "p50 " << fixed(s.p50_ms, 3) << "  p90 " << fixed(s.p90_ms, 3) << "  p99 "
        << fixed(s.p99_ms, 3) << "  p999 " << fixed(s.p999_ms, 3) << "  max " << fixed(s.max_ms, 3) << " ms  (n "
        << s.count << ")\n";
  };
  line("latency     ", r.latency);
  line("ack         ", r.ack_latency);
  line("send lag    ", r.send_lag);
  write_resources(out, r);
  out << "  result      "
      << (r.ok() ? "OK"
                 : "FAILED (lost, duplicate, out-of-order or inconsistent deliveries, a refused send delivered or an "
                   "acked one not, or devices not back after the failover)")
      << "\n";
  return out.str();
}

std::string format_json(const BenchReport& r) {
  json::object errors;
  for (const auto& [code, n] : r.error_codes) errors[code] = n;
  json::object closes;
  for (const auto& [reason, n] : r.close_reasons) closes[reason] = n;
  json::object o{
      {"run_id", r.run_id},
      {"mode", r.mode},
      {"users", r.users},
      {"group_size", r.mode == "group" ? r.group_size : 2},
      {"connections", r.connections},
      {"idle_connections", r.idle_connections},
      {"threads", r.threads},
      {"connections_only", r.connections_only},
      {"rate_target", r.rate_target},
      {"duration_s", r.duration_s},
      {"warmup_s", r.warmup_s},
      {"setup_s", json::object{{"accounts", round_to(r.accounts_s, 0.001)},
                               {"chats", round_to(r.chats_s, 0.001)},
                               {"connect", round_to(r.connect_s, 0.001)},
                               {"idle_connect", round_to(r.idle_connect_s, 0.001)}}},
      {"connect_failures", r.connect_failures},
      {"connections_dropped", r.connections_dropped},
      {"close_reasons", std::move(closes)},
      {"sent", r.sent},
      {"sent_measured", r.sent_measured},
      {"send_rate", round_to(r.send_rate, 0.1)},
      {"acked", r.acked},
      {"errors", r.errors},
      {"error_codes", std::move(errors)},
      {"unanswered", r.unanswered},
      {"expected_deliveries", r.expected},
      {"delivered", r.delivered},
      {"lost", r.lost},
      {"duplicates", r.duplicates},
      {"out_of_order", r.out_of_order},
      {"seq_mismatch", r.seq_mismatch},
      {"extra_deliveries", r.extra},
      {"unknown_messages", r.unknown},
      {"drain_s", round_to(r.drain_s, 0.001)},
      {"delivered_per_s", round_to(r.delivered_per_s, 0.1)},
      {"latency_ms", to_json(r.latency)},
      {"ack_latency_ms", to_json(r.ack_latency)},
      {"send_lag_ms", to_json(r.send_lag)},
      {"ok", r.ok()},
  };
  o["bench_cpu_cores"] = round_to(r.bench_cpu_cores, 0.001);
  o["machine_cpu_cores"] = round_to(r.machine_cpu_cores, 0.001);
  o["machine_cores"] = r.machine_cores;
  if (r.server_pid > 0) {
    json::array threads;
    for (std::size_t i = 0; i < r.server_threads.size() && i < 8; ++i) {
      threads.push_back(json::object{{"tid", r.server_threads[i].tid},
                                     {"name", r.server_threads[i].name},
                                     {"cores", round_to(r.server_threads[i].cores, 0.001)}});
    }
    o["server"] = json::object{
        {"pid", r.server_pid},
        {"cpu_cores", round_to(r.server_cpu_cores, 0.001)},
        {"threads", std::move(threads)},
        {"rss_before_idle_kib", r.server_rss_before_idle_kib},
        {"rss_after_idle_kib", r.server_rss_after_idle_kib},
        {"rss_end_kib", r.server_rss_end_kib},
        {"idle_bytes_per_connection", round_to(idle_bytes_per_connection(r), 1)},
    };
  }
  if (!r.processes.empty()) {
    json::array processes;
    for (const auto& p : r.processes) {
      processes.push_back(json::object{{"pid", p.pid}, {"name", p.name}, {"cpu_cores", round_to(p.cores, 0.001)}});
    }
    o["processes"] = std::move(processes);
    json::object by_name;
    for (const auto& [name, cores] : cores_by_name(r)) by_name[name] = round_to(cores, 0.001);
    o["processes_cpu_cores"] = std::move(by_name);
  }
  if (!r.users_per_node.empty()) {
    json::object nodes;
    for (const auto& [node, users] : r.users_per_node) {
      auto it = r.connections_per_node.find(node);
      nodes[node] =
          json::object{{"users", users}, {"connections", it == r.connections_per_node.end() ? 0 : it->second}};
    }
    o["nodes"] = std::move(nodes);
  }
  if (r.overload) o["overload"] = to_json(*r.overload);
  if (r.failover) {
    const FailoverReport& f = *r.failover;
    json::array curve;
    for (const auto& row : f.curve) {
      curve.push_back(json::object{{"second", row.second},
                                   {"back", row.back},
                                   {"synced", row.synced},
                                   {"back_total", row.back_total},
                                   {"synced_total", row.synced_total}});
    }
    json::object back_on;
    for (const auto& [node, n] : f.back_on) back_on[node] = n;
    o["failover"] = json::object{
        {"victim", f.victim},
        {"victim_pid", f.victim_pid},
        {"kill_after_s", f.kill_after_s},
        {"kill_error", f.kill_error},
        {"jitter_s", f.jitter_s},
        {"devices", f.devices},
        {"dropped", f.dropped},
        {"back", f.back},
        {"synced", f.synced},
        {"route_queries", f.route_queries},
        {"route_failures", f.route_failures},
        {"route_named_victim", f.route_named_victim},
        {"route_avoided", f.route_avoided},
        {"connect_failures", f.connect_failures},
        {"first_drop_s", or_null(f.first_drop_s)},
        {"back_p50_s", or_null(f.back_p50_s)},
        {"last_back_s", or_null(f.last_back_s)},
        {"last_synced_s", or_null(f.last_synced_s)},
        {"back_on", std::move(back_on)},
        {"curve", std::move(curve)},
        {"ok", f.ok()},
    };
  }
  return plain_json(o) + "\n";
}

}  // namespace parley::bench
