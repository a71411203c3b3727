// WakePacer: an I/O thread pauses after a wake only while it runs jobs at
// the busy rate or faster, and stops once the rate falls below three
// quarters of it. at_least_per_second: how both pacers judge a window.

#include "net/wake_pacer.h"

#include "net/per_second.h"

#include <gtest/gtest.h>

#include <chrono>

namespace parley {
namespace {
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr WakePacer::Clock::duration kNone = WakePacer::Clock::duration::zero();
constexpr WakePacer::Clock::duration kPause = microseconds(500);

struct WakePacerTest : ::testing::Test {
  WakePacer::Clock::time_point start = WakePacer::Clock::now();
  // Busy at 1,000 jobs a second: 100 jobs in a 100 ms window.
  WakePacer pacer{microseconds(500), 1'000, start};
  WakePacer::Clock::time_point window(int n) const { return start + n * WakePacer::kWindow; }

  // `jobs` over ten wakes in window n, then a wake without jobs at the start
  // of the next, which judges window n: answers the pause after that one.
  WakePacer::Clock::duration jobs_in_window(int n, std::size_t jobs) {
    for (int i = 0; i < 10; ++i) pacer.woke(window(n) + i * (WakePacer::kWindow / 10), jobs / 10);
    return pacer.woke(window(n + 1), 0);
  }
};

TEST_F(WakePacerTest, AThreadWithLittleToDoNeverPauses) {
  EXPECT_EQ(pacer.woke(start, 1), kNone);
  EXPECT_EQ(jobs_in_window(0, 50), kNone);  // 500 jobs a second: below the busy rate
  EXPECT_EQ(jobs_in_window(1, 90), kNone);
}

TEST_F(WakePacerTest, ABusyThreadPausesAfterEveryWakeOfTheNextWindow) {
  EXPECT_EQ(jobs_in_window(0, 300), kPause);
  // Within the window the answer stands, whatever the wakes bring.
  EXPECT_EQ(pacer.woke(window(1) + milliseconds(50), 0), kPause);
  EXPECT_EQ(pacer.woke(window(1) + milliseconds(99), 1), kPause);
}

TEST_F(WakePacerTest, PacingStopsBelowThreeQuartersOfTheBusyRate) {
  ASSERT_EQ(jobs_in_window(0, 300), kPause);
  EXPECT_EQ(jobs_in_window(1, 80), kPause) << "800 a second: still paced";
  EXPECT_EQ(jobs_in_window(2, 70), kNone) << "700 a second: below three quarters";
  EXPECT_EQ(jobs_in_window(3, 80), kNone) << "800 a second does not start pacing";
  EXPECT_EQ(jobs_in_window(4, 100), kPause);
}

TEST_F(WakePacerTest, TheFirstWakesAfterALongQuietSpellAreNotPaced) {
  // 300 jobs at once, then nothing for an hour: a rate far below the busy one.
  EXPECT_EQ(pacer.woke(start, 300), kNone);
  EXPECT_EQ(pacer.woke(start + std::chrono::hours(1), 1), kNone);
}

TEST_F(WakePacerTest, AZeroPauseOrRateNeverPaces) {
  WakePacer no_pause{microseconds(0), 1'000, start};
  WakePacer no_rate{microseconds(500), 0, start};
  for (int i = 0; i < 100; ++i) {
    no_pause.woke(start + milliseconds(i * 2), 1'000);
    no_rate.woke(start + milliseconds(i * 2), 1'000);
  }
  EXPECT_EQ(no_pause.woke(window(3), 1'000), kNone);
  EXPECT_EQ(no_rate.woke(window(3), 1'000), kNone);
}

// The pacers' judgement of a window: exact at the boundary, and in range
// for the largest rate a flag accepts over any time, however long.
TEST(AtLeastPerSecond, ComparesARateExactlyAndStaysInRangeOverAnyTime) {
  EXPECT_TRUE(at_least_per_second(100, 1'000, milliseconds(100)));
  EXPECT_FALSE(at_least_per_second(99, 1'000, milliseconds(100)));
  EXPECT_TRUE(at_least_per_second(0, 0, milliseconds(100)));
  // 300 events in 18,446,744,074 us (about five hours) at a busy rate of
  // 10^9 a second: the plain product 10^9 * micros passes 2^64 and wraps to
  // less than 300 * 10^6.
  EXPECT_FALSE(at_least_per_second(300, 1'000'000'000, microseconds(18'446'744'074)));
  EXPECT_FALSE(at_least_per_second(1'000'000, 1'000'000'000, std::chrono::hours(24 * 365)));
  EXPECT_TRUE(at_least_per_second(100, 1, std::chrono::hours(24 * 365))) << "a long spell counts as 100 s";
}

}  // namespace
}  // namespace parley
