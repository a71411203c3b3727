#pragma once
// The PresenceRegistry contract as one node sees it, as typed tests any
// registry can run (the core's LocalPresenceRegistry; RedisPresenceRegistry
// in tests/cluster adds what several nodes see).
// A harness type H provides:
//   H()                              a fresh registry with nobody in it
//   PresenceRegistry& registry()
//   static constexpr TimeMs kTimeout the registry's presence timeout
//   void barrier()                   returns once every reply to what the registry
//                                    sent so far has been handled (nothing for a
//                                    registry that decides at once)
// Time is passed in (`now`), so no test waits for a timeout to pass.
// Instantiate with INSTANTIATE_TYPED_TEST_SUITE_P(Name, PresenceRegistryContract, Types).

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/ports.h"

namespace parley::testing {

// What the registry decided or heard, after everything it sent was answered:
// `immediate` (the answer of heartbeat/logged_out) first, then two rounds of
// collect() (the first sends, the second takes the answers).
template <typename H>
std::vector<PresenceChange> settle(H& harness, TimeMs now, std::optional<PresenceEvent> immediate = std::nullopt) {
  std::vector<PresenceChange> out;
  if (immediate) out.push_back({*immediate, true});
  for (int round = 0; round < 2; ++round) {
    auto got = harness.registry().collect(now);
    out.insert(out.end(), got.begin(), got.end());
    harness.barrier();
  }
  auto got = harness.registry().collect(now);
  out.insert(out.end(), got.begin(), got.end());
  return out;
}

inline TimeMs wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <typename H>
class PresenceRegistryContract : public ::testing::Test {
 protected:
  PresenceRegistry& registry() { return harness.registry(); }
  std::vector<PresenceChange> heartbeat(const UserId& user, const DeviceId& device, TimeMs now) {
    return settle(harness, now, registry().heartbeat(user, device, now));
  }
  std::vector<PresenceChange> logged_out(const UserId& user, const DeviceId& device, TimeMs now) {
    return settle(harness, now, registry().logged_out(user, device, now));
  }
  std::vector<PresenceChange> released(const UserId& user, const DeviceId& device, TimeMs since, TimeMs now) {
    return settle(harness, now, registry().released(user, device, since, now));
  }
  PresenceStatus status_of(const UserId& user) {
    auto got = registry().status(std::vector<UserId>{user});
    EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.error().message);
    return got.ok() && got->size() == 1 ? got->front() : PresenceStatus{};
  }

  H harness;
  // Near the real time, so that a shared store's key expiry means what it says.
  const TimeMs t0 = wall_clock_ms();
  static constexpr TimeMs kTimeout = H::kTimeout;
};
TYPED_TEST_SUITE_P(PresenceRegistryContract);

inline void expect_change(const std::vector<PresenceChange>& changes, const UserId& user, bool online,
                          TimeMs last_active) {
  ASSERT_EQ(changes.size(), 1u) << "changes of " << user;
  EXPECT_EQ(changes[0].event.user_id, user);
  EXPECT_EQ(changes[0].event.online, online);
  EXPECT_EQ(changes[0].event.last_active_at, last_active);
  EXPECT_TRUE(changes[0].decided_here);
}

TYPED_TEST_P(PresenceRegistryContract, TheFirstHeartbeatDecidesOnlineOnce) {
  EXPECT_FALSE(this->status_of("ann").online);
  expect_change(this->heartbeat("ann", "phone", this->t0), "ann", true, this->t0);
  EXPECT_TRUE(this->heartbeat("ann", "phone", this->t0 + 1000).empty());
  EXPECT_TRUE(this->heartbeat("ann", "laptop", this->t0 + 2000).empty());
  const auto status = this->status_of("ann");
  EXPECT_TRUE(status.online);
  EXPECT_EQ(status.last_active_at, this->t0 + 2000);
}

TYPED_TEST_P(PresenceRegistryContract, OfflineOnceEveryDeviceIsQuietForTheTimeout) {
  const TimeMs t = this->t0, timeout = this->kTimeout;
  expect_change(this->heartbeat("ann", "phone", t), "ann", true, t);
  EXPECT_TRUE(this->heartbeat("ann", "laptop", t + 100).empty());
  // The phone is past its timeout, the laptop is not: still online.
  EXPECT_TRUE(settle(this->harness, t + timeout + 50).empty());
  EXPECT_TRUE(this->status_of("ann").online);
  EXPECT_TRUE(settle(this->harness, t + 100 + timeout - 1).empty());
  expect_change(settle(this->harness, t + 100 + timeout), "ann", false, t + 100);
  EXPECT_FALSE(this->status_of("ann").online);
  EXPECT_TRUE(settle(this->harness, t + 100 + 2 * timeout).empty());  // decided once
  // Back again: announced again.
  expect_change(this->heartbeat("ann", "phone", t + 3 * timeout), "ann", true, t + 3 * timeout);
}

TYPED_TEST_P(PresenceRegistryContract, LogoutOfTheLastDeviceDecidesOfflineAtOnce) {
  const TimeMs t = this->t0;
  this->heartbeat("ann", "phone", t);
  this->heartbeat("ann", "laptop", t + 10);
  EXPECT_TRUE(this->logged_out("ann", "phone", t + 20).empty());
  EXPECT_TRUE(this->status_of("ann").online);
  expect_change(this->logged_out("ann", "laptop", t + 30), "ann", false, t + 10);
  const auto status = this->status_of("ann");
  EXPECT_FALSE(status.online);
  // A registry may forget an offline user (the core has its last_active_at stored).
  EXPECT_TRUE(status.last_active_at == 0 || status.last_active_at == t + 10) << status.last_active_at;
  EXPECT_TRUE(this->logged_out("ann", "laptop", t + 40).empty());           // twice: nothing more
  EXPECT_TRUE(this->logged_out("nobody", "phone", t + 40).empty());         // never seen
  EXPECT_TRUE(settle(this->harness, t + 10 + 2 * this->kTimeout).empty());  // and no timeout later
}

TYPED_TEST_P(PresenceRegistryContract, AReleasedDeviceIsDroppedUnlessItCameBack) {
  const TimeMs t = this->t0;
  expect_change(this->heartbeat("ann", "tab", t), "ann", true, t);
  EXPECT_TRUE(this->heartbeat("ann", "phone", t + 10).empty());
  // The tab closed at t + 20 and came back at t + 30 (a reload): it stays.
  EXPECT_TRUE(this->heartbeat("ann", "tab", t + 30).empty());
  EXPECT_TRUE(this->released("ann", "tab", t + 20, t + 40).empty());
  // The phone closed at t + 50 for good: dropped, the tab keeps ann online.
  EXPECT_TRUE(this->released("ann", "phone", t + 50, t + 60).empty());
  EXPECT_TRUE(this->status_of("ann").online);
  // The tab closed at t + 70 for good: ann is offline, as of her latest heartbeat.
  expect_change(this->released("ann", "tab", t + 70, t + 80), "ann", false, t + 30);
  EXPECT_FALSE(this->status_of("ann").online);
  EXPECT_TRUE(this->released("ann", "tab", t + 70, t + 90).empty());        // twice: nothing more
  EXPECT_TRUE(this->released("nobody", "tab", t, t + 90).empty());          // never seen
  EXPECT_TRUE(settle(this->harness, t + 30 + 2 * this->kTimeout).empty());  // and no timeout later
  // Unlike a logout, no tombstone: the tab connects again, ann is online again.
  const TimeMs later = t + 3 * this->kTimeout;
  expect_change(this->heartbeat("ann", "tab", later), "ann", true, later);
}

TYPED_TEST_P(PresenceRegistryContract, StatusIsOneBatchInTheOrderAsked) {
  const TimeMs t = this->t0;
  this->heartbeat("bob", "phone", t);
  this->heartbeat("cat", "phone", t + 5);
  auto got = this->registry().status(std::vector<UserId>{"cat", "nobody", "bob", "cat"});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 4u);
  EXPECT_TRUE((*got)[0].online);
  EXPECT_EQ((*got)[0].last_active_at, t + 5);
  EXPECT_FALSE((*got)[1].online);
  EXPECT_EQ((*got)[1].last_active_at, 0);
  EXPECT_TRUE((*got)[2].online);
  EXPECT_EQ((*got)[2].last_active_at, t);
  EXPECT_TRUE((*got)[3].online);
  auto none = this->registry().status(std::vector<UserId>{});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TYPED_TEST_P(PresenceRegistryContract, HostileIdsAreJustBytes) {
  const TimeMs t = this->t0;
  const std::vector<UserId> users{"a b",      "line\nbreak",          "colon:p:x", std::string("nul\0byte", 8),
                                  "\xff\xfe", std::string(1000, 'x'), "1 0 1 2",   "*"};
  for (std::size_t i = 0; i < users.size(); ++i) {
    expect_change(this->heartbeat(users[i], "dev " + users[i], t + static_cast<TimeMs>(i)), users[i], true,
                  t + static_cast<TimeMs>(i));
  }
  auto got = this->registry().status(users);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), users.size());
  for (const auto& s : *got) EXPECT_TRUE(s.online);
  expect_change(this->logged_out(users[1], "dev " + users[1], t + 50), users[1], false, t + 1);
  auto offline = settle(this->harness, t + 100 + this->kTimeout);
  EXPECT_EQ(offline.size(), users.size() - 1);
  for (const auto& c : offline) EXPECT_FALSE(c.event.online);
}

REGISTER_TYPED_TEST_SUITE_P(PresenceRegistryContract, TheFirstHeartbeatDecidesOnlineOnce,
                            OfflineOnceEveryDeviceIsQuietForTheTimeout, LogoutOfTheLastDeviceDecidesOfflineAtOnce,
                            AReleasedDeviceIsDroppedUnlessItCameBack, StatusIsOneBatchInTheOrderAsked,
                            HostileIdsAreJustBytes);

}  // namespace parley::testing
