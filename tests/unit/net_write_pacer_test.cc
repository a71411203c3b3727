// WritePacer: writes wait for the loop's tick only while the loop is busy
// and its writes carry about one frame each; a deferred writer writes once,
// at the tick, and one deferred during a tick waits for the next.

#include "net/write_pacer.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace parley {
namespace {
namespace asio = boost::asio;
using std::chrono::milliseconds;

class CountingWriter final : public PacedWriter {
 public:
  void write_paced() override {
    ++writes;
    if (on_write) on_write();
  }
  int writes = 0;
  std::function<void()> on_write;
};

struct WritePacerTest : ::testing::Test {
  asio::io_context io;
  WritePacer::Loop loop = asio::make_strand(io);
  // Busy at 1,000 frames a second: 100 frames in a 100 ms window.
  WritePacer pacer{loop, milliseconds(5), 1'000};
  WritePacer::Clock::time_point start = WritePacer::Clock::now();
  WritePacer::Clock::time_point window(int n) const { return start + n * WritePacer::kWindow; }

  // One window's traffic, judged at the start of the next.
  bool after_window(int n, int frames, int writes) {
    for (int i = 0; i < frames; ++i) pacer.count_frame();
    for (int i = 0; i < writes; ++i) pacer.count_write();
    return pacer.pacing(window(n + 1));
  }
};

TEST_F(WritePacerTest, AQuietLoopWritesAtOnce) {
  EXPECT_FALSE(pacer.pacing(start));
  EXPECT_FALSE(after_window(0, 50, 50));  // 500 frames a second: below the busy rate
}

TEST_F(WritePacerTest, ABusyLoopWhoseWritesCarryOneFrameEachIsPaced) {
  EXPECT_FALSE(pacer.pacing(start));
  EXPECT_TRUE(after_window(0, 300, 300));
  // Within the window the answer stands, whatever is counted meanwhile.
  pacer.count_frame();
  EXPECT_TRUE(pacer.pacing(window(1) + milliseconds(50)));
}

TEST_F(WritePacerTest, ABusyLoopWhoseWritesGatherFramesByThemselvesIsNotPaced) {
  EXPECT_FALSE(after_window(0, 300, 100));  // three frames per write
  EXPECT_FALSE(after_window(1, 300, 150));  // two
  EXPECT_TRUE(after_window(2, 300, 151));   // fewer
}

TEST_F(WritePacerTest, PacingLastsWhileTheLoopIsBusyThoughItsWritesNowGather) {
  EXPECT_TRUE(after_window(0, 300, 300));
  EXPECT_TRUE(after_window(1, 300, 100));   // gathered because paced: still paced
  EXPECT_FALSE(after_window(2, 50, 50));    // the load fell
  EXPECT_FALSE(after_window(3, 300, 100));  // busy again, but gathering by itself
}

TEST_F(WritePacerTest, OneWindowInKProbeEveryIsLeftUnpacedToLookAgain) {
  EXPECT_TRUE(after_window(0, 300, 300));
  int n = 1;
  for (; n < static_cast<int>(WritePacer::kProbeEvery); ++n) {
    ASSERT_TRUE(after_window(n, 300, 100)) << "window " << n;
  }
  EXPECT_FALSE(after_window(n, 300, 100)) << "the probe";
  ++n;
  EXPECT_FALSE(after_window(n, 300, 100)) << "writes gather without pacing: stays unpaced";
  ++n;
  EXPECT_TRUE(after_window(n, 300, 300)) << "one frame per write again: paced";
}

TEST_F(WritePacerTest, TheFirstFramesAfterALongQuietSpellAreNotPaced) {
  EXPECT_TRUE(after_window(0, 300, 300));
  for (int i = 0; i < 300; ++i) pacer.count_frame();
  EXPECT_FALSE(pacer.pacing(window(1) + std::chrono::hours(1)));
}

TEST_F(WritePacerTest, AZeroDelayOrRateNeverPaces) {
  WritePacer no_delay(loop, milliseconds(0), 1'000);
  WritePacer no_rate(loop, milliseconds(5), 0);
  const auto start = WritePacer::Clock::now();
  for (WritePacer* pacer : {&no_delay, &no_rate}) {
    for (int i = 0; i < 1'000; ++i) {
      pacer->count_frame();
      pacer->count_write();
    }
    EXPECT_FALSE(pacer->pacing(start + WritePacer::kWindow));
    EXPECT_FALSE(pacer->pacing(start + 2 * WritePacer::kWindow));
  }
}

TEST_F(WritePacerTest, DeferredWritersWriteOnceAtTheTick) {
  auto a = std::make_shared<CountingWriter>();
  auto b = std::make_shared<CountingWriter>();
  pacer.defer(a);
  pacer.defer(b);
  EXPECT_EQ(a->writes, 0);  // not before the tick
  io.run();
  EXPECT_EQ(a->writes, 1);
  EXPECT_EQ(b->writes, 1);
}

TEST_F(WritePacerTest, AWriterDeferredDuringATickWaitsForTheNext) {
  auto a = std::make_shared<CountingWriter>();
  a->on_write = [&] {
    if (a->writes == 1) {
      pacer.defer(a);
      io.stop();  // run() returns once this tick is over
    }
  };
  pacer.defer(a);
  io.run();
  EXPECT_EQ(a->writes, 1) << "written again within the same tick";
  io.restart();
  io.run();
  EXPECT_EQ(a->writes, 2);
  a->on_write = nullptr;  // it holds `a`
}

}  // namespace
}  // namespace parley
