// No store I/O under a lock, none on the caller's thread where it would be an
// I/O thread: a store write that blocks (FaultyStore hook) must not stop
// readers of the same chat, writers of other chats or other user pairs, and
// marking users offline never waits for the store.

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "unit/core_fixture.h"
#include "unit/held_call.h"

namespace parley::testing {
namespace {

using StoreIoLockTest = CoreTest;

TEST_F(StoreIoLockTest, AChatWriteBlocksNeitherReadersOfThatChatNorWritersOfOthers) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto group = core->chats.create_group(a, "g", {b});
  ASSERT_TRUE(group.ok());
  const ChatId id = (*group)->id;

  HoldFirstCall held;
  faults.set_hook(StoreMethod::put_chat, held.hook());
  auto adding = std::async(std::launch::async, [&] { return core->chats.add_member(a, id, c); });
  ASSERT_TRUE(held.wait_entered());

  // While the synced write of `id` is in flight: its shard is free...
  auto seen = core->chats.find_for_member(b, id);
  ASSERT_TRUE(seen.ok());
  EXPECT_FALSE((*seen)->has_member(c));  // the old snapshot until the write is durable
  // ...and so is every other chat, and the store itself.
  auto other = core->chats.create_group(b, "h", {c});
  EXPECT_TRUE(other.ok());
  held.release();

  auto added = adding.get();
  ASSERT_TRUE(added.ok());
  EXPECT_TRUE(held.released_in_time());
  EXPECT_TRUE((*core->chats.find(id))->has_member(c));
}

TEST_F(StoreIoLockTest, DirectChatsOfOtherPairsAreNotSerialisedBehindOnePair) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat"), d = make_user("dan");
  HoldFirstCall held;
  faults.set_hook(StoreMethod::put_chat, held.hook());
  auto opening = std::async(std::launch::async, [&] { return core->chats.open_direct(a, b); });
  ASSERT_TRUE(held.wait_entered());
  auto other = core->chats.open_direct(c, d);  // with one global lock this would wait for a|b's fsync
  EXPECT_TRUE(other.ok());
  held.release();
  EXPECT_TRUE(opening.get().ok());
  EXPECT_TRUE(held.released_in_time());
}

TEST_F(StoreIoLockTest, OnePairStillGetsOneDirectChatWhenBothOpenAtOnce) {
  auto a = make_user("ann"), b = make_user("bob");
  HoldFirstCall held;
  faults.set_hook(StoreMethod::put_chat, held.hook());
  auto first = std::async(std::launch::async, [&] { return core->chats.open_direct(a, b); });
  ASSERT_TRUE(held.wait_entered());
  auto second = std::async(std::launch::async, [&] { return core->chats.open_direct(b, a); });
  // Give the second caller its chance to race (not an assertion on time).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  held.release();
  auto one = first.get(), two = second.get();
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(one->chat->id, two->chat->id);
  EXPECT_NE(one->created, two->created);
  EXPECT_EQ(store.chats_of_user(a)->size(), 1u);
}

TEST_F(StoreIoLockTest, ConcurrentChangesOfOneChatLoseNothing) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat"), d = make_user("dan");
  auto group = core->chats.create_group(a, "g", {b});
  ASSERT_TRUE(group.ok());
  const ChatId id = (*group)->id;
  HoldFirstCall held;
  faults.set_hook(StoreMethod::put_chat, held.hook());
  auto add_cat = std::async(std::launch::async, [&] { return core->chats.add_member(a, id, c); });
  ASSERT_TRUE(held.wait_entered());
  auto add_dan = std::async(std::launch::async, [&] { return core->chats.add_member(a, id, d); });
  auto remove_bob = std::async(std::launch::async, [&] { return core->chats.remove_member(a, id, b); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let them race the held write
  held.release();
  ASSERT_TRUE(add_cat.get().ok());
  ASSERT_TRUE(add_dan.get().ok());
  ASSERT_TRUE(remove_bob.get().ok());
  auto cached = *core->chats.find(id);
  auto stored = *store.find_chat(id);
  ASSERT_TRUE(stored.has_value());
  for (const Chat* chat : {cached.get(), static_cast<const Chat*>(&*stored)}) {
    EXPECT_TRUE(chat->has_member(a));
    EXPECT_FALSE(chat->has_member(b));
    EXPECT_TRUE(chat->has_member(c));
    EXPECT_TRUE(chat->has_member(d));
  }
}

TEST_F(StoreIoLockTest, SweepNeverWaitsForTheStoreAndWritesEveryoneInOneBatch) {
  std::vector<AuthContext> devices;
  for (const char* name : {"ann", "bob", "cat", "dan", "eve"}) {
    make_user(name);
    devices.push_back(login(name));
    core->presence.heartbeat(devices.back());
  }
  const TimeMs last_heartbeat = clock.now_ms();
  HoldFirstCall held;
  std::atomic<bool> on_test_thread{false};
  const auto test_thread = std::this_thread::get_id();
  auto hold = held.hook();
  faults.set_hook(StoreMethod::set_last_active, [&, hold] {
    if (std::this_thread::get_id() == test_thread) on_test_thread = true;
    hold();
  });

  clock.advance(config.presence_timeout_ms);
  sink.clear();
  core->presence.sweep();  // returns while the write is held: it never waited for it
  EXPECT_EQ(sink.events_of<PresenceEvent>().size(), 5u);
  ASSERT_TRUE(held.wait_entered());
  held.release();
  ASSERT_TRUE(eventually([&] {
    for (const auto& d : devices) {
      if ((*store.find_user(d.user_id))->last_active_at != last_heartbeat) return false;
    }
    return true;
  }));
  EXPECT_TRUE(held.released_in_time());
  EXPECT_FALSE(on_test_thread);
  EXPECT_EQ(faults.calls(StoreMethod::set_last_active), 1u);  // five users, one write
}

TEST_F(StoreIoLockTest, LastActiveSurvivesAFailingStoreAndIsStoredOnceItHeals) {
  config.last_active_retry_initial_ms = 1;
  config.last_active_retry_max_ms = 5;
  rebuild();
  auto a = make_user("ann"), b = make_user("bob");
  direct(a, b);
  auto wa = login("ann");
  core->presence.heartbeat(wa);
  const TimeMs last_heartbeat = clock.now_ms();
  faults.fail(StoreMethod::set_last_active);
  clock.advance(config.presence_timeout_ms);
  core->presence.sweep();
  ASSERT_TRUE(eventually([&] { return faults.calls(StoreMethod::set_last_active) >= 2; }));  // retried
  auto status = core->presence.query(b, {a});
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE((*status)[0].online);
  EXPECT_EQ((*status)[0].last_active_at, last_heartbeat);  // pending, not lost
  faults.heal_all();
  EXPECT_TRUE(eventually([&] { return (*store.find_user(a))->last_active_at == last_heartbeat; }));
}

TEST_F(StoreIoLockTest, ThePresenceThreadSweepsByItself) {
  config.presence_sweep_ms = 5;
  rebuild();
  auto a = make_user("ann"), b = make_user("bob");
  direct(a, b);
  auto wa = login("ann");
  core->presence.heartbeat(wa);
  clock.advance(config.presence_timeout_ms);
  EXPECT_TRUE(eventually([&] {
    auto events = sink.events_of<PresenceEvent>();
    return !events.empty() && !events.back().online;
  }));
}

TEST_F(StoreIoLockTest, ReadMarkersOfOneReaderNeverMoveBack) {
  auto a = make_user("ann"), b = make_user("bob");
  auto chat = direct(a, b);
  auto wa = login("ann"), wb = login("bob");
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE(send(wa, chat, "m" + std::to_string(i), "x").ok());
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      for (Seq s = 1; s <= 20; ++s) (void)core->conversations.mark_read(wb, chat, (s * (t + 3)) % 21);
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(*store.read_marker(chat, b), 20u);
}

}  // namespace
}  // namespace parley::testing
