#pragma once
// LocalPresenceRegistry: the single node's presence registry. Every device
// heartbeats into this process, so heartbeats are kept in memory (16 shards,
// one mutex each, held for map operations only) and every transition is
// decided at once, on the caller's thread: heartbeat() and logged_out()
// and released() answer it, collect() sweeps for users gone quiet. There are no other
// nodes: nothing is ever heard, watch() has nothing to do.
//
// A heartbeat of a device that is already known allocates nothing. Offline
// users are forgotten at the next collect(): their last_active_at is stored
// by the core, which status() leaves to it (last_active_at 0).
//
// Thread-safe.

#include <array>
#include <mutex>
#include <unordered_map>

#include "core/ports.h"

namespace parley {

class LocalPresenceRegistry final : public PresenceRegistry {
 public:
  explicit LocalPresenceRegistry(TimeMs timeout_ms) : timeout_ms_(timeout_ms) {}

  std::optional<PresenceEvent> heartbeat(const UserId& user, const DeviceId& device, TimeMs now) override;
  std::optional<PresenceEvent> logged_out(const UserId& user, const DeviceId& device, TimeMs now) override;
  std::optional<PresenceEvent> released(const UserId& user, const DeviceId& device, TimeMs since, TimeMs now) override;
  // Cost proportional to the number of users online.
  std::vector<PresenceChange> collect(TimeMs now) override;
  Result<std::vector<PresenceStatus>> status(std::span<const UserId> users) override;

 private:
  struct UserPresence {
    std::unordered_map<DeviceId, TimeMs> last_heartbeat;
    TimeMs last_active_at = 0;
    bool online = false;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, UserPresence> users;
  };

  Shard& shard(const UserId& id);

  const TimeMs timeout_ms_;
  std::array<Shard, 16> shards_;
};

}  // namespace parley
