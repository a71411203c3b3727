// Every store port method failing on demand (FaultyStore): the core
// operations that use it answer an error, never "absent", 0 or a guess, and
// change nothing: no record written, nothing acknowledged, no event sent.
// When the fault heals, the same operations succeed where they left off.

#include <set>
#include <stdexcept>

#include "unit/core_fixture.h"

namespace parley::testing {
namespace {

class StoreFaultTest : public CoreTest {
 protected:
  // A chat of ann and bob with one message (seq 1), both logged in.
  void SetUp() override {
    ann = make_user("ann");
    bob = make_user("bob");
    chat = direct(ann, bob);
    wa = login("ann");
    wb = login("bob");
    ASSERT_TRUE(send(wa, chat, "m1", "first").ok());
    ASSERT_TRUE(eventually([&] { return sink.events_of<MessageEvent>().size() == 1; }));
  }

  // Fails `method` and remembers the store and the events so far.
  // Push planning trails the commits on its own thread: lets it catch up.
  void settle() {
    ASSERT_TRUE(eventually([&] { return core->push_planner.planned_offset() == core->pipeline.committed_offset(); }));
  }
  void inject(StoreMethod method) {
    settle();
    faults.fail(method);
    before = store.dump();
    sink.clear();
  }
  void expect_unchanged() {
    EXPECT_EQ(store.dump(), before);
    EXPECT_TRUE(sink.events_of<MessageEvent>().empty());
    EXPECT_TRUE(sink.events_of<ReceiptEvent>().empty());
    EXPECT_TRUE(sink.events_of<ChatEvent>().empty());
  }
  template <typename T>
  static void expect_unavailable(const Result<T>& r) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::unavailable) << r.error().message;
  }

  UserId ann, bob;
  ChatId chat;
  AuthContext wa, wb;
  std::string before;
};

// ---- MessageLog ----------------------------------------------------------------

TEST_F(StoreFaultTest, LastSeqFailureFailsTheSendAndNeverReusesASeq) {
  rebuild();  // the commit thread forgets the chat's counter and must read it
  inject(StoreMethod::last_seq);
  expect_unavailable(send(wa, chat, "m2", "second"));
  expect_unavailable(core->conversations.mark_read(wb, chat, 1));
  expect_unchanged();

  faults.heal_all();
  auto second = send(wa, chat, "m2", "second");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->seq, 2u);  // not 1 again: message 1 is intact
  auto first = store.find(chat, 1);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->text, "first");
}

TEST_F(StoreFaultTest, ClientMsgIdLookupFailureNeverStoresAResendTwice) {
  inject(StoreMethod::find_by_client_msg_id);
  expect_unavailable(send(wa, chat, "m1", "first"));  // a resend
  expect_unavailable(send(wa, chat, "m2", "second"));
  expect_unchanged();

  faults.heal_all();
  auto resent = send(wa, chat, "m1", "first");
  ASSERT_TRUE(resent.ok());
  EXPECT_TRUE(resent->duplicate);
  EXPECT_EQ(resent->seq, 1u);
  EXPECT_EQ(*store.last_seq(chat), 1u);
}

TEST_F(StoreFaultTest, AppendFailureAcksNothingAndTheNextSendContinuesTheSequence) {
  auto head = *store.last_offset();
  inject(StoreMethod::append);
  expect_unavailable(send(wa, chat, "m2", "second"));
  expect_unchanged();
  EXPECT_EQ(core->pipeline.committed_offset(), head);

  faults.heal_all();
  auto second = send(wa, chat, "m2", "second");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->seq, 2u);
  EXPECT_EQ(second->offset, head + 1);
}

TEST_F(StoreFaultTest, LastOffsetFailureStopsStartAndFailsSendsAfterAFailedCommit) {
  faults.fail(StoreMethod::last_offset);
  EXPECT_THROW(rebuild(), std::runtime_error);
  faults.heal_all();
  rebuild();

  // After a failed commit the head is re-read; while that read fails, no
  // offset is handed out.
  faults.fail(StoreMethod::append);
  expect_unavailable(send(wa, chat, "m2", "second"));
  inject(StoreMethod::last_offset);
  faults.heal(StoreMethod::append);
  expect_unavailable(send(wa, chat, "m2", "second"));
  expect_unchanged();

  faults.heal_all();
  auto second = send(wa, chat, "m2", "second");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->offset, 2u);
}

TEST_F(StoreFaultTest, ReadBeforeFailureFailsHistoryAndChatViews) {
  inject(StoreMethod::read_before);
  expect_unavailable(core->conversations.history(ann, chat, {}));
  expect_unavailable(core->conversations.list_chats(ann));
  auto group = core->chats.create_group(ann, "g", {bob});
  ASSERT_TRUE(group.ok());  // durable; only its announcement needs the view
  EXPECT_TRUE(sink.events_of<ChatEvent>().empty());
  expect_unavailable(core->chats.view(**group, &ann));
}

TEST_F(StoreFaultTest, ReadAfterFailureFailsHistory) {
  inject(StoreMethod::read_after);
  HistoryQuery query;
  query.after = 0;
  expect_unavailable(core->conversations.history(ann, chat, query));
  expect_unchanged();
}

TEST_F(StoreFaultTest, OffsetRangeFailureFailsTheBacklog) {
  inject(StoreMethod::read_offset_range);
  expect_unavailable(core->conversations.backlog(chat, 0, core->pipeline.committed_offset(), 100));
  expect_unchanged();
}

TEST_F(StoreFaultTest, FindIsOnNoCorePath) {
  // The core reads messages by range and by client id only; a failing
  // point read must not matter to any of them.
  inject(StoreMethod::find);
  EXPECT_TRUE(send(wa, chat, "m2", "second").ok());
  EXPECT_TRUE(send(wa, chat, "m1", "first").ok());
  EXPECT_TRUE(core->conversations.history(ann, chat, {}).ok());
  EXPECT_TRUE(core->conversations.backlog(chat, 0, core->pipeline.committed_offset(), 10).ok());
  EXPECT_EQ(faults.calls(StoreMethod::find), 0u);
}

// ---- ChatStore -----------------------------------------------------------------

TEST_F(StoreFaultTest, FindChatFailureIsNeverNotFound) {
  rebuild();  // an empty chat cache: membership must be read
  inject(StoreMethod::find_chat);
  expect_unavailable(send(wa, chat, "m2", "second"));
  expect_unavailable(core->conversations.history(ann, chat, {}));
  expect_unavailable(core->conversations.mark_read(wb, chat, 1));
  EXPECT_EQ(core->conversations.typing(wa, chat).error().code, ErrorCode::unavailable);
  expect_unavailable(core->chats.find(chat));
  expect_unavailable(core->conversations.list_chats(ann));
  expect_unchanged();

  faults.heal_all();
  EXPECT_EQ(send(wa, chat, "m2", "second")->seq, 2u);
}

TEST_F(StoreFaultTest, FindDirectChatFailureNeverCreatesASecondDirectChat) {
  rebuild();
  inject(StoreMethod::find_direct_chat);
  expect_unavailable(core->chats.open_direct(bob, ann));
  expect_unchanged();

  faults.heal_all();
  auto opened = core->chats.open_direct(bob, ann);
  ASSERT_TRUE(opened.ok());
  EXPECT_FALSE(opened->created);
  EXPECT_EQ(opened->chat->id, chat);
}

TEST_F(StoreFaultTest, ChatsOfUserFailureFailsListsResumeAndPresence) {
  inject(StoreMethod::chats_of_user);
  expect_unavailable(core->conversations.list_chats(ann));
  expect_unavailable(core->conversations.resume_chats(ann));
  expect_unavailable(core->presence.query(ann, {bob}));
  std::set<UserId> watches;
  expect_unavailable(core->presence.subscribe(wa, {bob}, watches));
  EXPECT_TRUE(watches.empty());
  expect_unchanged();

  // The failed subscribe left nothing behind: bob's changes reach ann only
  // through the direct-chat contact fan-out once reads work again.
  faults.heal_all();
  core->presence.heartbeat(wb);
  for (const auto& d : sink.deliveries_of<PresenceEvent>()) EXPECT_FALSE(d.device.has_value());
}

TEST_F(StoreFaultTest, ReadMarkerFailureFailsMarkReadAndViews) {
  inject(StoreMethod::read_marker);
  expect_unavailable(core->conversations.mark_read(wb, chat, 1));
  expect_unavailable(core->conversations.list_chats(bob));
  expect_unchanged();
}

TEST_F(StoreFaultTest, ChatWritesThatFailChangeNothing) {
  auto cat = make_user("cat");
  auto group = core->chats.create_group(ann, "g", {bob});
  ASSERT_TRUE(group.ok());
  ASSERT_TRUE(send(wa, chat, "m2", "second").ok());

  inject(StoreMethod::put_chat);
  expect_unavailable(core->chats.create_group(ann, "h", {bob}));
  expect_unavailable(core->chats.add_member(ann, (*group)->id, cat));
  expect_unavailable(core->chats.remove_member(ann, (*group)->id, bob));
  expect_unavailable(core->chats.open_direct(ann, cat));
  EXPECT_FALSE((*core->chats.find((*group)->id))->has_member(cat));
  EXPECT_TRUE((*core->chats.find((*group)->id))->has_member(bob));
  faults.heal_all();
  faults.fail(StoreMethod::raise_read_markers);
  expect_unavailable(core->conversations.mark_read(wb, chat, 2));
  expect_unchanged();
}

// ---- AccountStore --------------------------------------------------------------

TEST_F(StoreFaultTest, FindUserFailureIsNeverNoSuchUser) {
  auto cat = make_user("cat");
  rebuild();  // no cached display names
  inject(StoreMethod::find_user);
  expect_unavailable(core->chats.open_direct(ann, cat));
  expect_unavailable(core->chats.create_group(ann, "g", {cat}));
  expect_unavailable(core->accounts.find_user(ann));
  expect_unavailable(core->conversations.list_chats(ann));
  expect_unavailable(core->presence.query(ann, {bob}));  // bob is offline: his stored last_active is read
  expect_unchanged();
}

TEST_F(StoreFaultTest, FindUserByEmailFailureFailsSignupAndLogin) {
  inject(StoreMethod::find_user_by_email);
  expect_unavailable(core->accounts.signup("dan@example.org", "password-dan", "dan"));
  expect_unavailable(core->accounts.login("ann@example.org", "password-ann", "tablet"));
  expect_unavailable(core->accounts.login("nobody@example.org", "password-x", "tablet"));
  expect_unchanged();
}

TEST_F(StoreFaultTest, DeviceLookupFailuresAreNeverUnauthorized) {
  auto token = core->accounts.login("ann@example.org", "password-ann", "tablet");
  ASSERT_TRUE(token.ok());
  AuthContext tablet{token->user_id, token->device_id};
  ASSERT_TRUE(core->accounts.set_push(tablet, {"webhook", "http://127.0.0.1:9/a"}).ok());

  inject(StoreMethod::find_device);
  EXPECT_EQ(core->accounts.logout(tablet).error().code, ErrorCode::unavailable);
  EXPECT_EQ(core->accounts.set_push(tablet, {"webhook", "http://127.0.0.1:9/b"}).error().code, ErrorCode::unavailable);
  EXPECT_EQ(core->accounts.clear_push(tablet).error().code, ErrorCode::unavailable);
  faults.heal_all();
  faults.fail(StoreMethod::find_device_by_token);
  expect_unavailable(core->accounts.authenticate(token->token));
  expect_unchanged();

  faults.heal_all();
  EXPECT_TRUE(core->accounts.authenticate(token->token).ok());
}

TEST_F(StoreFaultTest, PushPlanningFailuresNeverFailASendNorLoseItsPush) {
  config.push_retry_initial_ms = 5;
  config.push_retry_max_ms = 20;
  settle();  // message 1 is planned before bob registers: no push for it
  ASSERT_TRUE(core->accounts.set_push(wb, {"webhook", "http://127.0.0.1:9/b"}).ok());
  for (StoreMethod method : {StoreMethod::devices_of_user, StoreMethod::read_log, StoreMethod::put_planned_push_jobs}) {
    SCOPED_TRACE(to_string(method));
    rebuild();  // no cached push targets
    const std::size_t pushed = push_sender.sent_count();
    const LogOffset planned = core->push_planner.planned_offset();
    faults.fail(method);
    auto sent = send(wa, chat, std::string("for-") + to_string(method), "x");  // bob has no connected device
    ASSERT_TRUE(sent.ok());                                                    // planning is not on the commit path
    ASSERT_TRUE(eventually([&] { return faults.calls(method) >= 2; }));        // retried
    EXPECT_EQ(core->push_planner.planned_offset(), planned);
    EXPECT_EQ(push_sender.sent_count(), pushed);
    faults.heal_all();
    ASSERT_TRUE(eventually([&] { return push_sender.sent_count() == pushed + 1; }));
    EXPECT_EQ(push_sender.sent().back().seq, sent->seq);
    EXPECT_EQ(core->push_planner.planned_offset(), sent->offset);
  }
  EXPECT_EQ(*store.push_planned_offset(0), std::optional<LogOffset>(*store.last_offset()));
}

TEST_F(StoreFaultTest, PushTargetsFailureIsAnError) {
  rebuild();
  inject(StoreMethod::devices_of_user);
  expect_unavailable(core->accounts.push_targets(bob));
  expect_unchanged();
}

TEST_F(StoreFaultTest, AccountWritesThatFailChangeNothing) {
  inject(StoreMethod::create_user);
  expect_unavailable(core->accounts.signup("dan@example.org", "password-dan", "dan"));
  faults.heal_all();
  faults.fail(StoreMethod::put_device);
  expect_unavailable(core->accounts.login("ann@example.org", "password-ann", "tablet"));
  EXPECT_EQ(core->accounts.set_push(wa, {"webhook", "http://127.0.0.1:9/a"}).error().code, ErrorCode::unavailable);
  EXPECT_EQ(core->accounts.logout(wa).error().code, ErrorCode::unavailable);
  expect_unchanged();
  faults.heal_all();
  EXPECT_TRUE((*core->accounts.push_targets(ann))->empty());
}

// ---- PushJobStore --------------------------------------------------------------

TEST_F(StoreFaultTest, StartFailsLoudlyRatherThanDropOrReplanPushes) {
  for (StoreMethod method : {StoreMethod::load_push_jobs, StoreMethod::push_planned_offset}) {
    SCOPED_TRACE(to_string(method));
    faults.fail(method);
    EXPECT_THROW(rebuild(), std::runtime_error);
    faults.heal_all();
    EXPECT_NO_THROW(rebuild());
  }
}

}  // namespace
}  // namespace parley::testing
