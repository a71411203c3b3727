#include "fakes/fake_presence_registry.h"

namespace parley {

std::optional<PresenceEvent> FakePresenceRegistry::heartbeat(const UserId& user, const DeviceId& device, TimeMs now) {
  return local_.heartbeat(user, device, now);
}

std::optional<PresenceEvent> FakePresenceRegistry::logged_out(const UserId& user, const DeviceId& device, TimeMs now) {
  return local_.logged_out(user, device, now);
}

std::optional<PresenceEvent> FakePresenceRegistry::released(const UserId& user, const DeviceId& device, TimeMs since,
                                                            TimeMs now) {
  return local_.released(user, device, since, now);
}

std::vector<PresenceChange> FakePresenceRegistry::collect(TimeMs now) {
  auto out = local_.collect(now);
  std::lock_guard lock(mutex_);
  out.insert(out.end(), heard_.begin(), heard_.end());
  heard_.clear();
  return out;
}

Result<std::vector<PresenceStatus>> FakePresenceRegistry::status(std::span<const UserId> users) {
  auto answer = local_.status(users);
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    hook = on_status_;
  }
  if (hook) hook();  // outside the lock: the hook may wait for the test
  return answer;
}

void FakePresenceRegistry::watch(const UserId& user) {
  std::lock_guard lock(mutex_);
  ++watches_[user];
}

void FakePresenceRegistry::unwatch(const UserId& user) {
  std::lock_guard lock(mutex_);
  --watches_[user];
}

void FakePresenceRegistry::set_wake(const std::function<void()>& wake) {
  std::lock_guard lock(mutex_);
  wake_ = wake;
}

void FakePresenceRegistry::hear(const PresenceEvent& change) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    heard_.push_back({change, false});
    wake = wake_;
  }
  if (wake) wake();
}

void FakePresenceRegistry::set_on_status(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  on_status_ = std::move(hook);
}

int FakePresenceRegistry::watches(const UserId& user) {
  std::lock_guard lock(mutex_);
  return watches_[user];
}

bool FakePresenceRegistry::has_wake() {
  std::lock_guard lock(mutex_);
  return static_cast<bool>(wake_);
}

}  // namespace parley
