// parley-bench's overload figures: which phase is the burst, and when the
// per-second p99 is back near what it was before the burst.

#include <gtest/gtest.h>

#include "overload_timeline.h"

namespace parley::bench {
namespace {

SecondRow second(int at, double p99_ms, std::uint64_t deliveries = 100, std::uint64_t sends = 100) {
  SecondRow row;
  row.second = at;
  row.p99_ms = p99_ms;
  row.deliveries = deliveries;
  row.sends = sends;
  return row;
}

TEST(BenchOverload, TheBurstIsTheFirstPhaseOfTheHighestRateAfterTheWarmUp) {
  std::vector<RatePhase> phases{{60000, 2}, {15000, 10}, {45000, 30}, {45000, 5}, {7500, 20}};
  EXPECT_EQ(burst_phase(phases, 1), 2);
  EXPECT_EQ(burst_phase(phases, 0), 0);
  EXPECT_EQ(burst_phase({{0, 5}}, 0), -1);
  EXPECT_EQ(burst_phase(phases, 9), -1);
}

TEST(BenchOverload, RecoveredWhenEveryLaterSecondStaysUnderTheLimit) {
  // The burst ends at 3 s; the load at 9 s; the limit is 10 ms.
  std::vector<SecondRow> rows{second(0, 5),  second(1, 400), second(2, 900), second(3, 800), second(4, 8),
                              second(5, 30), second(6, 9),   second(7, 7),   second(8, 6),   second(9, 500)};
  // Second 4 dips under, 5 is over again: recovered from second 6 on. Second
  // 9 is after the load (the drain) and does not count.
  EXPECT_DOUBLE_EQ(seconds_to_recover(rows, 3, 9, 10), 3);
  // Never back under within the load.
  EXPECT_DOUBLE_EQ(seconds_to_recover(rows, 3, 9, 5), -1);
  // Nothing rose: recovered at the first second that starts at the end of the burst.
  EXPECT_DOUBLE_EQ(seconds_to_recover(rows, 6, 9, 10), 0);
  // The burst ends mid-second: the next whole second counts.
  EXPECT_DOUBLE_EQ(seconds_to_recover(rows, 5.5, 9, 10), 0.5);
}

TEST(BenchOverload, ASecondWithSendsButNoDeliveryIsNotRecovered) {
  std::vector<SecondRow> rows{second(3, 5), second(4, 0, 0, 100), second(5, 5), second(6, 0, 0, 0), second(7, 5)};
  // Second 4 delivered nothing although sends were made: a stall. Second 6
  // had neither sends nor deliveries (a pause): it says nothing.
  EXPECT_DOUBLE_EQ(seconds_to_recover(rows, 3, 8, 10), 2);
}

TEST(BenchOverload, TheChecksFailOnARefusedSendDeliveredOrAnAckedOneLost) {
  OverloadReport report;
  EXPECT_TRUE(report.ok());
  report.overloaded = 1000;  // refusals alone are no failure
  EXPECT_TRUE(report.ok());
  report.refused_delivered = 1;
  EXPECT_FALSE(report.ok());
  report.refused_delivered = 0;
  report.acked_undelivered = 1;
  EXPECT_FALSE(report.ok());
  report.acked_undelivered = 0;
  report.acked_and_refused = 1;
  EXPECT_FALSE(report.ok());
}

}  // namespace
}  // namespace parley::bench
