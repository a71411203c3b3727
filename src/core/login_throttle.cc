#include "core/login_throttle.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

namespace parley {

BucketTable::BucketTable(BucketLimit limit, std::size_t slots, std::uint64_t salt)
    : limit_(limit),
      per_ms_(limit.per_minute / 60'000.0),
      salt_(salt),
      sets_(std::max<std::size_t>(1, slots / kWays)),
      slots_(sets_ * kWays) {}

std::uint64_t BucketTable::hash(std::string_view key) const {
  // The salt is secret to the process: nobody can aim keys at one set.
  std::string salted(reinterpret_cast<const char*>(&salt_), sizeof salt_);
  salted.append(key);
  std::uint64_t h = std::hash<std::string>{}(salted);
  h ^= salt_ * 0x9E3779B97F4A7C15ull;
  return h == 0 ? 1 : h;
}

double BucketTable::refilled(const Slot& slot, TimeMs now) const {
  auto elapsed = static_cast<double>(std::max<TimeMs>(0, now - slot.updated));
  return std::min(limit_.burst, slot.tokens + elapsed * per_ms_);
}

BucketTable::Slot& BucketTable::slot_for(std::uint64_t tag, TimeMs now) {
  Slot* set = &slots_[(tag % sets_) * kWays];
  Slot* victim = nullptr;
  for (std::size_t i = 0; i < kWays; ++i) {
    if (set[i].tag == tag) return set[i];
  }
  for (std::size_t i = 0; i < kWays && !victim; ++i) {
    if (set[i].tag == 0 || refilled(set[i], now) >= limit_.burst) victim = &set[i];
  }
  if (!victim) {
    victim = std::min_element(set, set + kWays, [](const Slot& a, const Slot& b) { return a.updated < b.updated; });
  }
  *victim = Slot{tag, limit_.burst, now};
  return *victim;
}

TimeMs BucketTable::take(std::string_view key, TimeMs now) {
  if (limit_.burst <= 0) return 0;  // unlimited
  auto tag = hash(key);
  std::lock_guard lock(stripes_[(tag % sets_) % kStripes]);
  Slot& slot = slot_for(tag, now);
  slot.tokens = refilled(slot, now);
  slot.updated = now;
  if (slot.tokens >= 1.0) {
    slot.tokens -= 1.0;
    return 0;
  }
  if (per_ms_ <= 0) return 60'000;
  return std::max<TimeMs>(1, static_cast<TimeMs>(std::ceil((1.0 - slot.tokens) / per_ms_)));
}

void BucketTable::give_back(std::string_view key, TimeMs now) {
  if (limit_.burst <= 0) return;
  auto tag = hash(key);
  std::lock_guard lock(stripes_[(tag % sets_) % kStripes]);
  Slot& slot = slot_for(tag, now);
  slot.tokens = std::min(limit_.burst, refilled(slot, now) + 1.0);
  slot.updated = now;
}

LoginThrottle::LoginThrottle(const LoginThrottleConfig& config, std::uint64_t salt)
    : enabled_(config.enabled),
      accounts_(config.account, config.enabled ? config.max_tracked : 0, salt),
      addresses_(config.address, config.enabled ? config.max_tracked : 0, salt + 1) {}

LoginThrottle::Admission LoginThrottle::admit(std::string_view address, std::string_view account, TimeMs now) {
  if (!enabled_) return {};
  if (auto wait = addresses_.take(address, now); wait > 0) return {false, wait};
  if (auto wait = accounts_.take(account, now); wait > 0) {
    addresses_.give_back(address, now);  // refused attempts cost nothing
    return {false, wait};
  }
  return {};
}

void LoginThrottle::succeeded(std::string_view account, TimeMs now) {
  if (enabled_) accounts_.give_back(account, now);
}

}  // namespace parley
