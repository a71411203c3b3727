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

// GET /v1/route for one token, on the node `http` talks to.
RouteAnswer ask_route(HttpClient& http, const std::string& token) {
  auto res = http.get("/v1/route", token);
  if (res.status != 200) fail("GET /v1/route", res);
  auto answer = parse_route_answer(res.raw);
  if (!answer) fail("GET /v1/route (not a route answer)", res);
  return *answer;
}

// Asks the route of every user in [first, end) and records its node.
void route_users(const BenchConfig& config, BenchPlan& plan, std::size_t first, std::size_t end) {
  std::vector<RouteAnswer> answers(end - first);
  parallel_for(config, static_cast<int>(answers.size()), [&](int i, HttpClient& http) {
    answers[static_cast<std::size_t>(i)] = ask_route(http, plan.users[first + static_cast<std::size_t>(i)].token);
  });
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const RouteAnswer& a = answers[i];
    for (const auto& node : a.nodes) node_index(plan, node);
    plan.users[first + i].node = a.cluster ? node_index(plan, a.home) : 0;
  }
}

BenchPlan empty_plan(const BenchConfig& config) {
  BenchPlan plan;
  plan.run_id = random_run_id();
  plan.nodes.push_back(NodeAddress{config.host, config.port});
  return plan;
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

int node_index(BenchPlan& plan, const NodeAddress& node) {
  auto it = std::find(plan.nodes.begin(), plan.nodes.end(), node);
  if (it != plan.nodes.end()) return static_cast<int>(it - plan.nodes.begin());
  plan.nodes.push_back(node);
  return static_cast<int>(plan.nodes.size()) - 1;
}

BenchPlan set_up_accounts(const BenchConfig& config) {
  BenchPlan plan = empty_plan(config);
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
  if (config.route) route_users(config, plan, 0, plan.users.size());
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

BenchPlan set_up_failover(const BenchConfig& config) {
  BenchPlan plan = empty_plan(config);
  plan.victim_node = node_index(plan, config.failover_node);
  const std::string password = "bench-password-" + plan.run_id;
  const int per_user = std::max(1, config.failover_devices_per_user);
  const int victims_needed = (config.failover_devices + per_user - 1) / per_user;
  const int senders_needed = config.users;
  std::vector<BenchUser> victims, senders;
  auto start = std::chrono::steady_clock::now();
  // The ring decides each user's home: sign users up in rounds until both
  // pools are full (a third of them land on the victim in a 3-node cluster).
  int signed_up = 0;
  for (int round = 0;
       static_cast<int>(victims.size()) < victims_needed || static_cast<int>(senders.size()) < senders_needed;
       ++round) {
    if (round == 20)
      throw std::runtime_error("failover setup: the ring gives too few users to " + config.failover_node.authority());
    const int missing = std::max(0, victims_needed - static_cast<int>(victims.size())) +
                        std::max(0, senders_needed - static_cast<int>(senders.size()));
    const int batch = missing * 2 + 8;
    std::vector<BenchUser> fresh(static_cast<std::size_t>(batch));
    std::vector<RouteAnswer> routes(fresh.size());
    parallel_for(config, batch, [&](int i, HttpClient& http) {
      BenchUser& user = fresh[static_cast<std::size_t>(i)];
      user.email = "bench-" + plan.run_id + "-" + std::to_string(signed_up + i) + "@bench.local";
      sign_up_and_log_in(http, user, password, "bench " + std::to_string(signed_up + i));
      routes[static_cast<std::size_t>(i)] = ask_route(http, user.token);
    });
    signed_up += batch;
    for (std::size_t i = 0; i < fresh.size(); ++i) {
      if (!routes[i].cluster)
        throw std::runtime_error("failover needs a cluster: GET /v1/route answered cluster false");
      for (const auto& node : routes[i].nodes) node_index(plan, node);
      fresh[i].node = node_index(plan, routes[i].home);
      if (fresh[i].node == plan.victim_node) {
        if (static_cast<int>(victims.size()) < victims_needed) victims.push_back(std::move(fresh[i]));
      } else if (static_cast<int>(senders.size()) < senders_needed) {
        senders.push_back(std::move(fresh[i]));
      }
    }
  }
  // The victims' other devices: more logins of the same users.
  std::vector<std::pair<int, int>> logins;  // (victim, device)
  for (int v = 0; v < victims_needed; ++v) {
    const int devices = std::min(per_user, config.failover_devices - v * per_user);
    for (int d = 1; d < devices; ++d) logins.emplace_back(v, d);
  }
  for (auto& v : victims) v.extra_tokens.resize(static_cast<std::size_t>(per_user - 1));
  parallel_for(config, static_cast<int>(logins.size()), [&](int i, HttpClient& http) {
    auto [v, d] = logins[static_cast<std::size_t>(i)];
    BenchUser& user = victims[static_cast<std::size_t>(v)];
    auto login =
        http.post("/v1/login", json::object{{"email", user.email}, {"password", password}, {"device_name", "bench"}});
    if (!login.ok()) fail("POST /v1/login " + user.email, login);
    user.extra_tokens[static_cast<std::size_t>(d - 1)] = string_at(login, "token", "POST /v1/login");
  });
  for (int v = 0; v < victims_needed; ++v) {
    const int devices = std::min(per_user, config.failover_devices - v * per_user);
    victims[static_cast<std::size_t>(v)].extra_tokens.resize(static_cast<std::size_t>(devices - 1));
  }
  auto accounts_done = std::chrono::steady_clock::now();

  for (auto& s : senders) plan.users.push_back(std::move(s));
  for (auto& v : victims) {
    v.sends = false;
    plan.users.push_back(std::move(v));
  }
  for (int v = 0; v < victims_needed; ++v) {
    plan.chats.push_back(BenchChat{{}, {v % senders_needed, senders_needed + v}});
  }
  parallel_for(config, static_cast<int>(plan.chats.size()), [&](int c, HttpClient& http) {
    BenchChat& chat = plan.chats[static_cast<std::size_t>(c)];
    const BenchUser& sender = plan.users[static_cast<std::size_t>(chat.members.front())];
    auto res = http.post("/v1/chats",
                         json::object{{"kind", "direct"},
                                      {"peer_id", plan.users[static_cast<std::size_t>(chat.members.back())].user_id}},
                         sender.token);
    if (!res.ok()) fail("POST /v1/chats", res);
    chat.chat_id = string_at(res, "chat_id", "POST /v1/chats");
  });
  for (int c = 0; c < static_cast<int>(plan.chats.size()); ++c) {
    for (int m : plan.chats[static_cast<std::size_t>(c)].members)
      plan.users[static_cast<std::size_t>(m)].chats.push_back(c);
  }
  plan.timings.accounts_s = std::chrono::duration<double>(accounts_done - start).count();
  plan.timings.chats_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - accounts_done).count();
  return plan;
}

}  // namespace parley::bench
