#pragma once
// RedisPresenceRegistry: the cluster's PresenceRegistry. Every node's
// heartbeats meet in Redis (presence_scripts.h: a hash of device ->
// heartbeat per user, one sorted set of deadlines of the users online), and
// Lua scripts decide each transition atomically, so exactly one node decides
// it: the node that flushed the first live heartbeat (online), the last
// logout, or the sweep that claimed the user's passed deadline (offline).
// Any node claims any user's deadline, so the users of a node that died go
// offline within the timeout plus one claim interval. Each transition is
// published on the user's channel (p:<user>); a node subscribes to the
// channels of the users it watches and hands what other nodes decided to
// the core.
//
// Nothing blocks a caller but status(): heartbeat() and logged_out() only
// note the device in a sharded local table; collect() sends what was noted
// since the previous call (one script call per `flush_batch` users,
// pipelined on one connection), claims deadlines every `claim_interval`,
// and returns what the replies and the channels brought meanwhile. Replies
// and notices wake the core. Redis down: heartbeats stay noted and are sent
// again once it is back (late ones make the user offline, not online),
// status() fails `unavailable`, no callback blocks.
//
// Threads: every method may be called from any thread; collect() from one
// at a time. Script replies run on the RedisClient's I/O thread, notices
// on the RedisSubscriber's; both only take short locks and call wake.
// Life: start() -> use -> stop() (or the destructor); the core that uses it
// is stopped first.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ports.h"
#include "presence/redis/presence_scripts.h"
#include "redis/redis_config.h"

namespace parley::redis {
class RedisClient;
class RedisSubscriber;
struct RedisReply;
}  // namespace parley::redis

namespace parley {

struct RedisPresenceConfig {
  redis::RedisConfig redis;
  // The core's presence_timeout_ms; the same on every node.
  TimeMs timeout_ms = 30'000;
  // Put before every key and channel name: several clusters (or tests) on one Redis.
  std::string key_prefix;
  // How often this node claims passed deadlines (when collect() is called).
  std::chrono::milliseconds claim_interval{250};
  // Users per claim, and per script call of a flush.
  std::size_t claim_batch = 1'000;
  std::size_t flush_batch = 200;
  // How long Redis keeps a user's hash after its last write (at least twice
  // the timeout): the last_active_at of users gone offline, and what is left
  // of a cluster that stopped altogether.
  std::chrono::milliseconds state_ttl{std::chrono::hours(1)};
  // status() waits at most this long for Redis, then fails `unavailable`.
  std::chrono::milliseconds status_timeout{1'000};
};

class RedisPresenceRegistry final : public PresenceRegistry {
 public:
  struct Stats {
    std::uint64_t malformed = 0;       // notices that did not parse, dropped
    std::uint64_t flush_failures = 0;  // script calls that failed (their users are sent again)
    std::uint64_t claim_failures = 0;  // claims that failed (claimed again later)
    std::uint64_t transitions = 0;     // decided by this node
    std::uint64_t heard = 0;           // decided elsewhere, handed to the core
    std::uint64_t stale_notices = 0;   // notices older than what this node knew, dropped
  };

  explicit RedisPresenceRegistry(RedisPresenceConfig config);
  ~RedisPresenceRegistry() override;
  RedisPresenceRegistry(const RedisPresenceRegistry&) = delete;
  RedisPresenceRegistry& operator=(const RedisPresenceRegistry&) = delete;

  // Connects (in the background; Redis may come later) and loads the scripts.
  void start();
  // Stops both connections; what was not sent is not sent. Idempotent.
  void stop();

  std::optional<PresenceEvent> heartbeat(const UserId& user, const DeviceId& device, TimeMs now) override;
  std::optional<PresenceEvent> logged_out(const UserId& user, const DeviceId& device, TimeMs now) override;
  std::optional<PresenceEvent> released(const UserId& user, const DeviceId& device, TimeMs since, TimeMs now) override;
  std::vector<PresenceChange> collect(TimeMs now) override;
  Result<std::vector<PresenceStatus>> status(std::span<const UserId> users) override;
  void watch(const UserId& user) override;
  void unwatch(const UserId& user) override;
  void set_wake(const std::function<void()>& wake) override;

  // Both connections up (for /healthz).
  bool connected() const;
  Stats stats() const;

 private:
  // One user's devices on this node, as noted since they last went out.
  struct UserSlot {
    std::unordered_map<DeviceId, TimeMs> beats;
    std::vector<DeviceId> gone;                      // logged out, not yet sent
    std::vector<std::pair<DeviceId, TimeMs>> quiet;  // closed cleanly at, grace over, not yet sent
    bool dirty = false;                              // something to send
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, UserSlot> users;
  };
  struct Watched {
    int count = 0;
    std::uint64_t version = 0;  // of the newest change handed to the core
    bool online = false;        // as of that change
  };
  struct Script;

  Shard& shard(const UserId& user);
  void wake();
  void flush(TimeMs now, bool everything);
  void send_flush(std::vector<presence::UserFlush> users, TimeMs now);
  // Marks the users of a flush that failed to be sent again.
  void renote(const std::vector<presence::UserFlush>& users);
  void claim(TimeMs now);
  // Runs a script with EVALSHA (EVAL until its SHA is known, or when Redis lost it).
  void run(Script& script, std::vector<std::string> args, std::size_t keys,
           std::function<void(Result<redis::RedisReply>)> done);
  // From replies: transitions this node decided.
  void decided(const std::vector<presence::Transition>& transitions);
  // A change for the core unless it is older than one it has or nobody
  // here watches the user (`decided_here` is never dropped). Whether it went in.
  bool queue(const PresenceEvent& event, std::uint64_t version, bool decided_here);
  void on_notice(std::string_view channel, std::string_view payload);
  void on_resubscribed();
  std::string channel_of(const UserId& user) const { return config_.key_prefix + "p:" + user; }

  const RedisPresenceConfig config_;
  const std::string origin_;  // this instance's id in notices: its own are not heard again
  std::unique_ptr<Script> apply_script_, claim_script_, status_script_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<redis::RedisSubscriber> subscriber_;
  std::array<Shard, 16> shards_;

  // The watched users and the changes for the core: one lock, so that the
  // queue keeps the order in which versions were checked.
  std::mutex mutex_;
  std::unordered_map<UserId, Watched> watched_;
  std::vector<PresenceChange> changes_;

  std::mutex wake_mutex_;
  std::function<void()> wake_;

  // collect()'s own state (one caller at a time).
  std::chrono::steady_clock::time_point next_claim_{};
  std::atomic<bool> claim_in_flight_{false};
  std::atomic<bool> claim_more_{false};
  std::atomic<bool> resync_{false};

  std::atomic<std::uint64_t> malformed_{0}, flush_failures_{0}, claim_failures_{0}, transitions_{0}, heard_{0},
      stale_notices_{0};
};

}  // namespace parley
