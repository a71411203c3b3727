// MessagePipeline: seq assignment, idempotency, validation, fan-out, push jobs.

#include <future>
#include <set>
#include <thread>

#include "core/local_sequencer.h"
#include "unit/core_fixture.h"
#include "unit/held_call.h"

namespace parley::testing {
namespace {

using PipelineTest = CoreTest;

// The default two-step fan-out of a bus that asks who is connected: one
// question for the batch, each distinct list once, and nothing delivered
// before deliver().
TEST(EventSinkFanOut, OneQuestionPerBatchAndDeliveriesOnlyWhenAsked) {
  RecordingEventSink sink;
  sink.set_connected("ann", true);
  sink.set_connected("cat", true);
  auto pair = std::make_shared<const std::vector<UserId>>(std::vector<UserId>{"ann", "bob"});
  auto group = std::make_shared<const std::vector<UserId>>(std::vector<UserId>{"bob", "cat", "dan"});
  auto typing = [](const char* user) { return std::make_shared<const Event>(TypingEvent{"c", user}); };
  std::vector<FanOutItem> items{{pair, typing("1")}, {group, typing("2")}, {pair, typing("3")}};
  const std::size_t questions = sink.connectivity_questions();
  auto prepared = sink.prepare_fan_out(std::move(items));
  EXPECT_EQ(sink.connectivity_questions() - questions, 1u);
  EXPECT_EQ(sink.delivery_count(), 0u);
  EXPECT_TRUE(prepared->connected(0, 0));
  EXPECT_FALSE(prepared->connected(0, 1));
  EXPECT_FALSE(prepared->connected(1, 0));
  EXPECT_TRUE(prepared->connected(1, 1));
  EXPECT_FALSE(prepared->connected(1, 2));
  EXPECT_TRUE(prepared->connected(2, 0));
  EXPECT_FALSE(prepared->connected(2, 1));

  // Who is connected was settled when prepared.
  sink.set_connected("ann", false);
  EXPECT_TRUE(prepared->connected(2, 0));
  prepared->deliver();
  auto delivered = sink.deliveries_of<TypingEvent>();
  ASSERT_EQ(delivered.size(), 3u);
  EXPECT_EQ(delivered[0].event.user_id, "1");
  EXPECT_EQ(delivered[1].event.user_id, "2");
  EXPECT_EQ(delivered[2].event.user_id, "3");
  EXPECT_EQ(delivered[1].users, *group);
  EXPECT_EQ(delivered[2].users, *pair);
}

TEST(EventSinkFanOut, AnEmptyBatchOrListAsksNothing) {
  RecordingEventSink sink;
  const std::size_t questions = sink.connectivity_questions();
  auto none = sink.prepare_fan_out({});
  none->deliver();
  auto nobody = std::make_shared<const std::vector<UserId>>();
  auto prepared = sink.prepare_fan_out({{nobody, std::make_shared<const Event>(TypingEvent{"c", "u"})}});
  prepared->deliver();
  EXPECT_EQ(sink.connectivity_questions(), questions);
  EXPECT_EQ(sink.delivery_count(), 0u);
}

TEST_F(PipelineTest, SeqStartsAtOneAndIsGapFreeUnderConcurrentSenders) {
  auto a = make_user("ann"), b = make_user("bob");
  auto chat = direct(a, b);
  auto wa = login("ann"), wb = login("bob");
  constexpr int kPerSender = 200;
  std::vector<std::thread> senders;
  std::mutex mutex;
  std::vector<Seq> seqs;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerSender; ++i) {
        auto r = send(t % 2 ? wa : wb, chat, "t" + std::to_string(t) + "-" + std::to_string(i), "hi");
        ASSERT_TRUE(r.ok());
        std::lock_guard lock(mutex);
        seqs.push_back(r->seq);
      }
    });
  }
  for (auto& s : senders) s.join();
  std::sort(seqs.begin(), seqs.end());
  ASSERT_EQ(seqs.size(), 4u * kPerSender);
  for (std::size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
  EXPECT_EQ(*store.last_seq(chat), seqs.size());
}

TEST_F(PipelineTest, SameClientMsgIdGivesSameSeqAndOneDelivery) {
  auto a = make_user("ann"), b = make_user("bob");
  auto chat = direct(a, b);
  auto who = login("ann");
  sink.clear();
  auto first = send(who, chat, "m1", "hello");
  ASSERT_TRUE(eventually([&] { return sink.deliveries_of<MessageEvent>().size() == 1; }));
  auto again = send(who, chat, "m1", "hello");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->seq, again->seq);
  EXPECT_EQ(first->ts, again->ts);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(sink.events_of<MessageEvent>().size(), 1u);
  EXPECT_EQ(*store.last_seq(chat), 1u);
}

TEST_F(PipelineTest, ResendInTheSameBatchIsStillOneMessage) {
  auto a = make_user("ann"), b = make_user("bob");
  auto chat = direct(a, b);
  auto who = login("ann");
  std::vector<std::future<Result<SendAck>>> futures;
  for (int i = 0; i < 50; ++i) {
    auto promise = std::make_shared<std::promise<Result<SendAck>>>();
    futures.push_back(promise->get_future());
    core->pipeline.submit(SendRequest{who, chat, "same", "x"},
                          [promise](Result<SendAck> r) { promise->set_value(std::move(r)); });
  }
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->seq, 1u);
  }
  EXPECT_EQ(*store.last_seq(chat), 1u);
}

TEST_F(PipelineTest, ClientMsgIdIsScopedToSenderAndChat) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto ab = direct(a, b), ac = direct(a, c);
  auto wa = login("ann"), wb = login("bob");
  EXPECT_EQ(send(wa, ab, "x", "1")->seq, 1u);
  EXPECT_EQ(send(wb, ab, "x", "2")->seq, 2u);
  EXPECT_EQ(send(wa, ac, "x", "3")->seq, 1u);
}

TEST_F(PipelineTest, BadSendsAreRejectedAndStoreNothing) {
  config.max_text_bytes = 10;
  rebuild();
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto chat = direct(a, b);
  auto wa = login("ann"), wc = login("cat");
  EXPECT_EQ(send(wa, chat, "m", "").error().code, ErrorCode::empty_text);
  EXPECT_EQ(send(wa, chat, "m", "01234567890").error().code, ErrorCode::text_too_long);
  EXPECT_EQ(send(wa, chat, "m", "\xc3\x28").error().code, ErrorCode::invalid_utf8);
  EXPECT_EQ(send(wa, chat, "", "ok").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(send(wc, chat, "m", "ok").error().code, ErrorCode::forbidden);
  EXPECT_EQ(send(wa, "no-such-chat", "m", "ok").error().code, ErrorCode::not_found);
  EXPECT_EQ(*store.last_seq(chat), 0u);
  EXPECT_EQ(*store.last_offset(), 0u);
  EXPECT_EQ(send(wa, chat, "m", "0123456789")->seq, 1u);
}

TEST_F(PipelineTest, FanOutGoesToEveryMemberAndAckComesFirst) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto group = core->chats.create_group(a, "g", {b, c});
  auto wa = login("ann");
  sink.clear();
  auto ack = send(wa, (*group)->id, "m1", "hello all");
  ASSERT_TRUE(ack.ok());
  // Fan-out follows the ack on the commit thread.
  ASSERT_TRUE(eventually([&] { return sink.deliveries_of<MessageEvent>().size() == 1; }));
  auto events = sink.deliveries_of<MessageEvent>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::set<UserId>(events[0].users.begin(), events[0].users.end()), (std::set<UserId>{a, b, c}));
  EXPECT_EQ(events[0].event.message.seq, ack->seq);
  EXPECT_EQ(events[0].event.message.offset, ack->offset);
  EXPECT_EQ(core->pipeline.committed_offset(), ack->offset);
}

TEST_F(PipelineTest, RemovedMemberGetsNothingMore) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto group = core->chats.create_group(a, "g", {b, c});
  ASSERT_TRUE(core->chats.remove_member(a, (*group)->id, c).ok());
  // The removal's timeline line ("ann removed cat") goes to the others first.
  ASSERT_TRUE(eventually([&] { return sink.deliveries_of<MessageEvent>().size() == 1; }));
  sink.clear();
  ASSERT_TRUE(send(login("ann"), (*group)->id, "m1", "secret").ok());
  ASSERT_TRUE(eventually([&] { return sink.deliveries_of<MessageEvent>().size() == 1; }));
  auto events = sink.deliveries_of<MessageEvent>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::count(events[0].users.begin(), events[0].users.end(), c), 0);
  // Cat still reads the group up to her removal: nothing said since.
  auto history = core->conversations.history(c, (*group)->id, {});
  ASSERT_TRUE(history.ok());
  for (const Message& m : *history) EXPECT_NE(m.text, "secret");
}

TEST_F(PipelineTest, OfflineRecipientsWithPushGetOneJobPerDevice) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto group = core->chats.create_group(a, "g", {b, c});
  auto wa = login("ann");
  auto b1 = login("bob"), b2 = login("bob"), c1 = login("cat");
  ASSERT_TRUE(core->accounts.set_push(b1, {"webhook", "http://127.0.0.1:1/b1"}).ok());
  ASSERT_TRUE(core->accounts.set_push(b2, {"webhook", "http://127.0.0.1:1/b2"}).ok());
  ASSERT_TRUE(core->accounts.set_push(c1, {"webhook", "http://127.0.0.1:1/c1"}).ok());
  ASSERT_TRUE(core->accounts.set_push(wa, {"webhook", "http://127.0.0.1:1/a"}).ok());
  sink.set_connected(c, true);  // cat is online: no push
  std::string text(150, 'x');
  ASSERT_TRUE(send(wa, (*group)->id, "m1", text).ok());
  ASSERT_TRUE(eventually([&] { return push_sender.sent_count() >= 2; }));
  auto jobs = push_sender.sent();
  ASSERT_EQ(jobs.size(), 2u);
  std::set<DeviceId> devices;
  for (const auto& j : jobs) {
    EXPECT_EQ(j.user_id, b);
    EXPECT_EQ(j.sender_id, a);
    EXPECT_EQ(j.seq, 1u);
    EXPECT_EQ(j.preview.size(), 100u);
    devices.insert(j.device_id);
  }
  EXPECT_EQ(devices, (std::set<DeviceId>{b1.device_id, b2.device_id}));
}

TEST_F(PipelineTest, SeqContinuesAfterRestart) {
  auto a = make_user("ann"), b = make_user("bob");
  auto chat = direct(a, b);
  auto wa = login("ann");
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(send(wa, chat, "m" + std::to_string(i), "x")->seq, Seq(i));
  auto offset = core->pipeline.committed_offset();
  rebuild();
  EXPECT_EQ(core->pipeline.committed_offset(), offset);
  EXPECT_EQ(send(wa, chat, "m4", "x")->seq, 4u);
  EXPECT_EQ(send(wa, chat, "m1", "x")->seq, 1u);  // dedup survives the restart
}

TEST_F(PipelineTest, StopAnswersEverythingAlreadySubmitted) {
  auto a = make_user("ann"), b = make_user("bob");
  auto chat = direct(a, b);
  auto wa = login("ann");
  std::atomic<int> acked{0};
  for (int i = 0; i < 500; ++i) {
    core->pipeline.submit(SendRequest{wa, chat, "m" + std::to_string(i), "x"}, [&](Result<SendAck> r) {
      if (r.ok()) ++acked;
    });
  }
  core->pipeline.stop();
  EXPECT_EQ(acked.load(), 500);
  EXPECT_EQ(*store.last_seq(chat), 500u);
  EXPECT_EQ(send(wa, chat, "late", "x").error().code, ErrorCode::overloaded);
}

// The queue is bounded by how long its oldest send has waited, by the
// core's clock: past the bound new sends are refused at once, and what was
// accepted is still stored.
TEST_F(PipelineTest, SendsAreRefusedWhileTheOldestWaitingOneHasWaitedTooLong) {
  config.max_pending_send_wait_ms = 500;
  rebuild();
  auto a = make_user("ann"), b = make_user("bob");
  auto chat = direct(a, b);
  auto wa = login("ann");
  HoldFirstCall held;
  faults.set_hook(StoreMethod::append, held.hook());
  std::vector<std::future<Result<SendAck>>> accepted;
  auto submit = [&](const std::string& id) {
    auto promise = std::make_shared<std::promise<Result<SendAck>>>();
    auto future = promise->get_future();
    core->pipeline.submit(SendRequest{wa, chat, id, "x"}, [promise](Result<SendAck> r) { promise->set_value(r); });
    return future;
  };
  accepted.push_back(submit("being-stored"));
  ASSERT_TRUE(held.wait_entered());  // the commit thread is in the store with it
  accepted.push_back(submit("waits"));
  clock.advance(500);
  accepted.push_back(submit("waits-too"));  // the oldest has waited 500 ms: not past the bound
  clock.advance(1);
  auto refused = submit("refused");
  ASSERT_EQ(refused.wait_for(std::chrono::seconds(0)), std::future_status::ready) << "not answered at once";
  auto answer = refused.get();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::overloaded);
  held.release();
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    auto r = accepted[i].get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->seq, i + 1);
  }
  faults.set_hook(StoreMethod::append, nullptr);
  EXPECT_EQ(send(wa, chat, "after", "x")->seq, 4u);  // nothing waits now: accepted again
  EXPECT_EQ(*store.last_seq(chat), 4u);
}

// This node's cached chat is older than what the sequencer heard of: another
// node changed the members, and its notice has not arrived (or was lost).
class StaleChatTest : public CoreTest {
 protected:
  StaleChatTest() {
    own_sequencer.start();
    sequencer = &own_sequencer;
    rebuild();
  }
  ~StaleChatTest() override {
    core->stop();
    core.reset();
  }

  // ann, bob and cy in a group; then cy is removed as another node would do
  // it: the next version stored and the sequencer told, this node's cache
  // left as it was.
  void SetUp() override {
    a = make_user("ann"), b = make_user("bob"), c = make_user("cy");
    auto group = core->chats.create_group(a, "g", {b, c});
    ASSERT_TRUE(group.ok());
    chat = (*group)->id;
    Chat next = **group;
    std::erase_if(next.members, [&](const Member& m) { return m.user_id == c; });
    next.version = (*group)->version + 1;
    ASSERT_TRUE(store.put_chat(next).ok());
    ASSERT_TRUE(own_sequencer.chat_changed(chat, next.version).ok());
  }

  LocalSequencer own_sequencer{faults};
  UserId a, b, c;
  ChatId chat;
};

TEST_F(StaleChatTest, ASendValidatedAgainstAnOlderChatIsValidatedAgainAndSkipsTheRemovedMember) {
  auto r = send(login("ann"), chat, "m1", "after cy left");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->seq, 1u);
  ASSERT_TRUE(eventually([&] { return sink.deliveries_of<MessageEvent>().size() == 1; }));
  const auto delivered = sink.deliveries_of<MessageEvent>()[0].users;
  EXPECT_EQ(std::count(delivered.begin(), delivered.end(), c), 0) << "delivered to the removed member";
  EXPECT_EQ(std::count(delivered.begin(), delivered.end(), b), 1);
  auto cached = core->chats.find(chat);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ((*cached)->version, 2u) << "the chat was reloaded";
}

TEST_F(StaleChatTest, ARemovedSenderValidatedAgainstAnOlderChatIsRefusedAndNothingIsStored) {
  auto r = send(login("cy"), chat, "m1", "after I left");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::forbidden);
  EXPECT_EQ(*store.last_seq(chat), 0u);
  EXPECT_TRUE(sink.deliveries_of<MessageEvent>().empty());
}

}  // namespace
}  // namespace parley::testing
