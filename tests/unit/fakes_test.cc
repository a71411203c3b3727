// The fakes other tests lean on: they must record and answer exactly as
// documented, or core tests would pass for the wrong reasons.
#include <gtest/gtest.h>

#include <thread>

#include "fakes/fake_clock.h"
#include "fakes/fake_credentials.h"
#include "fakes/faulty_store.h"
#include "fakes/memory_store.h"
#include "fakes/recording_event_sink.h"
#include "fakes/recording_push_sender.h"

namespace parley {
namespace {

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.now_ms(), 1000);
  EXPECT_EQ(clock.advance(250), 1250);
  EXPECT_EQ(clock.now_ms(), 1250);
  clock.set(5);
  EXPECT_EQ(clock.now_ms(), 5);
  EXPECT_EQ(FakeClock().now_ms(), FakeClock::kDefaultStart);
}

TEST(FakeClock, ConcurrentAdvancesAllCount) {
  FakeClock clock(0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) clock.advance(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(clock.now_ms(), 4000);
}

TEST(FakeCredentials, IsDeterministicAndReadable) {
  FakeCredentials credentials;
  EXPECT_EQ(credentials.hash_password("pw"), "plain:pw");
  EXPECT_TRUE(credentials.verify_password("plain:pw", "pw"));
  EXPECT_FALSE(credentials.verify_password("plain:pw", "other"));
  EXPECT_EQ(credentials.new_token(), "tok-1");
  EXPECT_EQ(credentials.new_token(), "tok-2");
  EXPECT_EQ(credentials.digest_token("tok-1"), "d:tok-1");
  EXPECT_EQ(credentials.new_id(), "id-1");
  EXPECT_EQ(credentials.new_id(), "id-2");
}

TEST(RecordingEventSink, RecordsDeliveriesWithRecipientsAndExceptions) {
  RecordingEventSink sink;
  const std::vector<UserId> users = {"ann", "bob"};
  auto typing = std::make_shared<const Event>(TypingEvent{"c-1", "ann"});
  auto receipt = std::make_shared<const Event>(ReceiptEvent{"c-1", "bob", 4});
  sink.deliver(users, typing, DeviceId("d-ann"));
  sink.deliver_to_device("bob", "d-bob", receipt);

  auto all = sink.deliveries();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].users, users);
  EXPECT_EQ(all[0].except, std::optional<DeviceId>("d-ann"));
  EXPECT_FALSE(all[0].device.has_value());
  EXPECT_EQ(all[1].users, std::vector<UserId>{"bob"});
  EXPECT_EQ(all[1].device, std::optional<DeviceId>("d-bob"));
  EXPECT_EQ(all[1].event, receipt);  // the same shared event, not a copy

  auto receipts = sink.events_of<ReceiptEvent>();
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].read_seq, 4u);
  auto typed = sink.deliveries_of<TypingEvent>();
  ASSERT_EQ(typed.size(), 1u);
  EXPECT_EQ(typed[0].event.user_id, "ann");
  EXPECT_TRUE(sink.events_of<MessageEvent>().empty());

  sink.clear();
  EXPECT_EQ(sink.delivery_count(), 0u);
}

TEST(RecordingEventSink, ConnectedUsersAreWhatTheTestSays) {
  RecordingEventSink sink;
  EXPECT_FALSE(sink.has_connected_device("ann"));
  sink.set_connected("ann", true);
  EXPECT_TRUE(sink.has_connected_device("ann"));
  sink.set_connected("ann", false);
  EXPECT_FALSE(sink.has_connected_device("ann"));
}

PushJob job(std::uint64_t id) {
  PushJob j;
  j.id = id;
  return j;
}

TEST(RecordingPushSender, CompletesAtOnceWithTheConfiguredOutcome) {
  RecordingPushSender sender;
  std::vector<PushOutcome> outcomes;
  auto record = [&](PushOutcome o) { outcomes.push_back(o); };
  sender.send(job(1), record);
  sender.set_outcome(RecordingPushSender::Outcome::failed);
  sender.send(job(2), record);
  sender.set_outcome(RecordingPushSender::Outcome::rejected);
  sender.send(job(3), record);
  sender.set_outcome(RecordingPushSender::Outcome::gone);
  sender.send(job(4), record);
  EXPECT_EQ(outcomes, (std::vector<PushOutcome>{PushOutcome::delivered, PushOutcome::retry, PushOutcome::rejected,
                                                PushOutcome::gone}));
  auto sent = sender.sent();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[1].id, 2u);
}

TEST(RecordingPushSender, HeldSendsCompleteWhenTheTestSays) {
  RecordingPushSender sender(RecordingPushSender::Outcome::held);
  std::vector<std::uint64_t> delivered;
  std::vector<std::uint64_t> failed;
  for (std::uint64_t id = 1; id <= 3; ++id) {
    sender.send(job(id), [&, id](PushOutcome o) { (o == PushOutcome::delivered ? delivered : failed).push_back(id); });
  }
  EXPECT_EQ(sender.held_count(), 3u);
  EXPECT_TRUE(delivered.empty() && failed.empty());

  EXPECT_TRUE(sender.complete_next(false));
  EXPECT_EQ(failed, std::vector<std::uint64_t>{1});
  EXPECT_EQ(sender.complete_all(true), 2u);
  EXPECT_EQ(delivered, (std::vector<std::uint64_t>{2, 3}));
  EXPECT_FALSE(sender.complete_next(true));
  EXPECT_EQ(sender.sent_count(), 3u);
}

TEST(RecordingPushSender, CallbackMaySendAgain) {
  // A retry from inside `done` must not deadlock on the sender's lock.
  RecordingPushSender sender(RecordingPushSender::Outcome::failed);
  int calls = 0;
  std::function<void(PushOutcome)> retry = [&](PushOutcome o) {
    if (o == PushOutcome::retry && ++calls < 3) sender.send(job(1), retry);
  };
  sender.send(job(1), retry);
  EXPECT_EQ(sender.sent_count(), 3u);
}

TEST(FaultyStore, FailsOnlyWhatItIsToldAndNeverReachesTheInnerStoreThen) {
  MemoryStore inner;
  FaultyStore store(inner);
  User ann{"u-1", "ann@example.org", "Ann", "hash", 1, 0};
  store.fail(StoreMethod::create_user);
  auto failed = store.create_user(ann);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::unavailable);
  EXPECT_FALSE(inner.find_user("u-1")->has_value());

  store.heal(StoreMethod::create_user);
  ASSERT_TRUE(store.create_user(ann).ok());
  store.fail(StoreMethod::find_user, ErrorCode::internal);
  EXPECT_EQ(store.find_user("u-1").error().code, ErrorCode::internal);
  EXPECT_TRUE(store.find_user_by_email("ann@example.org")->has_value());  // other methods unaffected
  store.heal_all();
  EXPECT_TRUE(store.find_user("u-1")->has_value());
  EXPECT_EQ(store.calls(StoreMethod::find_user), 2u);
  EXPECT_EQ(store.calls(StoreMethod::create_user), 2u);
}

TEST(FaultyStore, HooksRunBeforeForwardedCallsOnly) {
  MemoryStore inner;
  FaultyStore store(inner);
  int runs = 0;
  store.set_hook(StoreMethod::last_seq, [&] { ++runs; });
  EXPECT_EQ(*store.last_seq("c"), 0u);
  store.fail(StoreMethod::last_seq);
  EXPECT_FALSE(store.last_seq("c").ok());
  EXPECT_EQ(runs, 1);
  store.heal_all();
  store.set_hook(StoreMethod::last_seq, {});
  EXPECT_TRUE(store.last_seq("c").ok());
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace parley
