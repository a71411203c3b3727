#include "account_setup.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <boost/json.hpp>

#include "lib/http_client.h"

namespace parley::bench {
namespace json = boost::json;
using client::HttpClient;
using client::HttpResponse;

namespace {

std::string random_run_id() {
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string id;
  for (int i = 0; i < 8; ++i) id.push_back("0123456789abcdef"[hex(rd)]);
  return id;
}

[[noreturn]] void fail(const std::string& call, const HttpResponse& res) {
  throw std::runtime_error(call + " answered " + std::to_string(res.status) + " " + res.raw);
}

std::string string_at(const HttpResponse& res, std::string_view key, const std::string& call) {
  const auto* obj = res.json.if_object();
  const json::value* v = obj ? obj->if_contains(key) : nullptr;
  if (!v || !v->is_string()) fail(call + " (no " + std::string(key) + ")", res);
  return std::string(v->as_string());
}

// Runs job(i, client) for i in [0, count) on `threads` threads, each with its
// own HttpClient. Rethrows the first failure once every thread has stopped.
void parallel_for(const BenchConfig& config, int count, const std::function<void(int, HttpClient&)>& job) {
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mu;
  int threads = std::clamp(config.setup_concurrency, 1, std::max(1, count));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      HttpClient http(config.host, config.port, std::chrono::seconds(30));
      for (int i = next++; i < count && !failed; i = next++) {
        try {
          job(i, http);
        } catch (...) {
          std::lock_guard lock(error_mu);
          if (!first_error) first_error = std::current_exception();
          failed = true;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

void sign_up_and_log_in(HttpClient& http, BenchUser& user, const std::string& password, const std::string& name) {
  auto signup =
      http.post("/v1/signup", json::object{{"email", user.email}, {"password", password}, {"display_name", name}});
  if (signup.status != 201) fail("POST /v1/signup " + user.email, signup);
  user.user_id = string_at(signup, "user_id", "POST /v1/signup");
  auto login =
      http.post("/v1/login", json::object{{"email", user.email}, {"password", password}, {"device_name", "bench"}});
  if (!login.ok()) fail("POST /v1/login " + user.email, login);
  user.token = string_at(login, "token", "POST /v1/login");
  user.device_id = string_at(login, "device_id", "POST /v1/login");
}

std::vector<BenchChat> plan_chats(const BenchConfig& config) {
  std::vector<BenchChat> chats;
  const int n = config.users;
  if (config.mode == ChatMode::direct) {
    for (int a = 0; a + 1 < n; a += 2) chats.push_back(BenchChat{{}, {a, a + 1}});
    if (n % 2 == 1 && n > 1) chats.push_back(BenchChat{{}, {n - 1, 0}});
  } else {
    const int k = std::max(2, config.group_size);
    for (int first = 0; first < n; first += k) {
      BenchChat chat;
      for (int i = first; i < std::min(n, first + k); ++i) chat.members.push_back(i);
      if (chat.members.size() == 1 && !chats.empty()) {
        chats.back().members.push_back(chat.members.front());
      } else {
        chats.push_back(std::move(chat));
      }
    }
  }
  return chats;
}

}  // namespace

void check_server(const BenchConfig& config) {
  HttpClient http(config.host, config.port, std::chrono::seconds(5));
  HttpResponse res;
  try {
    res = http.get("/healthz");
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot reach parleyd at " + config.host + ":" + std::to_string(config.port) + ": " +
                             e.what());
  }
  if (!res.ok()) fail("GET /healthz", res);
}

BenchPlan set_up_accounts(const BenchConfig& config) {
  BenchPlan plan;
  plan.run_id = random_run_id();
  const std::string password = "bench-password-" + plan.run_id;
  plan.users.resize(static_cast<std::size_t>(config.users));
  for (int i = 0; i < config.users; ++i) {
    plan.users[i].email = "bench-" + plan.run_id + "-" + std::to_string(i) + "@bench.local";
  }
  int idle_devices = config.idle_devices > 0 ? config.idle_devices : std::min(config.idle_connections, 100);
  if (config.idle_connections == 0) idle_devices = 0;
  plan.idle_devices.resize(static_cast<std::size_t>(idle_devices));
  for (int i = 0; i < idle_devices; ++i) {
    plan.idle_devices[i].email = "bench-" + plan.run_id + "-idle-" + std::to_string(i) + "@bench.local";
  }

  auto start = std::chrono::steady_clock::now();
  const int total = config.users + idle_devices;
  parallel_for(config, total, [&](int i, HttpClient& http) {
    BenchUser& user = i < config.users ? plan.users[i] : plan.idle_devices[i - config.users];
    sign_up_and_log_in(http, user, password, "bench " + std::to_string(i));
  });
  auto accounts_done = std::chrono::steady_clock::now();

  plan.chats = plan_chats(config);
  parallel_for(config, static_cast<int>(plan.chats.size()), [&](int c, HttpClient& http) {
    BenchChat& chat = plan.chats[c];
    const BenchUser& creator = plan.users[chat.members.front()];
    json::object body;
    if (config.mode == ChatMode::direct) {
      body = {{"kind", "direct"}, {"peer_id", plan.users[chat.members.back()].user_id}};
    } else {
      json::array ids;
      for (std::size_t m = 1; m < chat.members.size(); ++m) ids.emplace_back(plan.users[chat.members[m]].user_id);
      body = {{"kind", "group"}, {"name", "bench " + std::to_string(c)}, {"member_ids", std::move(ids)}};
    }
    auto res = http.post("/v1/chats", body, creator.token);
    if (!res.ok()) fail("POST /v1/chats", res);
    chat.chat_id = string_at(res, "chat_id", "POST /v1/chats");
  });
  for (int c = 0; c < static_cast<int>(plan.chats.size()); ++c) {
    for (int m : plan.chats[c].members) plan.users[m].chats.push_back(c);
  }
  auto chats_done = std::chrono::steady_clock::now();
  plan.timings.accounts_s = std::chrono::duration<double>(accounts_done - start).count();
  plan.timings.chats_s = std::chrono::duration<double>(chats_done - accounts_done).count();
  return plan;
}

}  // namespace parley::bench
