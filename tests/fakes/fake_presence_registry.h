#pragma once
// FakePresenceRegistry: the single node's LocalPresenceRegistry plus what a
// cluster's registry adds, driven by the test: changes "heard" from other
// nodes (hear(), which wakes the core as a registry that heard them would),
// status() answers that wait in a hook before returning (as a Redis reply on
// its way back would), and a count of what the core watches.
// Thread-safe.

#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "core/local_presence_registry.h"
#include "core/ports.h"

namespace parley {

class FakePresenceRegistry final : public PresenceRegistry {
 public:
  explicit FakePresenceRegistry(TimeMs timeout_ms) : local_(timeout_ms) {}

  std::optional<PresenceEvent> heartbeat(const UserId& user, const DeviceId& device, TimeMs now) override;
  std::optional<PresenceEvent> logged_out(const UserId& user, const DeviceId& device, TimeMs now) override;
  std::optional<PresenceEvent> released(const UserId& user, const DeviceId& device, TimeMs since, TimeMs now) override;
  // The local registry's changes, then those heard since the last collect().
  std::vector<PresenceChange> collect(TimeMs now) override;
  // The local registry's answer, returned once the on_status hook (if any) returns.
  Result<std::vector<PresenceStatus>> status(std::span<const UserId> users) override;
  void watch(const UserId& user) override;
  void unwatch(const UserId& user) override;
  void set_wake(const std::function<void()>& wake) override;

  // Another node decided this change; the next collect() returns it.
  void hear(const PresenceEvent& change);
  // Runs in every status() call after the answer is read (empty: none).
  void set_on_status(std::function<void()> hook);
  // watch() calls minus unwatch() calls for `user`.
  int watches(const UserId& user);
  // Whether a core is attached (its wake function is set).
  bool has_wake();

 private:
  LocalPresenceRegistry local_;
  std::mutex mutex_;
  std::vector<PresenceChange> heard_;
  std::map<UserId, int> watches_;
  std::function<void()> wake_;
  std::function<void()> on_status_;
};

}  // namespace parley
