#pragma once
// AccountSetup: creates the bench's accounts and chats over REST before the
// load starts. Signup and login hash passwords on the server (tens of ms
// each), so the work is spread over several synchronous HttpClients, one per
// setup thread. Called from main() only; blocks until done; throws
// std::runtime_error with the failing call on any error.

#include <string>
#include <vector>

#include "bench_config.h"
#include "route_answer.h"

namespace parley::bench {

struct BenchUser {
  std::string email;
  std::string user_id;
  std::string token;
  std::string device_id;
  std::vector<int> chats;                 // indices into BenchPlan::chats, in sending order
  int node = 0;                           // index into BenchPlan::nodes: where its devices connect
  bool sends = true;                      // false: only receives (the failover scenario's devices)
  std::vector<std::string> extra_tokens;  // more devices of this user (logins), each with its own connection
  int devices() const { return 1 + static_cast<int>(extra_tokens.size()); }
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
  std::vector<NodeAddress> nodes;       // [0] is --server; then every node a route answer named
  int victim_node = -1;                 // failover: index of the node to be killed
  SetupTimings timings;
};

// Fails fast with a clear message when nothing answers GET /healthz.
void check_server(const BenchConfig& config);

// Signs up and logs in every user, then creates the chats of `config.mode`:
// direct pairs (2k, 2k+1) (an odd last user pairs with user 0), or groups of
// `group_size` consecutive users (a remainder of one joins the last group).
// With config.route, each load user then asks GET /v1/route and gets the
// node it names (BenchUser::node).
BenchPlan set_up_accounts(const BenchConfig& config);

// The failover scenario: signs up users until config.failover_devices
// devices (config.failover_devices_per_user logins each) belong to users
// whose home is config.failover_node and config.users senders' homes are
// other nodes; each device user shares a direct chat with one sender
// (round robin). Senders come first in BenchPlan::users. Throws when the
// server is not a cluster or the victim is not in its ring.
BenchPlan set_up_failover(const BenchConfig& config);

// The index of `node` in plan.nodes, appended when new.
int node_index(BenchPlan& plan, const NodeAddress& node);

}  // namespace parley::bench
