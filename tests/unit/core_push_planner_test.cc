// PushPlanner: pushes are planned off the commit path, coalesced per device,
// planned exactly once across restarts and crashes.

#include <map>

#include "unit/core_fixture.h"
#include "unit/held_call.h"

namespace parley::testing {
namespace {

class PushPlannerTest : public CoreTest {
 protected:
  void SetUp() override {
    ann = make_user("ann");
    bob = make_user("bob");
    chat = direct(ann, bob);
    wa = login("ann");
    phone = login("bob");
    tablet = login("bob");
    ASSERT_TRUE(core->accounts.set_push(phone, {"webhook", "http://127.0.0.1:9/phone"}).ok());
    ASSERT_TRUE(core->accounts.set_push(tablet, {"webhook", "http://127.0.0.1:9/tablet"}).ok());
  }

  // Messages covered per device, over every push sent so far.
  std::map<DeviceId, std::uint32_t> counted() const {
    std::map<DeviceId, std::uint32_t> out;
    for (const auto& job : push_sender.sent()) out[job.device_id] += job.count;
    return out;
  }

  UserId ann, bob;
  ChatId chat;
  AuthContext wa, phone, tablet;
};

TEST_F(PushPlannerTest, AcksNeverWaitForPushWork) {
  auto cat = make_user("cat"), dan = make_user("dan");
  auto other_chat = direct(cat, dan);
  auto wc = login("cat");
  rebuild();  // push targets must be read from the store
  HoldFirstCall held;
  faults.set_hook(StoreMethod::devices_of_user, held.hook());

  auto first = send(wa, chat, "m1", "one");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(held.wait_entered());  // planning bob's push is stuck in the store...
  // ...while the sender and everyone else keep getting acks.
  EXPECT_TRUE(send(wa, chat, "m2", "two").ok());
  EXPECT_TRUE(send(wc, other_chat, "c1", "elsewhere").ok());
  EXPECT_TRUE(held.holding());
  held.release();

  ASSERT_TRUE(eventually([&] { return counted()[phone.device_id] == 2 && counted()[tablet.device_id] == 2; }));
  EXPECT_TRUE(held.released_in_time());
}

TEST_F(PushPlannerTest, MessagesWithinTheWindowBecomeOnePushPerDeviceWithACount) {
  config.push_coalesce_ms = 60'000;  // longer than the test: only stop() plans
  rebuild();
  push_sender.set_outcome(RecordingPushSender::Outcome::held);  // sent jobs stay stored
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(send(wa, chat, "m" + std::to_string(i), "text " + std::to_string(i)).ok());
  EXPECT_EQ(push_sender.sent_count(), 0u);  // still inside the window
  core->stop();                             // plans what is committed; the jobs are stored
  auto jobs = *store.load_push_jobs(0);
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& job : jobs) {
    EXPECT_EQ(job.user_id, bob);
    EXPECT_EQ(job.count, 3u);
    EXPECT_EQ(job.seq, 3u);
    EXPECT_EQ(job.preview, "text 3");
  }
  for (const auto& job : push_sender.sent()) EXPECT_EQ(job.count, 3u);
}

TEST_F(PushPlannerTest, AMessageDeliveredLiveIsNeverPushedEvenIfTheDeviceLeavesBeforePlanning) {
  config.push_coalesce_ms = 60'000;
  rebuild();
  push_sender.set_outcome(RecordingPushSender::Outcome::held);
  sink.set_connected(bob, true);
  ASSERT_TRUE(send(wa, chat, "m1", "seen live").ok());
  sink.set_connected(bob, false);  // gone before the planner looks
  ASSERT_TRUE(send(wa, chat, "m2", "missed").ok());
  core->stop();
  auto jobs = *store.load_push_jobs(0);
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& job : jobs) {
    EXPECT_EQ(job.count, 1u);
    EXPECT_EQ(job.seq, 2u);
  }
}

TEST_F(PushPlannerTest, ACrashBeforePlanningLosesNoPushAndARestartPlansNothingTwice) {
  config.push_retry_initial_ms = 5;
  rebuild();
  faults.fail(StoreMethod::read_log);  // planning cannot happen before the "crash"
  ASSERT_TRUE(send(wa, chat, "m1", "one").ok());
  ASSERT_TRUE(send(wa, chat, "m2", "two").ok());
  const LogOffset head = core->pipeline.committed_offset();
  core->stop();  // its last planning attempt fails too: as after a crash, nothing is planned
  EXPECT_EQ(*store.push_planned_offset(0), std::optional<LogOffset>(head - 2));
  EXPECT_EQ(push_sender.sent_count(), 0u);

  faults.heal_all();
  rebuild();  // recovery plans the two messages
  ASSERT_TRUE(eventually([&] { return counted()[phone.device_id] == 2 && counted()[tablet.device_id] == 2; }));
  EXPECT_EQ(*store.push_planned_offset(0), std::optional<LogOffset>(head));
  const auto writes = faults.calls(StoreMethod::put_planned_push_jobs);
  rebuild();
  rebuild();
  EXPECT_EQ(faults.calls(StoreMethod::put_planned_push_jobs), writes) << "planned again after a restart";
  EXPECT_EQ(counted()[phone.device_id], 2u);
}

TEST_F(PushPlannerTest, AStoreWithoutAMarkerIsPlannedUpToItsHead) {
  // Messages stored by a version whose jobs were written with them.
  MemoryStore fresh;
  FaultyStore fresh_faults(fresh);
  ASSERT_TRUE(fresh.append({Message{"c", 1, "u", "d", "old", "old", 1, 7}}).ok());
  Core old_data(
      config, CorePorts{fresh_faults, fresh_faults, fresh_faults, fresh_faults, credentials, clock, sink, push_sender});
  old_data.start();
  EXPECT_EQ(*fresh.push_planned_offset(0), std::optional<LogOffset>(7));
  old_data.stop();
  EXPECT_EQ(push_sender.sent_count(), 0u);
}

TEST_F(PushPlannerTest, ConnectedUsersAndTheSenderGetNoPush) {
  ASSERT_TRUE(core->accounts.set_push(wa, {"webhook", "http://127.0.0.1:9/ann"}).ok());
  sink.set_connected(bob, true);
  auto first = send(wa, chat, "m1", "one");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(eventually([&] { return core->push_planner.planned_offset() == first->offset; }));
  sink.set_connected(bob, false);
  auto second = send(wa, chat, "m2", "two");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(eventually([&] { return core->push_planner.planned_offset() == second->offset; }));
  ASSERT_TRUE(eventually([&] { return push_sender.sent_count() == 2; }));
  for (const auto& job : push_sender.sent()) {
    EXPECT_EQ(job.user_id, bob);
    EXPECT_EQ(job.seq, 2u);
    EXPECT_EQ(job.count, 1u);
  }
}

// Messages everyone got live need no push: the planner moves its marker over
// them without reading them back. One member offline brings the reading back.
TEST_F(PushPlannerTest, MessagesEveryoneGotLiveAreNotReadBack) {
  sink.set_connected(bob, true);
  Result<SendAck> last = make_error(ErrorCode::internal, "nothing sent");
  for (int i = 1; i <= 3; ++i) {
    last = send(wa, chat, "m" + std::to_string(i), "live " + std::to_string(i));
    ASSERT_TRUE(last.ok());
  }
  ASSERT_TRUE(eventually([&] { return core->push_planner.planned_offset() == last->offset; }));
  EXPECT_EQ(faults.calls(StoreMethod::read_log), 0u);
  EXPECT_EQ(*store.push_planned_offset(0), std::optional<LogOffset>(last->offset));

  sink.set_connected(bob, false);
  auto missed = send(wa, chat, "m4", "missed");
  ASSERT_TRUE(missed.ok());
  ASSERT_TRUE(eventually([&] { return counted()[phone.device_id] == 1 && counted()[tablet.device_id] == 1; }));
  EXPECT_GE(faults.calls(StoreMethod::read_log), 1u);
  for (const auto& job : push_sender.sent()) EXPECT_EQ(job.seq, missed->seq);
}

// On a single node the commit thread tells the planner of every commit: it
// never reads the log's head back (a store read per poll, for nothing), and
// still pushes what is committed.
TEST_F(PushPlannerTest, ASingleNodeNeverPollsTheHeadAndStillPushes) {
  config.push_head_poll_ms = 10;
  rebuild();
  const auto heads = faults.calls(StoreMethod::shard_head) + faults.calls(StoreMethod::last_offset);
  ASSERT_TRUE(send(wa, chat, "m1", "hello").ok());
  ASSERT_TRUE(eventually([&] { return counted()[phone.device_id] == 1 && counted()[tablet.device_id] == 1; }));
  // Twenty poll intervals, in which a poll would have read the head twenty times.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(faults.calls(StoreMethod::shard_head) + faults.calls(StoreMethod::last_offset), heads);
}

}  // namespace
}  // namespace parley::testing
