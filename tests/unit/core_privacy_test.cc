// Blocking, message requests and the presence privacy setting in the core:
// what each path (sends, history, resume, chat views, receipts, typing,
// presence queries and fan-out, pushes) lets through.
#include <algorithm>
#include <set>

#include "core/resume_reader.h"
#include "core_fixture.h"

namespace parley::testing {
namespace {

template <typename T>
T value_of(Result<T> result) {
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(*result) : T{};
}

class PrivacyTest : public CoreTest {
 protected:
  PrivacyTest() {
    ann = make_user("ann");
    bob = make_user("bob");
    wa = login("ann");
    wb = login("bob");
  }

  // The texts of `user`'s history of the chat, oldest first.
  std::vector<std::string> history_texts(const UserId& user, const ChatId& chat) {
    auto page = core->conversations.history(user, chat, HistoryQuery{});
    EXPECT_TRUE(page.ok());
    std::vector<std::string> out;
    if (!page) return out;
    for (auto it = page->rbegin(); it != page->rend(); ++it) out.push_back(it->text);
    return out;
  }

  // The texts `user` gets on a resume from the start of the log.
  std::vector<std::string> resume_texts(const UserId& user) {
    auto reader = ResumeReader::open(
        core->conversations, user, LogPosition{}, [&] { return core->pipeline.committed_position(); }, ResumeLimits{});
    EXPECT_TRUE(reader.ok());
    std::vector<std::string> out;
    while (reader && !reader->done()) {
      auto page = reader->next_page();
      EXPECT_TRUE(page.ok());
      if (!page) break;
      for (const auto& m : *page) out.push_back(m.text);
    }
    return out;
  }

  // Users a message event with this text was delivered to, once it was
  // delivered (fan-out follows the ack).
  std::set<UserId> receivers_of(const std::string& text) {
    EXPECT_TRUE(eventually([&] { return !delivered_to(text).empty(); })) << text << " was never delivered";
    return delivered_to(text);
  }
  std::set<UserId> delivered_to(const std::string& text) {
    std::set<UserId> out;
    for (const auto& d : sink.deliveries_of<MessageEvent>()) {
      if (d.event.message.text == text) out.insert(d.users.begin(), d.users.end());
    }
    return out;
  }

  ChatView view_for(const UserId& user, const ChatId& chat) {
    auto found = core->chats.find(chat);
    EXPECT_TRUE(found.ok() && *found);
    auto v = core->chats.view(**found, &user);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : ChatView{};
  }

  PresenceEvent presence_seen_by(const UserId& viewer, const UserId& subject) {
    auto answer = core->presence.query(viewer, {subject});
    EXPECT_TRUE(answer.ok());
    return answer.ok() && !answer->empty() ? answer->front() : PresenceEvent{};
  }

  UserId ann, bob;
  AuthContext wa, wb;
};

TEST_F(PrivacyTest, ABlockedSendersMessagesReachOnlyTheirOwnDevices) {
  const ChatId chat = direct(ann, bob);
  ASSERT_TRUE(send(wb, chat, "m1", "before the block").ok());
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, true).ok());
  sink.set_connected(ann, true);
  sink.set_connected(bob, true);
  // Bob is not told: his send is acknowledged like any other.
  auto ack = send(wb, chat, "m2", "while blocked");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->seq, 2u);
  EXPECT_EQ(receivers_of("while blocked"), std::set<UserId>{bob});

  EXPECT_EQ(history_texts(ann, chat), (std::vector<std::string>{"before the block"}));
  EXPECT_EQ(history_texts(bob, chat), (std::vector<std::string>{"before the block", "while blocked"}));
  EXPECT_EQ(resume_texts(ann), (std::vector<std::string>{"before the block"}));
  EXPECT_EQ(resume_texts(bob), (std::vector<std::string>{"before the block", "while blocked"}));
  // Not Ann's preview, not unread for her; Bob sees his own message.
  ChatView for_ann = view_for(ann, chat);
  ASSERT_TRUE(for_ann.last_message.has_value());
  EXPECT_EQ(for_ann.last_message->text, "before the block");
  EXPECT_EQ(for_ann.unread, 1u);
  EXPECT_EQ(view_for(bob, chat).last_message->text, "while blocked");

  // Unblocking later does not deliver what was withheld.
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, false).ok());
  ASSERT_TRUE(send(wb, chat, "m3", "after the unblock").ok());
  EXPECT_EQ(history_texts(ann, chat), (std::vector<std::string>{"before the block", "after the unblock"}));
  EXPECT_EQ(receivers_of("after the unblock"), (std::set<UserId>{ann, bob}));
}

TEST_F(PrivacyTest, NobodyCanActOnOrQuoteAWithheldMessageButItsSender) {
  const ChatId chat = direct(ann, bob);
  ASSERT_TRUE(send(wa, chat, "m0", "hello").ok());  // Ann opened it: no request in the way
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, true).ok());
  auto withheld = send(wb, chat, "m1", "withheld");
  ASSERT_TRUE(withheld.ok());
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, false).ok());

  auto act = [&](const AuthContext& who, const std::string& id, MessageKind kind, const std::string& text) {
    auto promise = std::make_shared<std::promise<Result<SendAck>>>();
    auto future = promise->get_future();
    core->pipeline.submit(SendRequest{who, chat, id, text, kind, withheld->seq},
                          [promise](Result<SendAck> r) { promise->set_value(std::move(r)); });
    return future.get();
  };
  auto reaction = act(wa, "r1", MessageKind::reaction, "👍");
  ASSERT_FALSE(reaction.ok());
  EXPECT_EQ(reaction.error().code, ErrorCode::not_found);
  // Its sender's edit after the unblock stays withheld with it.
  sink.clear();
  ASSERT_TRUE(act(wb, "e1", MessageKind::edit, "edited").ok());
  EXPECT_EQ(receivers_of("edited"), std::set<UserId>{bob});
  EXPECT_EQ(history_texts(ann, chat), (std::vector<std::string>{"hello"}));
}

TEST_F(PrivacyTest, WhoeverBlocksCannotWriteToThemButMayDeleteTheirOwn) {
  const ChatId chat = direct(ann, bob);
  auto mine = send(wa, chat, "m1", "mine");
  ASSERT_TRUE(mine.ok());
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, true).ok());
  auto refused = send(wa, chat, "m2", "to someone I blocked");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::forbidden);
  EXPECT_EQ(history_texts(ann, chat), (std::vector<std::string>{"mine"}));

  auto promise = std::make_shared<std::promise<Result<SendAck>>>();
  auto future = promise->get_future();
  core->pipeline.submit(SendRequest{wa, chat, "d1", "", MessageKind::deletion, mine->seq},
                        [promise](Result<SendAck> r) { promise->set_value(std::move(r)); });
  EXPECT_TRUE(future.get().ok());
}

TEST_F(PrivacyTest, BlockingIsCheckedAndBounded) {
  EXPECT_EQ(core->privacy.set_blocked(ann, ann, true).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->privacy.set_blocked(ann, "no-such-user", true).error().code, ErrorCode::not_found);
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, true).ok());
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, true).ok());
  EXPECT_EQ(value_of(core->privacy.blocked_by(ann)), std::vector<UserId>{bob});
  EXPECT_TRUE(value_of(core->privacy.blocked_by(bob)).empty());
  // A store that cannot write changes nothing.
  faults.fail(StoreMethod::set_blocked, ErrorCode::unavailable);
  EXPECT_EQ(core->privacy.set_blocked(ann, bob, false).error().code, ErrorCode::unavailable);
  faults.heal(StoreMethod::set_blocked);
  EXPECT_EQ(value_of(core->privacy.blocked_by(ann)), std::vector<UserId>{bob});
  // Survives a restart (read from the store again).
  rebuild();
  EXPECT_EQ(value_of(core->privacy.blocked_by(ann)), std::vector<UserId>{bob});
}

TEST_F(PrivacyTest, ADirectChatIsARequestUntilThePeerRepliesOrAccepts) {
  const ChatId chat = request(bob, ann);  // Bob writes to Ann first
  ASSERT_TRUE(send(wb, chat, "m1", "hi, we met at the conference").ok());
  EXPECT_TRUE(view_for(ann, chat).request);
  EXPECT_FALSE(view_for(bob, chat).request);
  core->presence.heartbeat(wa);
  // Bob sees nothing of Ann while she has not accepted.
  EXPECT_FALSE(presence_seen_by(bob, ann).online);
  core->presence.heartbeat(wb);
  EXPECT_TRUE(presence_seen_by(ann, bob).online);  // Ann may see Bob: he wrote to her
  sink.clear();
  ASSERT_TRUE(core->conversations.typing(wa, chat).ok());
  ASSERT_TRUE(core->conversations.mark_read(wa, chat, 1).ok());
  for (const auto& d : sink.deliveries_of<TypingEvent>()) EXPECT_EQ(d.users, std::vector<UserId>{}) << "typing leaked";
  for (const auto& d : sink.deliveries_of<ReceiptEvent>()) EXPECT_EQ(d.users, std::vector<UserId>{ann});

  // Her reply accepts it.
  ASSERT_TRUE(send(wa, chat, "m2", "hello Bob").ok());
  EXPECT_FALSE(view_for(ann, chat).request);
  EXPECT_TRUE(presence_seen_by(bob, ann).online);
  sink.clear();
  ASSERT_TRUE(core->conversations.typing(wa, chat).ok());
  ASSERT_EQ(sink.deliveries_of<TypingEvent>().size(), 1u);
  EXPECT_EQ(sink.deliveries_of<TypingEvent>()[0].users, std::vector<UserId>{bob});
}

TEST_F(PrivacyTest, AcceptingExplicitlyTellsOnlyTheMembersOwnDevices) {
  const ChatId chat = request(bob, ann);
  sink.clear();
  auto accepted = core->chats.accept(ann, chat);
  ASSERT_TRUE(accepted.ok());
  EXPECT_FALSE(view_for(ann, chat).request);
  auto events = sink.deliveries_of<ChatEvent>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.kind, ChatEventKind::accepted);
  EXPECT_EQ(events[0].users, std::vector<UserId>{ann});
  // Again: nothing changes, nobody is told.
  sink.clear();
  ASSERT_TRUE(core->chats.accept(ann, chat).ok());
  EXPECT_TRUE(sink.deliveries_of<ChatEvent>().empty());
  const UserId cy = make_user("cy");
  EXPECT_EQ(core->chats.accept(cy, chat).error().code, ErrorCode::forbidden);
}

TEST_F(PrivacyTest, PresenceVisibilityDecidesWhoSeesTheUserOnline) {
  direct(ann, bob);
  const UserId cy = make_user("cy");
  auto group = core->chats.create_group(ann, "team", {bob, cy});
  ASSERT_TRUE(group.ok());
  core->presence.heartbeat(wa);
  EXPECT_TRUE(presence_seen_by(bob, ann).online);
  EXPECT_TRUE(presence_seen_by(cy, ann).online);  // a shared group, everyone

  ASSERT_TRUE(core->privacy.set_visibility(ann, PresenceVisibility::contacts).ok());
  EXPECT_TRUE(presence_seen_by(bob, ann).online);  // chatted with
  EXPECT_FALSE(presence_seen_by(cy, ann).online);  // only a group
  EXPECT_EQ(presence_seen_by(cy, ann).last_active_at, 0);

  ASSERT_TRUE(core->privacy.set_visibility(ann, PresenceVisibility::nobody).ok());
  EXPECT_FALSE(presence_seen_by(bob, ann).online);
  EXPECT_TRUE(presence_seen_by(ann, ann).online);  // herself, always
  EXPECT_EQ(value_of(core->privacy.visibility(ann)), PresenceVisibility::nobody);

  // A stranger is refused as before, whatever the setting.
  ASSERT_TRUE(core->privacy.set_visibility(ann, PresenceVisibility::everyone).ok());
  const UserId dan = make_user("dan");
  EXPECT_EQ(core->presence.query(dan, {ann}).error().code, ErrorCode::forbidden);
}

TEST_F(PrivacyTest, PresenceChangesReachOnlyThoseWhoMaySeeThem) {
  direct(ann, bob);
  const UserId cy = make_user("cy");
  direct(ann, cy);
  ASSERT_TRUE(core->privacy.set_blocked(ann, cy, true).ok());
  sink.clear();
  core->presence.heartbeat(wa);
  std::set<UserId> told;
  for (const auto& d : sink.deliveries_of<PresenceEvent>()) {
    if (d.event.user_id == ann && d.event.online) told.insert(d.users.begin(), d.users.end());
  }
  EXPECT_EQ(told, std::set<UserId>{bob});  // Cy is blocked: never hears of Ann

  // Changing the setting tells the contacts at once, hidden as "offline, never seen".
  sink.clear();
  ASSERT_TRUE(core->privacy.set_visibility(ann, PresenceVisibility::nobody).ok());
  bool bob_hidden = false;
  for (const auto& d : sink.deliveries_of<PresenceEvent>()) {
    if (d.event.user_id == ann && !d.event.online && d.event.last_active_at == 0 &&
        std::find(d.users.begin(), d.users.end(), bob) != d.users.end()) {
      bob_hidden = true;
    }
    if (!d.users.empty()) {
      EXPECT_FALSE(d.event.online) << "nobody may see Ann online now";
    }
  }
  EXPECT_TRUE(bob_hidden);
}

TEST_F(PrivacyTest, ABlockHidesTypingAndReceiptsBothWays) {
  const ChatId group = value_of(core->chats.create_group(ann, "team", {bob}))->id;
  ASSERT_TRUE(core->privacy.set_blocked(bob, ann, true).ok());
  sink.clear();
  ASSERT_TRUE(core->conversations.typing(wa, group).ok());
  ASSERT_TRUE(core->conversations.typing(wb, group).ok());
  EXPECT_TRUE(sink.deliveries_of<TypingEvent>().empty());
  // In a group both still see each other's messages: it is the group's conversation.
  sink.set_connected(ann, true);
  sink.set_connected(bob, true);
  ASSERT_TRUE(send(wa, group, "g1", "in the group").ok());
  EXPECT_EQ(receivers_of("in the group"), (std::set<UserId>{ann, bob}));
}

TEST_F(PrivacyTest, AWithheldMessageIsNeverPushed) {
  ASSERT_TRUE(core->accounts.set_push(wa, PushRegistration{"webhook", "https://push.example/ann"}).ok());
  const ChatId chat = direct(ann, bob);
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, true).ok());
  ASSERT_TRUE(send(wb, chat, "m1", "withheld").ok());
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, false).ok());
  ASSERT_TRUE(send(wb, chat, "m2", "pushed").ok());
  ASSERT_TRUE(eventually([&] { return push_sender.sent().size() >= 1; }));
  for (const auto& job : push_sender.sent()) EXPECT_EQ(job.preview, "pushed");
}

}  // namespace
}  // namespace parley::testing
