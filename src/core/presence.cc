#include "core/presence.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace parley {

Presence::Presence(PresenceRegistry& registry, ChatDirectory& chats, Privacy& privacy, AccountStore& accounts,
                   LastActiveWriter& last_active, EventSink& sink, Clock& clock, const CoreConfig& config)
    : registry_(registry),
      chats_(chats),
      privacy_(privacy),
      accounts_(accounts),
      last_active_(last_active),
      sink_(sink),
      clock_(clock),
      config_(config) {}

Presence::~Presence() {
  stop();
}

void Presence::start() {
  if (config_.presence_sweep_ms <= 0 || sweeper_.joinable()) return;
  {
    std::lock_guard lock(sweeper_mutex_);
    sweeper_stopping_ = false;
    sweeper_woken_ = false;
  }
  sweeper_ = std::thread([this] { run_sweeper(); });
  registry_.set_wake([this] { wake(); });
}

void Presence::stop() {
  if (!sweeper_.joinable()) return;
  registry_.set_wake({});  // no wake reaches this object after it returns
  {
    std::lock_guard lock(sweeper_mutex_);
    sweeper_stopping_ = true;
  }
  sweeper_wake_.notify_all();
  sweeper_.join();
}

void Presence::wake() {
  {
    std::lock_guard lock(sweeper_mutex_);
    sweeper_woken_ = true;
  }
  sweeper_wake_.notify_all();
}

void Presence::run_sweeper() {
  const auto interval = std::chrono::milliseconds(config_.presence_sweep_ms);
  std::unique_lock lock(sweeper_mutex_);
  while (true) {
    sweeper_wake_.wait_for(lock, interval, [&] { return sweeper_stopping_ || sweeper_woken_; });
    if (sweeper_stopping_) return;
    sweeper_woken_ = false;
    lock.unlock();
    sweep();
    lock.lock();
  }
}

void Presence::heartbeat(const AuthContext& device) {
  if (auto change = registry_.heartbeat(device.user_id, device.device_id, clock_.now_ms())) announce(*change);
}

void Presence::logged_out(const AuthContext& device) {
  auto change = registry_.logged_out(device.user_id, device.device_id, clock_.now_ms());
  unsubscribe_all(device);
  if (change) {
    last_active_.record({{change->user_id, change->last_active_at}});
    announce(*change);
  }
}

void Presence::connected(const AuthContext& device) {
  {
    std::lock_guard lock(connections_mutex_);
    DeviceKey key{device.user_id, device.device_id};
    ++open_connections_[key];
    closed_at_.erase(key);
  }
  heartbeat(device);
}

void Presence::disconnected(const AuthContext& device, bool clean) {
  std::lock_guard lock(connections_mutex_);
  DeviceKey key{device.user_id, device.device_id};
  auto it = open_connections_.find(key);
  if (it == open_connections_.end() || --it->second > 0) return;
  open_connections_.erase(it);
  if (clean) closed_at_[key] = clock_.now_ms();
}

void Presence::release_closed(TimeMs now) {
  std::vector<std::pair<DeviceKey, TimeMs>> due;
  {
    std::lock_guard lock(connections_mutex_);
    for (auto it = closed_at_.begin(); it != closed_at_.end();) {
      if (it->second + config_.offline_grace_ms > now) {
        ++it;
        continue;
      }
      due.emplace_back(it->first, it->second);
      it = closed_at_.erase(it);
    }
  }
  std::vector<PresenceEvent> offline;
  std::vector<LastActive> gone;
  for (const auto& [key, since] : due) {
    if (auto change = registry_.released(key.first, key.second, since, now)) {
      gone.push_back({change->user_id, change->last_active_at});
      offline.push_back(*change);
    }
  }
  if (!gone.empty()) last_active_.record(gone);
  for (const auto& change : offline) announce(change);
}

void Presence::sweep() {
  const TimeMs now = clock_.now_ms();
  release_closed(now);  // first: a shared registry sends them with this collect
  auto changes = registry_.collect(now);
  if (changes.empty()) return;
  std::vector<LastActive> gone;
  for (const auto& change : changes) {
    if (change.decided_here && !change.event.online)
      gone.push_back({change.event.user_id, change.event.last_active_at});
  }
  if (!gone.empty()) last_active_.record(gone);  // one write for all of them, on the writer's thread
  for (auto& change : changes) {
    if (change.decided_here) {
      announce(change.event);
      continue;
    }
    heard(std::move(change.event));
  }
}

void Presence::heard(PresenceEvent change) {
  if (subscribed_devices(change.user_id).empty()) return;  // nobody here asked (any more)
  if (!change.online && change.last_active_at == 0) {
    // The deciding node did not know it (its registry lost its state): what
    // the store has is the best answer.
    if (auto stored = stored_last_active(change.user_id)) change.last_active_at = *stored;
  }
  auto found = chats_.direct_contacts(change.user_id);
  deliver_to_subscribers(change, found ? *found : std::vector<UserId>{});
}

Result<TimeMs> Presence::stored_last_active(const UserId& user) {
  if (auto pending = last_active_.pending(user)) return *pending;
  auto stored = accounts_.find_user(user);
  if (!stored) return stored.error();
  return *stored ? (*stored)->last_active_at : 0;
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
  auto known = registry_.status(users);
  if (!known) return known.error();
  if (known->size() != users.size()) {
    return make_error(ErrorCode::internal, "presence registry answered for the wrong number of users");
  }
  std::vector<PresenceEvent> out;
  out.reserve(users.size());
  for (std::size_t i = 0; i < users.size(); ++i) {
    const auto& status = (*known)[i];
    TimeMs last_active = status.last_active_at;
    if (!status.online) {
      // A value recorded here and not yet stored may be newer than the registry's.
      if (auto pending = last_active_.pending(users[i])) {
        last_active = std::max(last_active, *pending);
      } else if (last_active == 0) {
        auto stored = stored_last_active(users[i]);
        if (!stored) return stored.error();
        last_active = *stored;
      }
    }
    out.push_back({users[i], status.online, last_active});
  }
  return out;
}

Result<std::vector<PresenceEvent>> Presence::query(const UserId& asker, const std::vector<UserId>& users) {
  if (auto ok = authorise(asker, users); !ok) return ok.error();
  auto out = statuses(users);
  if (!out) return out;
  for (PresenceEvent& p : *out) {
    if (!visible(asker, p.user_id)) p = PresenceEvent{p.user_id, false, 0};
  }
  return out;
}

bool Presence::visible(const UserId& viewer, const UserId& subject) {
  auto may = privacy_.may_see_presence(viewer, subject);
  return may && *may;
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
      auto& devices = subscribers_[user];
      // The registry is told under this lock, so watch and unwatch reach it in order.
      if (devices.empty()) registry_.watch(user);
      devices.insert(key);
      ++watching_[key][user];
      added.push_back(user);
    }
  }
  auto out = statuses(users);
  if (!out) {
    // A failed subscribe leaves no subscription behind.
    unsubscribe(subscriber, added);
    for (const auto& user : added) connection_watches.erase(user);
    return out;
  }
  for (PresenceEvent& p : *out) {
    if (!visible(subscriber.user_id, p.user_id)) p = PresenceEvent{p.user_id, false, 0};
  }
  return out;
}

void Presence::drop_subscriber(const UserId& user, const DeviceKey& key) {
  auto sub = subscribers_.find(user);
  if (sub == subscribers_.end()) return;
  sub->second.erase(key);
  if (!sub->second.empty()) return;
  subscribers_.erase(sub);
  registry_.unwatch(user);
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
    drop_subscriber(user, key);
  }
  if (it->second.empty()) watching_.erase(it);
}

void Presence::unsubscribe_all(const AuthContext& subscriber) {
  std::lock_guard lock(subscriptions_mutex_);
  DeviceKey key{subscriber.user_id, subscriber.device_id};
  auto it = watching_.find(key);
  if (it == watching_.end()) return;
  for (const auto& [user, count] : it->second) drop_subscriber(user, key);
  watching_.erase(it);
}

void Presence::announce(const PresenceEvent& change) {
  // Contacts we cannot read miss this change, never a wrong one; a presence
  // query still answers from the registry.
  auto found = chats_.direct_contacts(change.user_id);
  std::vector<UserId> contacts = found ? std::move(*found) : std::vector<UserId>{};
  deliver_to_contacts(change, contacts, false);
  deliver_to_subscribers(change, contacts);
}

void Presence::privacy_changed(const std::vector<UserId>& subjects) {
  for (const UserId& subject : subjects) {
    auto status = statuses({subject});
    if (!status || status->empty()) continue;  // shown right at the next change or query
    auto found = chats_.direct_contacts(subject);
    std::vector<UserId> contacts = found ? std::move(*found) : std::vector<UserId>{};
    deliver_to_contacts(status->front(), contacts, true);
    deliver_to_subscribers(status->front(), contacts, true);
  }
}

void Presence::deliver_to_contacts(const PresenceEvent& change, const std::vector<UserId>& contacts, bool hidden_too) {
  std::vector<UserId> seeing;
  std::vector<UserId> not_seeing;
  for (const UserId& contact : contacts) (visible(contact, change.user_id) ? seeing : not_seeing).push_back(contact);
  sink_.deliver(seeing, std::make_shared<const Event>(change));
  if (hidden_too && !not_seeing.empty()) {
    sink_.deliver(not_seeing, std::make_shared<const Event>(PresenceEvent{change.user_id, false, 0}));
  }
}

std::vector<Presence::DeviceKey> Presence::subscribed_devices(const UserId& user) {
  std::lock_guard lock(subscriptions_mutex_);
  auto it = subscribers_.find(user);
  if (it == subscribers_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void Presence::deliver_to_subscribers(const PresenceEvent& change, const std::vector<UserId>& contacts,
                                      bool hidden_too) {
  const auto devices = subscribed_devices(change.user_id);
  if (devices.empty()) return;
  std::set<UserId> contact_set(contacts.begin(), contacts.end());
  auto event = std::make_shared<const Event>(change);
  EventPtr hidden;
  std::map<UserId, bool> seeing;  // by subscriber, asked once
  for (const auto& [subscriber, device] : devices) {
    // Contacts already got it on all their devices.
    if (contact_set.contains(subscriber)) continue;
    auto known = seeing.find(subscriber);
    if (known == seeing.end()) known = seeing.emplace(subscriber, visible(subscriber, change.user_id)).first;
    if (known->second) {
      sink_.deliver_to_device(subscriber, device, event);
    } else if (hidden_too) {
      if (!hidden) hidden = std::make_shared<const Event>(PresenceEvent{change.user_id, false, 0});
      sink_.deliver_to_device(subscriber, device, hidden);
    }
  }
}

}  // namespace parley
