// RebalanceSchedule: which devices away from their home node are asked to
// move, and when. Time is passed in: no clock, no sleeps.

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

#include "cluster/rebalance_schedule.h"

namespace parley::cluster {
namespace {

using namespace std::chrono_literals;
using Clock = RebalanceSchedule::Clock;
using Device = RebalanceSchedule::Device;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

// `count` connected devices; those with an index in `away` belong on node "b".
struct Devices {
  std::vector<std::shared_ptr<int>> handles;
  std::set<std::size_t> away;

  explicit Devices(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) handles.push_back(std::make_shared<int>(static_cast<int>(i)));
  }
  std::vector<Device> list() const {
    std::vector<Device> out;
    for (std::size_t i = 0; i < handles.size(); ++i) {
      if (handles[i]) out.push_back({handles[i], away.contains(i) ? "http://b:1" : ""});
    }
    return out;
  }
};

// The numbers of the devices due() asks to move at `now`.
std::vector<int> asked_at(RebalanceSchedule& schedule, Clock::time_point now, const Devices& d) {
  const auto list = d.list();
  std::vector<int> out;
  for (const auto& m : schedule.due(now, list)) {
    out.push_back(*static_cast<const int*>(list.at(m.device).handle.get()));
    EXPECT_EQ(m.url, "http://b:1");
  }
  return out;
}

TEST(RebalanceSchedule, ADeviceIsAskedOnlyOnceConnectedForAWholeWindow) {
  RebalanceSchedule schedule(10s);
  Devices d(1);
  d.away = {0};
  EXPECT_TRUE(schedule.due(t0, d.list()).empty());
  EXPECT_TRUE(schedule.due(t0 + 9s, d.list()).empty()) << "it arrived less than a window ago";
  EXPECT_EQ(asked_at(schedule, t0 + 10s, d), std::vector<int>{0});
}

TEST(RebalanceSchedule, DevicesAtHomeAreNeverAsked) {
  RebalanceSchedule schedule(10s);
  Devices d(5);
  schedule.due(t0, d.list());
  for (int s = 0; s <= 60; ++s) EXPECT_TRUE(schedule.due(t0 + std::chrono::seconds(s), d.list()).empty());
}

TEST(RebalanceSchedule, ARoundIsSpreadEvenlyOverTheWindowNeverAllAtOnce) {
  RebalanceSchedule schedule(10s);
  Devices d(20);
  for (std::size_t i = 0; i < 10; ++i) d.away.insert(2 * i);  // 10 of 20 are away
  schedule.due(t0, d.list());
  // The round starts at t0 + 10 s: one device each second, the first at once.
  std::vector<int> asked;
  for (int ms = 10'000; ms < 20'000; ms += 100) {
    auto moves = asked_at(schedule, t0 + std::chrono::milliseconds(ms), d);
    EXPECT_LE(moves.size(), 1u) << "at +" << ms << " ms";
    if (!moves.empty()) {
      EXPECT_EQ((ms - 10'000) % 1000, 0) << "device " << asked.size() << " asked at +" << ms << " ms";
      asked.push_back(moves[0]);
    }
  }
  std::set<std::size_t> unique(asked.begin(), asked.end());
  EXPECT_EQ(asked.size(), 10u);
  EXPECT_EQ(unique, d.away) << "each device away asked once, none at home";
}

TEST(RebalanceSchedule, DevicesGoneOrBackHomeBeforeTheirTurnAreSkipped) {
  RebalanceSchedule schedule(10s);
  Devices d(4);
  d.away = {0, 1, 2, 3};
  schedule.due(t0, d.list());
  EXPECT_EQ(asked_at(schedule, t0 + 10s, d), std::vector<int>{0});
  EXPECT_EQ(schedule.pending(), 3u);
  d.handles[1].reset();  // disconnected
  d.away.erase(2);       // the ring changed back: its home is here
  std::vector<int> later;
  for (int s = 11; s < 20; ++s) {
    for (int device : asked_at(schedule, t0 + std::chrono::seconds(s), d)) later.push_back(device);
  }
  EXPECT_EQ(later, std::vector<int>{3});
}

TEST(RebalanceSchedule, AnAskedDeviceIsAskedAgainOnlyAfterAnotherWindow) {
  RebalanceSchedule schedule(10s);
  Devices d(1);
  d.away = {0};
  schedule.due(t0, d.list());
  ASSERT_EQ(asked_at(schedule, t0 + 10s, d), std::vector<int>{0});
  for (int s = 11; s < 20; ++s) EXPECT_TRUE(asked_at(schedule, t0 + std::chrono::seconds(s), d).empty());
  EXPECT_EQ(asked_at(schedule, t0 + 20s, d), std::vector<int>{0}) << "it ignored the move: asked again, a window later";
}

TEST(RebalanceSchedule, DevicesArrivingDuringARoundWaitForTheirOwnWindowAndTheNextRound) {
  RebalanceSchedule schedule(10s);
  Devices d(2);
  d.away = {0, 1};
  schedule.due(t0, d.list());
  EXPECT_EQ(asked_at(schedule, t0 + 10s, d), std::vector<int>{0});
  d.handles[0].reset();                           // it moved
  d.handles.push_back(std::make_shared<int>(2));  // arrives at +12 s
  d.away.insert(2);
  EXPECT_TRUE(asked_at(schedule, t0 + 12s, d).empty());
  EXPECT_EQ(asked_at(schedule, t0 + 15s, d), std::vector<int>{1});
  for (int s = 16; s < 22; ++s) EXPECT_TRUE(asked_at(schedule, t0 + std::chrono::seconds(s), d).empty()) << s;
  EXPECT_EQ(asked_at(schedule, t0 + 22s, d), std::vector<int>{2});
}

TEST(RebalanceSchedule, RefusesAnEmptyWindow) {
  EXPECT_THROW(RebalanceSchedule(0ms), std::invalid_argument);
}

}  // namespace
}  // namespace parley::cluster
