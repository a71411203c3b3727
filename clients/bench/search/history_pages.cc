#include "history_pages.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <boost/json.hpp>

#include "lib/http_client.h"
#include "report_format.h"

namespace parley::bench {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

double percentile(const std::vector<double>& sorted, double p) {
  const auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size()))) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

std::int64_t int_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return -1;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return -1;
}

// Empty when the answer is the page `before` should give; else what is wrong.
std::string check_page(const client::HttpResponse& res, const std::string& chat_id, std::int64_t before, int limit) {
  if (res.status != 200) return "status " + std::to_string(res.status) + ": " + res.raw.substr(0, 200);
  const json::object* body = res.json.if_object();
  const json::value* messages = body ? body->if_contains("messages") : nullptr;
  if (!messages || !messages->is_array()) return "no messages array";
  const auto& page = messages->get_array();
  const std::int64_t expected = std::min<std::int64_t>(limit, before - 1);
  if (static_cast<std::int64_t>(page.size()) != expected) {
    return std::to_string(page.size()) + " messages, not " + std::to_string(expected);
  }
  for (std::size_t i = 0; i < page.size(); ++i) {
    const json::object* m = page[i].if_object();
    const std::int64_t seq = m ? int_at(*m, "seq") : -1;
    const json::value* chat = m ? m->if_contains("chat_id") : nullptr;
    if (seq != before - 1 - static_cast<std::int64_t>(i)) {
      return "message " + std::to_string(i) + " has seq " + std::to_string(seq) + ", not " +
             std::to_string(before - 1 - static_cast<std::int64_t>(i));
    }
    if (!chat || !chat->is_string() || chat->get_string() != chat_id) return "a message of another chat";
  }
  return {};
}

}  // namespace

HistoryFigures time_history_pages(const HistoryOptions& options) {
  HistoryFigures f;
  f.chat_id = options.chat_id;
  f.limit = options.limit;
  // One client, so one keep-alive connection: this first request opens it.
  client::HttpClient http(options.host, options.port, std::chrono::seconds(30));
  auto chat = http.get("/v1/chats/" + options.chat_id, options.token);
  const json::object* chat_object = chat.json.if_object();
  if (chat.status != 200 || !chat_object) {
    throw std::runtime_error("GET /v1/chats/" + options.chat_id + " answered " + std::to_string(chat.status) + " " +
                             chat.raw.substr(0, 200));
  }
  f.last_seq = int_at(*chat_object, "last_seq");
  if (f.last_seq < 1) throw std::runtime_error("chat " + options.chat_id + " has no messages");
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<std::int64_t> position(2, f.last_seq + 1);  // before = last_seq + 1: the newest page
  const std::string prefix =
      "/v1/chats/" + options.chat_id + "/messages?limit=" + std::to_string(options.limit) + "&before=";
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(options.requests));
  const auto started = Clock::now();
  for (int r = 0; r < options.requests; ++r) {
    const std::int64_t before = position(rng);
    const auto t0 = Clock::now();
    auto res = http.get(prefix + std::to_string(before), options.token);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (std::string problem = check_page(res, options.chat_id, before, options.limit); !problem.empty()) {
      if (f.bad_pages++ == 0) f.first_problem = "before=" + std::to_string(before) + ": " + problem;
    }
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - started).count();
  f.requests = options.requests;
  if (ms.empty()) return f;
  f.pages_per_s = total_s > 0 ? options.requests / total_s : 0;
  double sum = 0;
  for (double v : ms) sum += v;
  f.mean_ms = sum / static_cast<double>(ms.size());
  std::sort(ms.begin(), ms.end());
  f.p50_ms = percentile(ms, 0.50);
  f.p90_ms = percentile(ms, 0.90);
  f.p99_ms = percentile(ms, 0.99);
  f.max_ms = ms.back();
  return f;
}

std::string format_history_text(const HistoryFigures& f) {
  std::ostringstream out;
  out << "history pages of chat " << f.chat_id << " (last seq " << f.last_seq << "): " << f.requests
      << " requests, limit " << f.limit << ", before= uniform over the chat, one keep-alive connection\n";
  out << "  latency     p50 " << fixed(f.p50_ms, 3) << "  p90 " << fixed(f.p90_ms, 3) << "  p99 " << fixed(f.p99_ms, 3)
      << "  max " << fixed(f.max_ms, 3) << "  mean " << fixed(f.mean_ms, 3) << " ms\n";
  out << "  throughput  " << fixed(f.pages_per_s, 1) << " pages/s (one request at a time)\n";
  out << "  checks      bad pages " << f.bad_pages
      << (f.first_problem.empty() ? "" : " (first: " + f.first_problem + ")") << "\n";
  out << "  result      " << (f.ok() ? "OK" : "FAILED (a page that is not the messages it should hold)") << "\n";
  return out.str();
}

std::string format_history_json(const HistoryFigures& f) {
  return plain_json(json::object{
             {"scenario", "history"},
             {"chat_id", f.chat_id},
             {"last_seq", f.last_seq},
             {"requests", f.requests},
             {"limit", f.limit},
             {"p50_ms", round_to(f.p50_ms, 0.001)},
             {"p90_ms", round_to(f.p90_ms, 0.001)},
             {"p99_ms", round_to(f.p99_ms, 0.001)},
             {"max_ms", round_to(f.max_ms, 0.001)},
             {"mean_ms", round_to(f.mean_ms, 0.001)},
             {"pages_per_s", round_to(f.pages_per_s, 0.1)},
             {"bad_pages", f.bad_pages},
             {"first_problem", f.first_problem},
             {"ok", f.ok()},
         }) +
         "\n";
}

}  // namespace parley::bench
