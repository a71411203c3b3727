#pragma once
// AccountSetup: creates the bench's accounts and chats over REST before the
// load starts. Signup and login hash passwords on the server (tens of ms
// each), so the work is spread over several synchronous HttpClients, one per
// setup thread. Called from main() only; blocks until done; throws
// std::runtime_error with the failing call on any error.

#include <string>
#include <vector>

#include "bench_config.h"

namespace parley::bench {

struct BenchUser {
  std::string email;
  std::string user_id;
  std::string token;
  std::string device_id;
  std::vector<int> chats;  // indices into BenchPlan::chats, in sending order
};

struct BenchChat {
  std::string chat_id;
  std::vector<int> members;  // indices into BenchPlan::users
};

struct SetupTimings {
  double accounts_s = 0;  // signup + login of every user
  double chats_s = 0;
};

struct BenchPlan {
  std::string run_id;
  std::vector<BenchUser> users;  // the load users: one WebSocket each
  std::vector<BenchChat> chats;
  std::vector<BenchUser> idle_devices;  // logged-in devices that only hold idle connections; no chats
  SetupTimings timings;
};

// Fails fast with a clear message when nothing answers GET /healthz.
void check_server(const BenchConfig& config);

// Signs up and logs in every user, then creates the chats of `config.mode`:
// direct pairs (2k, 2k+1) (an odd last user pairs with user 0), or groups of
// `group_size` consecutive users (a remainder of one joins the last group).
BenchPlan set_up_accounts(const BenchConfig& config);

}  // namespace parley::bench
