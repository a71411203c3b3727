#include "backlog_drain.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <random>
#include <stdexcept>

#include <boost/json.hpp>

#include "lib/session.h"
#include "lib/ws_connection.h"
#include "report_format.h"

namespace parley::bench {
namespace json = boost::json;
using client::Ms;
using client::Session;
using client::WsConnection;
using Clock = std::chrono::steady_clock;

namespace {

// After the last expected frame, how long the device keeps listening for a
// late duplicate or stray message (not part of the timings).
constexpr Ms kListenAfter{200};
// A's sends: the longest wait for the next ack or error before giving up.
constexpr Ms kAnswerTimeout{30'000};

double ms_since(Clock::time_point start, Clock::time_point at) {
  return std::chrono::duration<double, std::milli>(at - start).count();
}

Ms to_ms(double seconds) {
  return Ms(static_cast<std::int64_t>(seconds * 1000));
}

std::string random_run_id() {
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string id;
  for (int i = 0; i < 8; ++i) id.push_back("0123456789abcdef"[hex(rd)]);
  return id;
}

// A fresh pair of users and their direct chat, A its creator.
struct BacklogPair {
  Session a;
  Session b;
  std::string chat_id;
};

BacklogPair set_up_pair(const BenchConfig& config, const std::string& run_id, int repetition) {
  client::Client http(config.host, config.port);
  const std::string password = "bench-password-" + run_id;
  auto sign_up = [&](const std::string& who) {
    const std::string email = "bench-" + run_id + "-backlog-" + std::to_string(repetition) + "-" + who + "@bench.local";
    http.signup(email, password, "bench backlog " + who);
    return http.login(email, password, "bench");
  };
  Session a = sign_up("a");
  Session b = sign_up("b");
  std::string chat_id = a.create_direct(b.user_id()).chat_id;
  return BacklogPair{std::move(a), std::move(b), std::move(chat_id)};
}

// A's N sends over one WebSocket, at most `window` waiting for their ack;
// returns the client_msg_id of each acked seq (index seq - 1).
std::vector<std::string> send_backlog(const BenchConfig& config, Session& a, const std::string& chat_id,
                                      BacklogRun& run) {
  auto ws = a.connect_ws();
  const std::string text(static_cast<std::size_t>(std::max(1, config.text_bytes)), 'x');
  const int total = config.backlog_messages;
  std::vector<std::string> id_of_seq;
  std::deque<int> again;  // refused `overloaded`: written again before new ones
  int next = 0, in_flight = 0, acked = 0;
  const auto start = Clock::now();
  while (acked < total) {
    while (in_flight < config.backlog_window && (!again.empty() || next < total)) {
      int k = next;
      if (!again.empty()) {
        k = again.front();
        again.pop_front();
      } else {
        ++next;
      }
      ws->send_message(chat_id, "backlog-" + std::to_string(k), text);
      ++in_flight;
    }
    auto frame = ws->next(kAnswerTimeout);
    if (!frame) {
      throw std::runtime_error("A: " + std::to_string(acked) + " of " + std::to_string(total) +
                               " sends acked, then nothing for 30 s" +
                               (ws->is_open() ? "" : " (closed: " + ws->close_detail() + ")"));
    }
    const json::object* o = frame->if_object();
    if (!o) continue;
    const std::string type = client::str_field(*o, "type");
    if (type == "ack") {
      const std::int64_t seq = client::int_field(*o, "seq");
      const std::string id = client::str_field(*o, "client_msg_id");
      if (seq < 1 || seq > std::int64_t{4} * total) throw std::runtime_error("A: ack with seq out of range: " + id);
      const auto index = static_cast<std::size_t>(seq - 1);
      if (index >= id_of_seq.size()) id_of_seq.resize(index + 1);
      if (!id_of_seq[index].empty() && id_of_seq[index] != id) {
        throw std::runtime_error("A: seq " + std::to_string(seq) + " acked for two sends");
      }
      --in_flight;
      if (id_of_seq[index].empty()) ++acked;
      id_of_seq[index] = id;
    } else if (type == "error") {
      const std::string code = client::str_field(*o, "code");
      const std::string ref = client::str_field(*o, "ref");
      if (code != "overloaded" || ref.rfind("backlog-", 0) != 0) {
        throw std::runtime_error("A: send answered " + json::serialize(*o));
      }
      again.push_back(std::stoi(ref.substr(8)));
      --in_flight;
      ++run.send_retries;
    }
    // A's own device gets its messages too; they are not measured.
  }
  run.send_s = ms_since(start, Clock::now()) / 1000;
  ws->close();
  return id_of_seq;
}

// B's device comes back: hello with its cursor, then every frame until
// `synced` and the last expected message, or until nothing came for
// --drain seconds (or --drain-max in all).
void drain_backlog(const BenchConfig& config, const std::string& token, const std::string& cursor, BacklogCheck& check,
                   const ProcSampler* server, BacklogRun& run) {
  client::WsOptions options;
  options.keep_history = false;  // the frames are checked as they come, not kept
  auto ws = WsConnection::connect(config.host, config.port, options);
  CpuSnapshot cpu_before;
  if (server) cpu_before = server->cpu();
  const auto hello_at = Clock::now();
  ws->send(json::object{{"type", "hello"}, {"token", token}, {"cursor", cursor}});
  const auto deadline = hello_at + to_ms(config.drain_max_s);
  bool synced = false;
  auto on_frame = [&](const json::value& frame, Clock::time_point at) {
    const json::object* o = frame.if_object();
    if (!o) return;
    const std::string type = client::str_field(*o, "type");
    if (type == "welcome" && run.welcome_ms < 0) {
      run.welcome_ms = ms_since(hello_at, at);
    } else if (type == "message") {
      const bool was_complete = check.complete();
      check.on_message(client::str_field(*o, "chat_id"), client::int_field(*o, "seq"),
                       client::str_field(*o, "client_msg_id"), synced);
      if (!was_complete && check.complete()) run.last_message_ms = ms_since(hello_at, at);
    } else if (type == "synced" && !synced) {
      synced = true;
      run.synced_ms = ms_since(hello_at, at);
    }
  };
  while (!(synced && check.complete())) {
    const auto now = Clock::now();
    if (now >= deadline) break;
    auto frame = ws->next(std::min(to_ms(config.drain_s), std::chrono::duration_cast<Ms>(deadline - now)));
    if (!frame) break;  // quiet for --drain seconds, or closed
    on_frame(*frame, Clock::now());
  }
  if (server) run.server_cpu_s = ProcSampler::run_s_between(cpu_before, server->cpu());
  // Late frames (a duplicate after synced) still count against the run.
  const auto listen_until = Clock::now() + kListenAfter;
  for (auto now = Clock::now(); now < listen_until; now = Clock::now()) {
    auto frame = ws->next(std::chrono::duration_cast<Ms>(listen_until - now));
    if (!frame) break;
    on_frame(*frame, Clock::now());
  }
  if (!ws->is_open()) run.close_detail = ws->close_detail();
  ws->close();
}

}  // namespace

BacklogReport run_backlog(const BenchConfig& config, const ProcSampler* server,
                          const std::function<void(const std::string&)>& progress) {
  BacklogReport report;
  report.run_id = random_run_id();
  report.messages = config.backlog_messages;
  report.cursor = config.backlog_from_start ? "start" : "saved";
  report.text_bytes = config.text_bytes;
  report.window = config.backlog_window;
  report.server_pid = server ? server->pid() : 0;
  for (int r = 0; r < config.repeats; ++r) {
    BacklogRun run;
    BacklogPair pair = set_up_pair(config, report.run_id, r);
    std::string cursor = "o0";  // from the start of the log
    if (!config.backlog_from_start) {
      // B's device connects once, keeps the welcome's cursor and leaves.
      auto ws = pair.b.connect_ws();
      cursor = client::str_field(ws->welcome(), "cursor");
      ws->close();
    }
    auto ids = send_backlog(config, pair.a, pair.chat_id, run);
    progress("repetition " + std::to_string(r + 1) + ": " + std::to_string(config.backlog_messages) +
             " messages acked in " + fixed(run.send_s, 3) + " s" + "; B's device resumes from " + cursor);
    BacklogCheck check(pair.chat_id, std::move(ids));
    drain_backlog(config, pair.b.token(), cursor, check, server, run);
    run.tally = check.tally();
    progress("repetition " + std::to_string(r + 1) + ": synced after " + fixed(run.synced_ms, 1) + " ms" +
             ", last message after " + fixed(run.last_message_ms, 1) + " ms" + (run.ok() ? "" : ", CHECK FAILED"));
    report.runs.push_back(std::move(run));
  }
  return report;
}

}  // namespace parley::bench
