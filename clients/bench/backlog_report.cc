#include "backlog_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include <boost/json.hpp>

#include "report_format.h"

namespace parley::bench {
namespace json = boost::json;
namespace {

// Median, min and max of the repetitions where the figure exists (>= 0).
struct Spread {
  int count = 0;
  double median = -1, min = -1, max = -1;
};

template <typename Figure>
Spread spread_of(const BacklogReport& r, Figure figure) {
  std::vector<double> values;
  for (const auto& run : r.runs) {
    if (double v = figure(run); v >= 0) values.push_back(v);
  }
  Spread s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  s.count = static_cast<int>(n);
  s.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  s.min = values.front();
  s.max = values.back();
  return s;
}

double messages_per_s(const BacklogReport& r, const BacklogRun& run) {
  return run.last_message_ms > 0 ? r.messages / (run.last_message_ms / 1000) : -1;
}

BacklogTally sum_of(const BacklogReport& r) {
  BacklogTally t;
  for (const auto& run : r.runs) {
    t.expected += run.tally.expected;
    t.received += run.tally.received;
    t.missing += run.tally.missing;
    t.duplicates += run.tally.duplicates;
    t.out_of_order += run.tally.out_of_order;
    t.foreign += run.tally.foreign;
    t.mismatched += run.tally.mismatched;
    t.after_synced += run.tally.after_synced;
  }
  return t;
}

std::string text_of(const Spread& s, int digits, const char* unit) {
  if (s.count == 0) return "-";
  return fixed(s.median, digits) + unit + " [" + fixed(s.min, digits) + "–" + fixed(s.max, digits) + "]";
}

// `unit`: 0.001 for times in ms; CPU seconds keep the microsecond.
json::value json_of(const Spread& s, double unit = 0.001) {
  if (s.count == 0) return nullptr;
  return json::object{{"median", round_to(s.median, unit)},
                      {"min", round_to(s.min, unit)},
                      {"max", round_to(s.max, unit)},
                      {"count", s.count}};
}

json::value maybe(double v, double unit = 0.001) {
  return v < 0 ? json::value(nullptr) : json::value(round_to(v, unit));
}

}  // namespace

bool BacklogReport::ok() const {
  return !runs.empty() && std::all_of(runs.begin(), runs.end(), [](const BacklogRun& run) { return run.ok(); });
}

std::string format_backlog_text(const BacklogReport& r) {
  std::ostringstream out;
  out << "parley-bench backlog run " << r.run_id << ": " << r.messages << " messages per repetition, " << r.runs.size()
      << " repetitions, cursor "
      << (r.cursor == "start" ? "from the start (\"o0\", a fresh login)" : "saved (the device connected once)") << ", "
      << r.text_bytes << "-byte texts, A's window " << r.window << "\n";
  out << "  rep   A acked in s  retries  welcome ms  synced ms  last msg ms    msg/s  parleyd cpu s  check\n";
  // "-": never came (or no --server-pid).
  auto cell = [](double v, int digits) { return v < 0 ? std::string("-") : fixed(v, digits); };
  for (std::size_t i = 0; i < r.runs.size(); ++i) {
    const BacklogRun& run = r.runs[i];
    char line[200];
    std::snprintf(line, sizeof line, "  %-5zu %12.3f %8llu %11s %10s %12s %8s %14s  %s\n", i + 1, run.send_s,
                  static_cast<unsigned long long>(run.send_retries), cell(run.welcome_ms, 1).c_str(),
                  cell(run.synced_ms, 1).c_str(), cell(run.last_message_ms, 1).c_str(),
                  cell(messages_per_s(r, run), 0).c_str(), cell(run.server_cpu_s, 4).c_str(),
                  run.ok() ? "ok" : "FAILED");
    out << line;
    if (!run.close_detail.empty()) out << "        connection ended during the drain: " << run.close_detail << "\n";
  }
  out << "  welcome     " << text_of(spread_of(r, [](const BacklogRun& x) { return x.welcome_ms; }), 1, " ms")
      << " after hello (median [min–max])\n";
  out << "  synced      " << text_of(spread_of(r, [](const BacklogRun& x) { return x.synced_ms; }), 1, " ms")
      << " after hello\n";
  out << "  last msg    " << text_of(spread_of(r, [](const BacklogRun& x) { return x.last_message_ms; }), 1, " ms")
      << " after hello, "
      << text_of(spread_of(r, [&r](const BacklogRun& x) { return messages_per_s(r, x); }), 0, " msg/s") << "\n";
  if (r.server_pid > 0) {
    out << "  parleyd cpu " << text_of(spread_of(r, [](const BacklogRun& x) { return x.server_cpu_s; }), 4, " s")
        << " from hello to the end of the drain\n";
  }
  const BacklogTally t = sum_of(r);
  out << "  checks      expected " << t.expected << ", received " << t.received << ", missing " << t.missing
      << ", duplicates " << t.duplicates << ", out of order " << t.out_of_order << ", foreign " << t.foreign
      << ", mismatched " << t.mismatched << ", after synced " << t.after_synced << "\n";
  out << "  result      "
      << (r.ok() ? "OK" : "FAILED (a message missing, repeated, out of order or after synced, or no synced)") << "\n";
  return out.str();
}

std::string format_backlog_json(const BacklogReport& r) {
  json::array runs;
  for (const auto& run : r.runs) {
    runs.push_back(json::object{
        {"send_s", round_to(run.send_s, 0.001)},
        {"send_retries", run.send_retries},
        {"welcome_ms", maybe(run.welcome_ms)},
        {"synced_ms", maybe(run.synced_ms)},
        {"last_message_ms", maybe(run.last_message_ms)},
        {"server_cpu_s", maybe(run.server_cpu_s, 1e-6)},
        {"received", run.tally.received},
        {"missing", run.tally.missing},
        {"duplicates", run.tally.duplicates},
        {"out_of_order", run.tally.out_of_order},
        {"foreign", run.tally.foreign},
        {"mismatched", run.tally.mismatched},
        {"after_synced", run.tally.after_synced},
        {"close_detail", run.close_detail},
        {"ok", run.ok()},
    });
  }
  const BacklogTally t = sum_of(r);
  json::object o{
      {"scenario", "backlog"},
      {"run_id", r.run_id},
      {"messages", r.messages},
      {"repeats", r.runs.size()},
      {"cursor", r.cursor},
      {"text_bytes", r.text_bytes},
      {"window", r.window},
      {"welcome_ms", json_of(spread_of(r, [](const BacklogRun& x) { return x.welcome_ms; }))},
      {"synced_ms", json_of(spread_of(r, [](const BacklogRun& x) { return x.synced_ms; }))},
      {"last_message_ms", json_of(spread_of(r, [](const BacklogRun& x) { return x.last_message_ms; }))},
      {"messages_per_s", json_of(spread_of(r, [&r](const BacklogRun& x) { return messages_per_s(r, x); }))},
      {"expected", t.expected},
      {"received", t.received},
      {"missing", t.missing},
      {"duplicates", t.duplicates},
      {"out_of_order", t.out_of_order},
      {"foreign", t.foreign},
      {"mismatched", t.mismatched},
      {"after_synced", t.after_synced},
      {"runs", std::move(runs)},
      {"ok", r.ok()},
  };
  if (r.server_pid > 0) {
    o["server"] =
        json::object{{"pid", r.server_pid},
                     {"cpu_s", json_of(spread_of(r, [](const BacklogRun& x) { return x.server_cpu_s; }), 1e-6)}};
  }
  return plain_json(o) + "\n";
}

}  // namespace parley::bench
