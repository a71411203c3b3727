#pragma once
// Settings of the network layer, one typed struct handed to constructors.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/login_throttle.h"
#include "core/model.h"
#include "core/result.h"
#include "inet/ip_network.h"

namespace parley {

// One engine a cluster node depends on, as /healthz reports it.
struct DependencyHealth {
  std::string name;
  bool ok = false;
  std::string detail;  // why not, or what it is connected to
};

// Where a user's devices belong: a node of the cluster's ring, and the URLs
// of every node (a client asks another one for a route when its home dies).
struct HomeNode {
  std::string node_id;
  std::string url;
  std::vector<std::string> node_urls;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;  // 0: one per core
  std::int64_t heartbeat_interval_ms = 5'000;
  std::size_t max_frame_bytes = 65'536;
  std::size_t max_body_bytes = 65'536;
  double max_frames_per_second = 50;  // burst: twice this
  std::int64_t hello_timeout_ms = 10'000;
  // Frames waiting for a slow device; past this the connection is closed
  // (1008) and the device catches up from its cursor when it returns.
  std::size_t max_queued_frames = 8'192;
  // The same bound in bytes, so that a few huge frames cannot do what many
  // small ones may not. Replies to the device itself count too.
  std::size_t max_queued_bytes = 16u << 20;
  // A write that the device does not take within this is a device that does
  // not read: the connection is dropped.
  std::int64_t write_stall_timeout_ms = 20'000;
  // Once a frame has started to arrive, all of it must arrive within this.
  std::int64_t frame_timeout_ms = 10'000;
  // While an I/O thread queues at least write_pacing_above frames a second,
  // its connections write on a tick of write_delay_ms, several frames per
  // system call (net/write_pacer.h). 0 in either: every write at once.
  std::int64_t write_delay_ms = 20;
  std::uint64_t write_pacing_above = 20'000;
  // While an I/O thread runs at least wake_pacing_above jobs a second, it
  // pauses after each wake until wake_pause_us has passed, so that the next
  // finds more work at once (net/wake_pacer.h). 0 in either: never pauses.
  std::int64_t wake_pause_us = 2'000;
  std::uint64_t wake_pacing_above = 20'000;
  // Sends of one connection waiting for their ack; past this, `overloaded`.
  std::size_t max_unacked_sends = 1'024;
  // Client connections open at once; 0: the descriptor limit minus fd_reserve.
  std::size_t max_connections = 0;
  // Descriptors kept for the store and outgoing pushes, never for clients.
  std::size_t fd_reserve = 256;
  std::size_t resume_page = 200;      // messages per page of a resume
  std::size_t resume_budget = 1'024;  // messages a resume reads ahead across all chats
  std::string web_root;               // static files served at "/", if set
  // Hosts and networks a push webhook may reach although they are
  // special-use (loopback, private, …); checked again at send time.
  inet::HostAllowList push_allow;
  // The VAPID public key (base64url of the uncompressed P-256 point) browsers
  // subscribe with, served by GET /v1/push/vapid-public-key. Empty: Web Push
  // is off (registrations refused, the route answers 404).
  std::string vapid_public_key;
  // Password guessing: login and signup attempts per account and per address.
  LoginThrottleConfig login_throttle;
  // Reverse proxies whose X-Forwarded-For names the real client.
  std::vector<inet::IpNetwork> trusted_proxies;
  // Serve GET /v1/stats (memory and connections) to anyone who can reach
  // the server: off by default, for operators and the soak probe.
  bool stats_endpoint = false;
  // The operator's credential for the admin API (/v1/admin/...): a bearer
  // token of 32 to 512 printable bytes. Empty: the admin API is off (404).
  std::string admin_token;
  // This build's version, shown by GET /v1/admin/stats.
  std::string version;
  // What the store reports, by name: bytes it holds in memory, how often it
  // healed itself; may be empty.
  std::function<std::vector<std::pair<std::string, std::uint64_t>>()> store_stats;

  // Set in cluster mode only. Each node's engines, for /healthz, and the
  // node ids of the ring as this node sees it.
  std::function<std::vector<DependencyHealth>()> dependencies;
  std::function<std::vector<std::string>()> ring;
  std::string node_id;
  // The user's home node on the ring; nullopt while the ring is empty.
  std::function<std::optional<HomeNode>(const UserId&)> home_of;
  // The committed head a resume starts from, read fresh (a cluster's other
  // nodes commit too); unset: the core's own.
  std::function<Result<LogPosition>()> committed_head;
};

}  // namespace parley
