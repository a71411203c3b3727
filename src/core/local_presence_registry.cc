#include "core/local_presence_registry.h"

#include <functional>

#include "core/metrics.h"

namespace parley {

LocalPresenceRegistry::Shard& LocalPresenceRegistry::shard(const UserId& id) {
  return shards_[std::hash<UserId>{}(id) % shards_.size()];
}

std::optional<PresenceEvent> LocalPresenceRegistry::heartbeat(const UserId& user, const DeviceId& device, TimeMs now) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto& p = s.users[user];
  p.last_heartbeat[device] = now;
  p.last_active_at = now;
  if (p.online) return std::nullopt;
  p.online = true;
  process_metrics().presence_users.add(1);
  return PresenceEvent{user, true, now};
}

namespace {

// After one of its devices went: the user is offline once none is left.
template <class UserPresence>
std::optional<PresenceEvent> offline_if_no_device_left(const UserId& user, UserPresence& p) {
  if (!p.online || !p.last_heartbeat.empty()) return std::nullopt;
  p.online = false;
  process_metrics().presence_users.add(-1);
  return PresenceEvent{user, false, p.last_active_at};
}

}  // namespace

std::optional<PresenceEvent> LocalPresenceRegistry::logged_out(const UserId& user, const DeviceId& device,
                                                               TimeMs /*now*/) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  if (it == s.users.end()) return std::nullopt;
  auto& p = it->second;
  p.last_heartbeat.erase(device);
  return offline_if_no_device_left(user, p);
}

std::optional<PresenceEvent> LocalPresenceRegistry::released(const UserId& user, const DeviceId& device, TimeMs since,
                                                             TimeMs /*now*/) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(user);
  if (it == s.users.end()) return std::nullopt;
  auto& p = it->second;
  auto beat = p.last_heartbeat.find(device);
  // Gone already (timed out, logged out), or back since it closed.
  if (beat == p.last_heartbeat.end() || beat->second > since) return std::nullopt;
  p.last_heartbeat.erase(beat);
  return offline_if_no_device_left(user, p);
}

std::vector<PresenceChange> LocalPresenceRegistry::collect(TimeMs now) {
  const TimeMs cutoff = now - timeout_ms_;
  std::vector<PresenceChange> changes;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (auto it = s.users.begin(); it != s.users.end();) {
      auto& p = it->second;
      std::erase_if(p.last_heartbeat, [&](const auto& kv) { return kv.second <= cutoff; });
      if (p.online && p.last_heartbeat.empty()) {
        p.online = false;
        process_metrics().presence_users.add(-1);
        changes.push_back({{it->first, false, p.last_active_at}, true});
      }
      // Offline users need no memory: the core stores their last_active_at.
      if (!p.online) {
        it = s.users.erase(it);
      } else {
        ++it;
      }
    }
  }
  return changes;
}

Result<std::vector<PresenceStatus>> LocalPresenceRegistry::status(std::span<const UserId> users) {
  std::vector<PresenceStatus> out;
  out.reserve(users.size());
  for (const auto& user : users) {
    auto& s = shard(user);
    std::lock_guard lock(s.mutex);
    auto it = s.users.find(user);
    out.push_back(it == s.users.end() ? PresenceStatus{}
                                      : PresenceStatus{it->second.online, it->second.last_active_at});
  }
  return out;
}

}  // namespace parley
