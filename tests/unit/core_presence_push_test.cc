// Presence, the push dispatcher and conversations (history, receipts, typing).

#include <thread>

#include "core/text.h"
#include "unit/core_fixture.h"

namespace parley::testing {
namespace {

using PresenceTest = CoreTest;
class PushTest : public CoreTest {
 protected:
  // A job as the planner stores it, on shard 0, taken up by the next start.
  void plant_job() {
    std::vector<PushJob> jobs(1);
    jobs[0].user_id = "u";
    jobs[0].device_id = "d";
    jobs[0].url = "http://127.0.0.1:1/";
    jobs[0].next_attempt_at = clock.now_ms();
    jobs[0].give_up_at = clock.now_ms() + config.push_give_up_after_ms;
    auto planned = *store.push_planned_offset(0);
    ASSERT_TRUE(store.put_planned_push_jobs(jobs, 0, planned, planned.value_or(0)).ok());
  }
};
using ConversationsTest = CoreTest;

TEST_F(PresenceTest, HeartbeatMakesOnlineAndSilenceMakesOfflineAfterTheTimeout) {
  auto a = make_user("ann"), b = make_user("bob");
  direct(a, b);
  auto wa = login("ann");
  sink.clear();
  core->presence.heartbeat(wa);
  auto events = sink.deliveries_of<PresenceEvent>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].event.online);
  EXPECT_EQ(events[0].users, std::vector<UserId>{b});

  clock.advance(config.presence_timeout_ms - 1);
  core->presence.sweep();
  EXPECT_EQ(sink.events_of<PresenceEvent>().size(), 1u);
  TimeMs last_heartbeat = clock.now_ms() - (config.presence_timeout_ms - 1);
  clock.advance(1);
  core->presence.sweep();
  auto all = sink.events_of<PresenceEvent>();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[1].online);
  EXPECT_EQ(all[1].last_active_at, last_heartbeat);
  // Stored by the writer thread; answered right away whether stored yet or not.
  auto status = core->presence.query(b, {a});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)[0].last_active_at, last_heartbeat);
  EXPECT_TRUE(eventually([&] { return (*store.find_user(a))->last_active_at == last_heartbeat; }));
}

TEST_F(PresenceTest, AnyDeviceKeepsTheUserOnline) {
  auto a = make_user("ann"), b = make_user("bob");
  direct(a, b);
  auto phone = login("ann"), laptop = login("ann");
  core->presence.heartbeat(phone);
  clock.advance(config.presence_timeout_ms / 2);
  core->presence.heartbeat(laptop);
  clock.advance(config.presence_timeout_ms / 2 + 1);
  core->presence.sweep();
  auto status = core->presence.query(b, {a});
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE((*status)[0].online);
}

TEST_F(PresenceTest, LogoutOfTheLastDeviceIsOfflineAtOnce) {
  auto a = make_user("ann"), b = make_user("bob");
  direct(a, b);
  auto wa = login("ann");
  core->presence.heartbeat(wa);
  core->presence.logged_out(wa);
  auto events = sink.events_of<PresenceEvent>();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[1].online);
}

TEST_F(PresenceTest, ACleanCloseIsOfflineAfterTheGraceAndAReloadWithinItPublishesNothing) {
  ASSERT_LT(config.offline_grace_ms, config.presence_timeout_ms);
  auto a = make_user("ann"), b = make_user("bob");
  direct(a, b);
  auto wa = login("ann");
  core->presence.connected(wa);
  const TimeMs last_heartbeat = clock.now_ms();
  sink.clear();
  // A reload: closed cleanly, back within the grace.
  core->presence.disconnected(wa, true);
  clock.advance(config.offline_grace_ms - 1);
  core->presence.sweep();
  core->presence.connected(wa);
  clock.advance(config.offline_grace_ms);
  core->presence.sweep();
  EXPECT_TRUE(sink.events_of<PresenceEvent>().empty());
  // Two tabs of the device: closing one keeps the user online.
  core->presence.connected(wa);
  core->presence.disconnected(wa, true);
  clock.advance(config.offline_grace_ms);
  core->presence.sweep();
  EXPECT_TRUE(sink.events_of<PresenceEvent>().empty());
  // The last one closes: offline once the grace passed, well before the timeout.
  core->presence.disconnected(wa, true);
  clock.advance(config.offline_grace_ms - 1);
  core->presence.sweep();
  EXPECT_TRUE(sink.events_of<PresenceEvent>().empty());
  clock.advance(1);
  core->presence.sweep();
  auto events = sink.deliveries_of<PresenceEvent>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].event.online);
  EXPECT_EQ(events[0].event.last_active_at, last_heartbeat + 2 * config.offline_grace_ms - 1);
  EXPECT_EQ(events[0].users, std::vector<UserId>{b});
  auto status = core->presence.query(b, {a});
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE((*status)[0].online);
}

TEST_F(PresenceTest, AConnectionThatVanishedIsLeftToTheTimeout) {
  auto a = make_user("ann"), b = make_user("bob");
  direct(a, b);
  auto wa = login("ann");
  core->presence.connected(wa);
  sink.clear();
  core->presence.disconnected(wa, false);
  clock.advance(config.offline_grace_ms);
  core->presence.sweep();
  EXPECT_TRUE(sink.events_of<PresenceEvent>().empty());
  clock.advance(config.presence_timeout_ms - config.offline_grace_ms);
  core->presence.sweep();
  auto events = sink.events_of<PresenceEvent>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].online);
}

TEST_F(PresenceTest, StrangersAreForbiddenAndSubscribersAreTold) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto group = core->chats.create_group(b, "g", {c});
  auto wa = login("ann"), wb = login("bob"), wc = login("cat");
  EXPECT_EQ(core->presence.query(a, {b}).error().code, ErrorCode::forbidden);
  std::set<UserId> a_watches, b_watches;
  EXPECT_EQ(core->presence.subscribe(wa, {b}, a_watches).error().code, ErrorCode::forbidden);
  EXPECT_TRUE(a_watches.empty());
  auto now = core->presence.subscribe(wb, {c}, b_watches);
  ASSERT_TRUE(now.ok());
  EXPECT_FALSE((*now)[0].online);
  sink.clear();
  core->presence.heartbeat(wc);
  auto events = sink.deliveries_of<PresenceEvent>();
  ASSERT_EQ(events.size(), 2u);  // no direct contacts (empty list), then bob's subscribed device
  EXPECT_EQ(events[1].device, std::optional<DeviceId>(wb.device_id));
  core->presence.unsubscribe_all(wb);
  sink.clear();
  core->presence.logged_out(wc);
  EXPECT_EQ(sink.deliveries_of<PresenceEvent>().size(), 1u);  // only the contact fan-out call
}

TEST_F(PresenceTest, SubscriptionsOfTwoConnectionsOfOneDeviceAreCounted) {
  auto b = make_user("bob"), c = make_user("cat");
  ASSERT_TRUE(core->chats.create_group(b, "g", {c}).ok());
  auto wb = login("bob"), wc = login("cat");
  std::set<UserId> first_tab, second_tab;
  ASSERT_TRUE(core->presence.subscribe(wb, {c}, first_tab).ok());
  ASSERT_TRUE(core->presence.subscribe(wb, {c, c}, second_tab).ok());
  ASSERT_TRUE(core->presence.subscribe(wb, {c}, second_tab).ok());  // asking again counts nothing new
  core->presence.unsubscribe(wb, {c});                              // the first tab closes
  sink.clear();
  core->presence.heartbeat(wc);
  EXPECT_EQ(sink.deliveries_of<PresenceEvent>().size(), 2u);  // contacts, then the device still subscribed
  core->presence.unsubscribe(wb, {c});                        // the second tab closes
  sink.clear();
  core->presence.logged_out(wc);
  EXPECT_EQ(sink.deliveries_of<PresenceEvent>().size(), 1u);
}

TEST_F(PushTest, FailedPushesAreRetriedWithBackoffAndSurviveRestart) {
  config.push_retry_initial_ms = 1000;
  push_sender.set_outcome(RecordingPushSender::Outcome::failed);
  plant_job();
  rebuild();
  ASSERT_TRUE(eventually([&] { return push_sender.sent_count() == 1; }));
  ASSERT_TRUE(eventually([&] { return (*store.load_push_jobs(0))[0].attempts == 1; }));
  ASSERT_EQ(store.load_push_jobs(0)->size(), 1u);
  clock.advance(999);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // give a wrong early retry its chance
  EXPECT_EQ(push_sender.sent_count(), 1u);
  clock.advance(1);
  ASSERT_TRUE(eventually([&] { return push_sender.sent_count() == 2; }));
  clock.advance(1999);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(push_sender.sent_count(), 2u);  // the second delay is doubled

  push_sender.set_outcome(RecordingPushSender::Outcome::delivered);
  rebuild();  // a restart reloads the pending job
  clock.advance(1);
  ASSERT_TRUE(eventually([&] { return push_sender.sent_count() == 3; }));
  ASSERT_TRUE(eventually([&] { return store.load_push_jobs(0)->empty(); }));
  EXPECT_EQ(core->push.pending(), 0u);
}

TEST_F(PushTest, AJobIsDroppedAfterItsGiveUpTime) {
  config.push_retry_initial_ms = 1000;
  config.push_give_up_after_ms = 1500;
  push_sender.set_outcome(RecordingPushSender::Outcome::failed);
  plant_job();
  rebuild();
  ASSERT_TRUE(eventually([&] { return push_sender.sent_count() == 1; }));
  clock.advance(1000);
  ASSERT_TRUE(eventually([&] { return push_sender.sent_count() == 2; }));
  ASSERT_TRUE(eventually([&] { return store.load_push_jobs(0)->empty(); }));
}

// A Web Push subscription the push service no longer knows (404/410): the job
// goes and so does the device's registration, so nothing more is planned for it.
TEST_F(PushTest, AGoneSubscriptionDropsTheJobAndTheRegistration) {
  make_user("ann");
  auto who = login("ann");
  const PushRegistration subscription{"webpush", "https://push.example/s/1", "key", "secret"};
  ASSERT_TRUE(core->accounts.set_push(who, subscription).ok());
  push_sender.set_outcome(RecordingPushSender::Outcome::gone);
  std::vector<PushJob> jobs(1);
  jobs[0].user_id = who.user_id;
  jobs[0].device_id = who.device_id;
  jobs[0].url = subscription.url;
  jobs[0].provider = "webpush";
  jobs[0].give_up_at = clock.now_ms() + config.push_give_up_after_ms;
  auto planned = *store.push_planned_offset(0);
  ASSERT_TRUE(store.put_planned_push_jobs(jobs, 0, planned, planned.value_or(0)).ok());
  core->push.schedule(jobs);
  ASSERT_TRUE(eventually([&] { return push_sender.sent_count() == 1; }));
  ASSERT_TRUE(eventually([&] { return !(*store.find_device(who.device_id))->push.has_value(); }));
  EXPECT_TRUE(store.load_push_jobs(0)->empty());
  EXPECT_TRUE((*core->accounts.push_targets(who.user_id))->empty());
  EXPECT_EQ(core->push.pending(), 0u);
}

TEST_F(PushTest, AGoneSubscriptionLeavesANewerRegistrationOfTheDevice) {
  make_user("ann");
  auto who = login("ann");
  const PushRegistration renewed{"webpush", "https://push.example/s/2", "key", "secret"};
  ASSERT_TRUE(core->accounts.set_push(who, renewed).ok());
  push_sender.set_outcome(RecordingPushSender::Outcome::gone);
  std::vector<PushJob> jobs(1);
  jobs[0].user_id = who.user_id;
  jobs[0].device_id = who.device_id;
  jobs[0].url = "https://push.example/s/1";  // planned for the old subscription
  jobs[0].provider = "webpush";
  jobs[0].give_up_at = clock.now_ms() + config.push_give_up_after_ms;
  auto planned = *store.push_planned_offset(0);
  ASSERT_TRUE(store.put_planned_push_jobs(jobs, 0, planned, planned.value_or(0)).ok());
  core->push.schedule(jobs);
  ASSERT_TRUE(eventually([&] { return store.load_push_jobs(0)->empty(); }));
  ASSERT_TRUE(eventually([&] { return core->push.pending() == 0; }));
  auto device = *store.find_device(who.device_id);
  ASSERT_TRUE(device->push.has_value());
  EXPECT_EQ(device->push->url, renewed.url);
}

TEST_F(PushTest, ARefusedPushIsNotRetriedAndKeepsTheRegistration) {
  config.push_retry_initial_ms = 1000;
  push_sender.set_outcome(RecordingPushSender::Outcome::rejected);
  plant_job();
  rebuild();
  ASSERT_TRUE(eventually([&] { return push_sender.sent_count() == 1; }));
  ASSERT_TRUE(eventually([&] { return store.load_push_jobs(0)->empty(); }));
  clock.advance(10'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // give a wrong retry its chance
  EXPECT_EQ(push_sender.sent_count(), 1u);
}

TEST_F(ConversationsTest, HistoryPagesBothWays) {
  auto a = make_user("ann"), b = make_user("bob");
  auto chat = direct(a, b);
  auto wa = login("ann");
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(send(wa, chat, "m" + std::to_string(i), "t").ok());
  auto newest = core->conversations.history(a, chat, {std::nullopt, std::nullopt, 3});
  ASSERT_EQ(newest->size(), 3u);
  EXPECT_EQ((*newest)[0].seq, 10u);
  EXPECT_EQ((*newest)[2].seq, 8u);
  auto older = core->conversations.history(a, chat, {Seq{8}, std::nullopt, 50});
  ASSERT_EQ(older->size(), 7u);
  EXPECT_EQ(older->front().seq, 7u);
  EXPECT_EQ(older->back().seq, 1u);
  auto gap = core->conversations.history(b, chat, {std::nullopt, Seq{4}, 2});
  ASSERT_EQ(gap->size(), 2u);
  EXPECT_EQ((*gap)[0].seq, 5u);
  EXPECT_EQ((*gap)[1].seq, 6u);
  EXPECT_TRUE(core->conversations.history(a, chat, {Seq{1}, std::nullopt, 50})->empty());
  EXPECT_EQ(core->conversations.history(a, chat, {std::nullopt, std::nullopt, 201}).error().code,
            ErrorCode::invalid_request);
  EXPECT_EQ(core->conversations.history(a, chat, {Seq{3}, Seq{1}, 5}).error().code, ErrorCode::invalid_request);
}

TEST_F(ConversationsTest, ReadMarkerNeverGoesBackOrPastTheEnd) {
  auto a = make_user("ann"), b = make_user("bob");
  auto chat = direct(a, b);
  auto wa = login("ann"), wb = login("bob");
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(send(wa, chat, "m" + std::to_string(i), "t").ok());
  sink.clear();
  EXPECT_EQ(*core->conversations.mark_read(wb, chat, 3), 3u);
  EXPECT_EQ(*core->conversations.mark_read(wb, chat, 2), 3u);
  EXPECT_EQ(*core->conversations.mark_read(wb, chat, 99), 5u);
  auto receipts = sink.deliveries_of<ReceiptEvent>();
  ASSERT_EQ(receipts.size(), 2u);  // the backwards move told nobody
  EXPECT_EQ(receipts[0].except, std::optional<DeviceId>(wb.device_id));
  EXPECT_EQ(receipts[1].event.read_seq, 5u);
  EXPECT_EQ(*store.read_marker(chat, b), 5u);
  EXPECT_EQ(core->conversations.mark_read(login("ann"), "nope", 1).error().code, ErrorCode::not_found);
}

TEST_F(ConversationsTest, TypingGoesToTheOthersOnly) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto chat = direct(a, b);
  sink.clear();
  ASSERT_TRUE(core->conversations.typing(login("ann"), chat).ok());
  auto typing = sink.deliveries_of<TypingEvent>();
  ASSERT_EQ(typing.size(), 1u);
  EXPECT_EQ(typing[0].users, std::vector<UserId>{b});
  EXPECT_EQ(core->conversations.typing(login("cat"), chat).error().code, ErrorCode::forbidden);
}

TEST_F(ConversationsTest, BacklogFollowsLogOffsetsPerChat) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto ab = direct(a, b), ac = direct(a, c);
  auto wa = login("ann");
  auto first = send(wa, ab, "1", "x");
  ASSERT_TRUE(send(wa, ac, "2", "x").ok());
  ASSERT_TRUE(send(wa, ab, "3", "x").ok());
  auto head = core->pipeline.committed_offset();
  auto backlog = core->conversations.backlog(ab, first->offset, head, 100);
  ASSERT_TRUE(backlog.ok());
  ASSERT_EQ(backlog->size(), 1u);
  EXPECT_EQ((*backlog)[0].seq, 2u);
  EXPECT_EQ(*core->conversations.resume_chats(b), (std::vector<Conversations::OwedChat>{{ab, 0, std::nullopt}}));
}

TEST(TextTest, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("héllo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_EQ(utf8_prefix("h\xc3\xa9llo", 2), "h\xc3\xa9");
  EXPECT_EQ(utf8_prefix("ab", 5), "ab");
}

}  // namespace
}  // namespace parley::testing
