#include "core/presence.h"

#include <chrono>
#include <functional>

namespace parley {

Presence::Presence(ChatDirectory& chats, AccountStore& accounts, LastActiveWriter& last_active, EventSink& sink,
                   Clock& clock, const CoreConfig& config)
    : chats_(chats), accounts_(accounts), last_active_(last_active), sink_(sink), clock_(clock), config_(config) {}

Presence::~Presence() {
  stop();
}

void Presence::start() {
  if (config_.presence_sweep_ms <= 0 || sweeper_.joinable()) return;
  {
    std::lock_guard lock(sweeper_mutex_);
    sweeper_stopping_ = false;
  }
  sweeper_ = std::thread([this] { run_sweeper(); });
}

void Presence::stop() {
  if (!sweeper_.joinable()) return;
  {
    std::lock_guard lock(sweeper_mutex_);
    sweeper_stopping_ = true;
  }
  sweeper_wake_.notify_all();
  sweeper_.join();
}

void Presence::run_sweeper() {
  const auto interval = std::chrono::milliseconds(config_.presence_sweep_ms);
  std::unique_lock lock(sweeper_mutex_);
  while (!sweeper_wake_.wait_for(lock, interval, [&] { return sweeper_stopping_; })) {
    lock.unlock();
    sweep();
    lock.lock();
  }
}

Presence::Shard& Presence::shard(const UserId& id) {
  return shards_[std::hash<UserId>{}(id) % shards_.size()];
}

void Presence::heartbeat(const AuthContext& device) {
  TimeMs now = clock_.now_ms();
  std::optional<PresenceEvent> change;
  {
    auto& s = shard(device.user_id);
    std::lock_guard lock(s.mutex);
    auto& p = s.users[device.user_id];
    p.last_heartbeat[device.device_id] = now;
    p.last_active_at = now;
    if (!p.online) {
      p.online = true;
      change = PresenceEvent{device.user_id, true, now};
    }
  }
  if (change) announce(*change);
}

void Presence::logged_out(const AuthContext& device) {
  std::optional<PresenceEvent> change;
  {
    auto& s = shard(device.user_id);
    std::lock_guard lock(s.mutex);
    auto it = s.users.find(device.user_id);
    if (it == s.users.end()) return;
    auto& p = it->second;
    p.last_heartbeat.erase(device.device_id);
    if (p.online && p.last_heartbeat.empty()) {
      p.online = false;
      change = PresenceEvent{device.user_id, false, p.last_active_at};
    }
  }
  unsubscribe_all(device);
  if (change) {
    last_active_.record({{change->user_id, change->last_active_at}});
    announce(*change);
  }
}

void Presence::sweep() {
  TimeMs cutoff = clock_.now_ms() - config_.presence_timeout_ms;
  std::vector<PresenceEvent> changes;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (auto it = s.users.begin(); it != s.users.end();) {
      auto& p = it->second;
      std::erase_if(p.last_heartbeat, [&](const auto& kv) { return kv.second <= cutoff; });
      if (p.online && p.last_heartbeat.empty()) {
        p.online = false;
        changes.push_back({it->first, false, p.last_active_at});
      }
      // Offline users need no memory: their last_active_at is stored (or
      // pending in the LastActiveWriter, which status_of asks first).
      if (!p.online) {
        it = s.users.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::vector<LastActive> gone;
  gone.reserve(changes.size());
  for (const auto& change : changes) gone.push_back({change.user_id, change.last_active_at});
  last_active_.record(gone);  // one write for all of them, on the writer's thread
  for (const auto& change : changes) announce(change);
}

Result<PresenceEvent> Presence::status_of(const UserId& user) {
  {
    auto& s = shard(user);
    std::lock_guard lock(s.mutex);
    if (auto it = s.users.find(user); it != s.users.end() && it->second.online) {
      return PresenceEvent{user, true, it->second.last_active_at};
    }
  }
  if (auto pending = last_active_.pending(user)) return PresenceEvent{user, false, *pending};
  auto stored = accounts_.find_user(user);
  if (!stored) return stored.error();
  return PresenceEvent{user, false, *stored ? (*stored)->last_active_at : 0};
}

Status Presence::authorise(const UserId& asker, const std::vector<UserId>& users) {
  if (users.size() > config_.max_presence_users) {
    return make_error(ErrorCode::invalid_request,
                      "at most " + std::to_string(config_.max_presence_users) + " users per presence request");
  }
  for (const auto& user : users) {
    auto shared = chats_.shares_chat(asker, user);
    if (!shared) return shared.error();
    if (!*shared) {
      return make_error(ErrorCode::forbidden, "presence is visible only to users who share a chat: " + user);
    }
  }
  return Ok{};
}

Result<std::vector<PresenceEvent>> Presence::statuses(const std::vector<UserId>& users) {
  std::vector<PresenceEvent> out;
  out.reserve(users.size());
  for (const auto& user : users) {
    auto status = status_of(user);
    if (!status) return status.error();
    out.push_back(std::move(*status));
  }
  return out;
}

Result<std::vector<PresenceEvent>> Presence::query(const UserId& asker, const std::vector<UserId>& users) {
  if (auto ok = authorise(asker, users); !ok) return ok.error();
  return statuses(users);
}

Result<std::vector<PresenceEvent>> Presence::subscribe(const AuthContext& subscriber, const std::vector<UserId>& users,
                                                       std::set<UserId>& connection_watches) {
  if (auto ok = authorise(subscriber.user_id, users); !ok) return ok.error();
  // Watch before reading the status, so that no change falls in between.
  std::vector<UserId> added;
  {
    std::lock_guard lock(subscriptions_mutex_);
    DeviceKey key{subscriber.user_id, subscriber.device_id};
    for (const auto& user : users) {
      if (!connection_watches.insert(user).second) continue;
      subscribers_[user].insert(key);
      ++watching_[key][user];
      added.push_back(user);
    }
  }
  auto out = statuses(users);
  if (!out) {
    // A failed subscribe leaves no subscription behind.
    unsubscribe(subscriber, added);
    for (const auto& user : added) connection_watches.erase(user);
  }
  return out;
}

void Presence::unsubscribe(const AuthContext& subscriber, const std::vector<UserId>& users) {
  std::lock_guard lock(subscriptions_mutex_);
  DeviceKey key{subscriber.user_id, subscriber.device_id};
  auto it = watching_.find(key);
  if (it == watching_.end()) return;
  for (const auto& user : std::set<UserId>(users.begin(), users.end())) {
    auto count = it->second.find(user);
    if (count == it->second.end() || --count->second > 0) continue;
    it->second.erase(count);
    auto sub = subscribers_.find(user);
    if (sub == subscribers_.end()) continue;
    sub->second.erase(key);
    if (sub->second.empty()) subscribers_.erase(sub);
  }
  if (it->second.empty()) watching_.erase(it);
}

void Presence::unsubscribe_all(const AuthContext& subscriber) {
  std::lock_guard lock(subscriptions_mutex_);
  DeviceKey key{subscriber.user_id, subscriber.device_id};
  auto it = watching_.find(key);
  if (it == watching_.end()) return;
  for (const auto& [user, count] : it->second) {
    auto sub = subscribers_.find(user);
    if (sub == subscribers_.end()) continue;
    sub->second.erase(key);
    if (sub->second.empty()) subscribers_.erase(sub);
  }
  watching_.erase(it);
}

void Presence::announce(const PresenceEvent& change) {
  auto event = std::make_shared<const Event>(change);
  // Contacts we cannot read miss this change, never a wrong one; a presence
  // query still answers from the stored state.
  auto found = chats_.direct_contacts(change.user_id);
  std::vector<UserId> contacts = found ? std::move(*found) : std::vector<UserId>{};
  sink_.deliver(contacts, event);
  std::vector<DeviceKey> devices;
  {
    std::lock_guard lock(subscriptions_mutex_);
    if (auto it = subscribers_.find(change.user_id); it != subscribers_.end()) {
      devices.assign(it->second.begin(), it->second.end());
    }
  }
  std::set<UserId> contact_set(contacts.begin(), contacts.end());
  for (const auto& [user, device] : devices) {
    // Contacts already got it on all their devices.
    if (!contact_set.contains(user)) sink_.deliver_to_device(user, device, event);
  }
}

}  // namespace parley
