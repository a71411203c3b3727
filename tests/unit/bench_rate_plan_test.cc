// parley-bench's rate phases: parsing --rate-phases, and when each sender
// writes each send as the rate changes.

#include <gtest/gtest.h>

#include "rate_plan.h"

namespace parley::bench {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

TEST(BenchRatePhases, ParsesRatesAndMultiplesOfTheBaseRate) {
  std::string error;
  auto phases = parse_rate_phases("45000:30,7500:20.5", 0, error);
  ASSERT_TRUE(phases) << error;
  ASSERT_EQ(phases->size(), 2u);
  EXPECT_DOUBLE_EQ((*phases)[0].rate, 45000);
  EXPECT_DOUBLE_EQ((*phases)[0].seconds, 30);
  EXPECT_DOUBLE_EQ((*phases)[1].seconds, 20.5);
  phases = parse_rate_phases("1x:10,3x:30,0.5x:20,0:5", 15000, error);
  ASSERT_TRUE(phases) << error;
  EXPECT_DOUBLE_EQ((*phases)[1].rate, 45000);
  EXPECT_DOUBLE_EQ((*phases)[2].rate, 7500);
  EXPECT_DOUBLE_EQ((*phases)[3].rate, 0);
  EXPECT_EQ(format_rate_phases(*phases), "15000:10,45000:30,7500:20,0:5");
}

TEST(BenchRatePhases, RefusesWhatIsNotAListOfPhases) {
  std::string error;
  for (const char* bad : {"", "45000", "45000:0", "45000:-3", "-1:5", "fast:5", "5:5,", "5:5,,6:6", "3y:5", "5:5s"}) {
    EXPECT_FALSE(parse_rate_phases(bad, 1000, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(BenchRatePlan, OnePhaseIsTheConstantRateSchedule) {
  // 4 senders at 1000 msg/s: each sends every 4 ms, sender s offset by s ms.
  RatePlan plan({{1000, 2}}, 4);
  EXPECT_EQ(plan.total_ns(), 2 * kSecond);
  EXPECT_EQ(plan.time_of(0, 0), 0);
  EXPECT_EQ(plan.time_of(1, 0), 1'000'000);
  EXPECT_EQ(plan.time_of(3, 2), 11'000'000);
  EXPECT_EQ(plan.sends_before(0, plan.total_ns()), 500u);
  EXPECT_EQ(plan.sends_before(3, plan.total_ns()), 500u);
  EXPECT_EQ(plan.sends_before(3, 3'000'000), 0u);  // its first send is at 3 ms: not before it
  EXPECT_EQ(plan.sends_before(3, 3'000'001), 1u);
}

TEST(BenchRatePlan, TheRateChangesAtEachPhase) {
  // 2 senders; 100 msg/s for 1 s, then 400 msg/s for 1 s, a pause, then 200 msg/s.
  RatePlan plan({{100, 1}, {400, 1}, {0, 1}, {200, 1}}, 2);
  EXPECT_EQ(plan.total_ns(), 4 * kSecond);
  EXPECT_EQ(plan.phase_start_ns(1), kSecond);
  EXPECT_EQ(plan.phase_start_ns(3), 3 * kSecond);
  EXPECT_EQ(plan.phase_start_ns(9), 4 * kSecond);
  EXPECT_EQ(plan.sends_before(0, kSecond), 50u);
  EXPECT_EQ(plan.sends_before(0, 2 * kSecond), 250u);
  EXPECT_EQ(plan.sends_before(0, 3 * kSecond), 250u);  // the pause
  EXPECT_EQ(plan.sends_before(0, 4 * kSecond), 350u);
  EXPECT_EQ(plan.sends_before(1, 4 * kSecond), 350u);
  EXPECT_EQ(plan.time_of(0, 50), kSecond);
  EXPECT_EQ(plan.time_of(0, 51), kSecond + 5'000'000);  // every 5 ms per sender at 400/s
  EXPECT_EQ(plan.time_of(1, 50), kSecond + 2'500'000);  // half a period behind sender 0
  EXPECT_EQ(plan.time_of(0, 250), 3 * kSecond);         // the first send after the pause
  EXPECT_EQ(plan.time_of(0, 251), 3 * kSecond + 10'000'000);
  // Every send lies inside the plan, in order.
  std::int64_t previous = -1;
  for (std::uint32_t k = 0; k < plan.sends_before(1, plan.total_ns()); ++k) {
    const std::int64_t at = plan.time_of(1, k);
    EXPECT_GT(at, previous);
    EXPECT_LT(at, plan.total_ns());
    previous = at;
  }
}

TEST(BenchRatePlan, NoSendersOrNoPhasesMeansNoSends) {
  EXPECT_EQ(RatePlan({{1000, 1}}, 0).sends_before(0, kSecond), 0u);
  EXPECT_EQ(RatePlan({}, 3).sends_before(0, kSecond), 0u);
  EXPECT_EQ(RatePlan({{0, 5}}, 3).sends_before(0, 5 * kSecond), 0u);
}

}  // namespace
}  // namespace parley::bench
