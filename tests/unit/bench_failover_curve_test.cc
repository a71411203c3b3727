// parley-bench's failover arithmetic: the reconnect backoff and the curve of
// devices back and synced per second after the kill.

#include <gtest/gtest.h>

#include "failover_curve.h"

namespace parley::bench {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

TEST(BenchBackoff, DoublesUpToTheCeilingWithEqualJitter) {
  EXPECT_DOUBLE_EQ(backoff_seconds(0, 0.5, 4, 0), 0.25);
  EXPECT_NEAR(backoff_seconds(0, 0.5, 4, 0.999999), 0.5, 1e-6);
  EXPECT_DOUBLE_EQ(backoff_seconds(1, 0.5, 4, 0), 0.5);
  EXPECT_DOUBLE_EQ(backoff_seconds(3, 0.5, 4, 0.5), 3.0);  // ceiling 4: 2 + 1
  EXPECT_DOUBLE_EQ(backoff_seconds(10, 0.5, 4, 0), 2.0);
  EXPECT_DOUBLE_EQ(backoff_seconds(1'000'000, 0.5, 4, 1), 4.0);  // no overflow
  EXPECT_DOUBLE_EQ(backoff_seconds(-3, 0.5, 4, 0), 0.25);
  EXPECT_DOUBLE_EQ(backoff_seconds(2, 0.5, 4, 7), 2.0);  // the random sample is clamped
}

TEST(BenchReconnectCurve, CountsPerSecondAfterTheKill) {
  const std::int64_t kill = 100 * kSecond;
  std::vector<std::int64_t> back{kill + kSecond / 2, kill + 3 * kSecond + 1, 0, kill + 3 * kSecond + 2, kill - kSecond};
  std::vector<std::int64_t> synced{kill + kSecond / 2 + 1, kill + 4 * kSecond, 0, kill + 3 * kSecond + 5, 0};
  auto curve = reconnect_curve(kill, back, synced);
  ASSERT_EQ(curve.size(), 5u);
  EXPECT_EQ(curve[0].back, 2);  // the one before the kill counts in second 0
  EXPECT_EQ(curve[0].synced, 1);
  EXPECT_EQ(curve[1].back, 0);
  EXPECT_EQ(curve[3].back, 2);
  EXPECT_EQ(curve[3].synced, 1);
  EXPECT_EQ(curve[4].second, 4);
  EXPECT_EQ(curve[4].synced, 1);
  EXPECT_EQ(curve[4].back_total, 4);
  EXPECT_EQ(curve[4].synced_total, 3);
}

TEST(BenchReconnectCurve, EmptyWhenNobodyCameBack) {
  EXPECT_TRUE(reconnect_curve(5, {0, 0}, {0}).empty());
  EXPECT_TRUE(reconnect_curve(5, {}, {}).empty());
}

TEST(BenchReconnectCurve, QuantilesInSecondsAfterTheKill) {
  const std::int64_t kill = 10 * kSecond;
  std::vector<std::int64_t> times{kill + 3 * kSecond, 0, kill + kSecond, kill + 2 * kSecond, kill + 4 * kSecond};
  EXPECT_DOUBLE_EQ(seconds_after(kill, times, 0), 1.0);
  EXPECT_DOUBLE_EQ(seconds_after(kill, times, 0.5), 2.0);
  EXPECT_DOUBLE_EQ(seconds_after(kill, times, 1), 4.0);
  EXPECT_DOUBLE_EQ(seconds_after(kill, {0, 0}, 1), -1);
}

TEST(BenchFailoverReport, OkOnlyWhenEveryDeviceIsBackAndSynced) {
  FailoverReport f;
  EXPECT_FALSE(f.ok());  // no kill, no devices
  f.devices = f.back = f.synced = 3;
  EXPECT_TRUE(f.ok());
  f.synced = 2;
  EXPECT_FALSE(f.ok());
  f.synced = 3;
  f.kill_error = "No such process";
  EXPECT_FALSE(f.ok());
}

}  // namespace
}  // namespace parley::bench
