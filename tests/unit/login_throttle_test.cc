// LoginThrottle: per-account and per-address token buckets in fixed memory.
// Time is passed in, never read from a clock.
#include <gtest/gtest.h>

#include <string>

#include "core/login_throttle.h"

namespace parley {
namespace {

LoginThrottleConfig config(double account_burst, double account_per_minute, double address_burst,
                           double address_per_minute, std::size_t slots = 1024) {
  LoginThrottleConfig c;
  c.account = {account_burst, account_per_minute};
  c.address = {address_burst, address_per_minute};
  c.max_tracked = slots;
  return c;
}

TEST(LoginThrottle, AccountFailuresRunOutThenRefillAtTheRate) {
  LoginThrottle t(config(5, 1, 0, 0), 42);
  TimeMs now = 1'000'000;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(t.admit("1.2.3.4", "ann@example.org", now).admitted) << i;
  auto refused = t.admit("1.2.3.4", "ann@example.org", now);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after_ms, 60'000);
  // From another address too: the account is throttled, not the address.
  EXPECT_FALSE(t.admit("5.6.7.8", "ann@example.org", now).admitted);
  EXPECT_FALSE(t.admit("5.6.7.8", "ann@example.org", now + 59'999).admitted);
  EXPECT_TRUE(t.admit("5.6.7.8", "ann@example.org", now + 60'000).admitted);
  EXPECT_FALSE(t.admit("5.6.7.8", "ann@example.org", now + 60'000).admitted);
  // Other accounts are untouched.
  EXPECT_TRUE(t.admit("1.2.3.4", "bob@example.org", now).admitted);
}

TEST(LoginThrottle, SuccessesDoNotCountAgainstTheAccount) {
  LoginThrottle t(config(3, 1, 0, 0), 1);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(t.admit("1.2.3.4", "ann@example.org", i).admitted) << i;
    t.succeeded("ann@example.org", i);
  }
}

TEST(LoginThrottle, AddressCountsEveryAttemptAcrossAccounts) {
  LoginThrottle t(config(0, 0, 4, 2), 7);
  TimeMs now = 5'000;
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(t.admit("9.9.9.9", "user" + std::to_string(i) + "@example.org", now).admitted);
    t.succeeded("user" + std::to_string(i) + "@example.org", now);
  }
  auto refused = t.admit("9.9.9.9", "fresh@example.org", now);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after_ms, 30'000);  // 2 per minute
  EXPECT_TRUE(t.admit("8.8.8.8", "fresh@example.org", now).admitted);
  EXPECT_TRUE(t.admit("9.9.9.9", "fresh@example.org", now + 30'000).admitted);
}

TEST(LoginThrottle, RefusedByTheAccountCostsTheAddressNothing) {
  LoginThrottle t(config(1, 1, 2, 1), 3);
  EXPECT_TRUE(t.admit("1.1.1.1", "ann@example.org", 0).admitted);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(t.admit("1.1.1.1", "ann@example.org", 0).admitted);
  EXPECT_TRUE(t.admit("1.1.1.1", "bob@example.org", 0).admitted) << "the address still has its second token";
}

TEST(LoginThrottle, UnlimitedAndDisabled) {
  LoginThrottle unlimited(config(0, 0, 0, 0), 5);
  LoginThrottleConfig off = config(1, 1, 1, 1);
  off.enabled = false;
  LoginThrottle disabled(off, 5);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(unlimited.admit("1.1.1.1", "ann@example.org", 0).admitted);
    ASSERT_TRUE(disabled.admit("1.1.1.1", "ann@example.org", 0).admitted);
  }
}

TEST(LoginThrottle, SprayingKeysNeitherGrowsMemoryNorFreesAThrottledAccountQuickly) {
  // 64 slots; a spray of 100,000 fresh e-mails fits in them.
  LoginThrottle t(config(3, 1, 0, 0), 11);
  TimeMs now = 0;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.admit("1.1.1.1", "victim@example.org", now).admitted);
  ASSERT_FALSE(t.admit("1.1.1.1", "victim@example.org", now).admitted);
  // Other keys whose buckets are full again (they succeeded) take the slots
  // of each other, not the throttled victim's.
  LoginThrottle big(config(3, 1, 0, 0, 64), 11);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(big.admit("1.1.1.1", "victim@example.org", now).admitted);
  for (int i = 0; i < 100'000; ++i) {
    auto key = "spray" + std::to_string(i) + "@example.org";
    ASSERT_TRUE(big.admit("1.1.1.1", key, now + 1).admitted);
    big.succeeded(key, now + 1);
  }
  EXPECT_FALSE(big.admit("1.1.1.1", "victim@example.org", now + 2).admitted);
}

}  // namespace
}  // namespace parley
