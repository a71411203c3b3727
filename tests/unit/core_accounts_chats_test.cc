// Accounts and ChatDirectory against in-memory fakes.

#include <atomic>
#include <utility>

#include "unit/core_fixture.h"

namespace parley::testing {
namespace {

using AccountsTest = CoreTest;
using ChatsTest = CoreTest;

// A second node: its own Core (caches, threads) on the same store.
class TwoNodesTest : public CoreTest {
 protected:
  TwoNodesTest() {
    other = std::make_unique<Core>(config, CorePorts{other_faults, other_faults, other_faults, other_faults,
                                                     other_credentials, clock, other_sink, other_push_sender});
    other->start();
  }
  ~TwoNodesTest() override { other->stop(); }

  FaultyStore other_faults{store};
  FakeCredentials other_credentials;
  RecordingEventSink other_sink;
  RecordingPushSender other_push_sender;
  std::unique_ptr<Core> other;
};

TEST_F(AccountsTest, SignupRejectsBadInputAndChangesNothing) {
  EXPECT_EQ(core->accounts.signup("no-at-sign", "password1", "A").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->accounts.signup("a@example.org", "short", "A").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->accounts.signup("a@example.org", "password1", "").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->accounts.signup("a@example.org", "password1", "\xff").error().code, ErrorCode::invalid_request);
  EXPECT_FALSE(store.find_user_by_email("a@example.org")->has_value());
}

TEST_F(AccountsTest, EmailIsUniqueRegardlessOfCase) {
  ASSERT_TRUE(core->accounts.signup("Ann@Example.org", "password1", "Ann").ok());
  auto again = core->accounts.signup("ann@example.ORG", "password2", "Other");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::email_taken);
}

TEST_F(AccountsTest, LoginCreatesADeviceWhoseTokenAuthenticates) {
  auto user = make_user("ann");
  auto first = core->accounts.login("ANN@example.org", "password-ann", "phone");
  auto second = core->accounts.login("ann@example.org", "password-ann", "laptop");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->device_id, second->device_id);
  auto who = core->accounts.authenticate(first->token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->user_id, user);
  EXPECT_EQ(who->device_id, first->device_id);
}

TEST_F(AccountsTest, WrongPasswordAndUnknownEmailAreTheSameError) {
  make_user("ann");
  EXPECT_EQ(core->accounts.login("ann@example.org", "nope-nope", "x").error().code, ErrorCode::bad_credentials);
  EXPECT_EQ(core->accounts.login("bob@example.org", "nope-nope", "x").error().code, ErrorCode::bad_credentials);
}

TEST_F(AccountsTest, LogoutRevokesOnlyThatDevicesToken) {
  make_user("ann");
  auto a = core->accounts.login("ann@example.org", "password-ann", "phone");
  auto b = core->accounts.login("ann@example.org", "password-ann", "laptop");
  ASSERT_TRUE(core->accounts.logout({a->user_id, a->device_id}).ok());
  EXPECT_EQ(core->accounts.authenticate(a->token).error().code, ErrorCode::unauthorized);
  EXPECT_TRUE(core->accounts.authenticate(b->token).ok());
  EXPECT_EQ(core->accounts.authenticate("").error().code, ErrorCode::unauthorized);
}

TEST_F(AccountsTest, PushTargetsFollowRegistrationsAndLogout) {
  make_user("ann");
  auto who = login("ann");
  EXPECT_TRUE((*core->accounts.push_targets(who.user_id))->empty());
  ASSERT_TRUE(core->accounts.set_push(who, {"webhook", "http://127.0.0.1:9/x"}).ok());
  ASSERT_EQ((*core->accounts.push_targets(who.user_id))->size(), 1u);
  ASSERT_TRUE(core->accounts.logout(who).ok());
  EXPECT_TRUE((*core->accounts.push_targets(who.user_id))->empty());
}

TEST_F(ChatsTest, DirectChatIsOnePerPairWhoeverOpensIt) {
  auto a = make_user("ann"), b = make_user("bob");
  auto first = core->chats.open_direct(a, b);
  auto second = core->chats.open_direct(b, a);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(first->chat->id, second->chat->id);
  EXPECT_EQ(sink.events_of<ChatEvent>().size(), 1u);
}

TEST_F(ChatsTest, DirectChatNeedsAnotherExistingUser) {
  auto a = make_user("ann");
  EXPECT_EQ(core->chats.open_direct(a, a).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->chats.open_direct(a, "nobody").error().code, ErrorCode::not_found);
}

TEST_F(ChatsTest, GroupSizeCountsTheCreator) {
  config.max_group_size = 3;
  rebuild();
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat"), d = make_user("dan");
  EXPECT_TRUE(core->chats.create_group(a, "three", {b, c}).ok());
  auto too_big = core->chats.create_group(a, "four", {b, c, d});
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, ErrorCode::group_too_large);
  EXPECT_EQ(core->chats.chats_of(d)->size(), 0u);
}

TEST_F(ChatsTest, OnlyAdminsAddAndAnyoneMayLeave) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto group = core->chats.create_group(a, "g", {b});
  ASSERT_TRUE(group.ok());
  auto id = (*group)->id;
  EXPECT_EQ(core->chats.add_member(b, id, c).error().code, ErrorCode::forbidden);
  EXPECT_EQ(core->chats.add_member(c, id, c).error().code, ErrorCode::forbidden);
  ASSERT_TRUE(core->chats.add_member(a, id, c).ok());
  EXPECT_EQ(core->chats.remove_member(b, id, c).error().code, ErrorCode::forbidden);
  ASSERT_TRUE(core->chats.remove_member(c, id, c).ok());
  EXPECT_FALSE((*core->chats.find(id))->has_member(c));
  EXPECT_EQ(core->chats.remove_member(a, id, c).error().code, ErrorCode::not_found);
}

TEST_F(ChatsTest, RemovalIsAnnouncedToTheRemovedMemberToo) {
  auto a = make_user("ann"), b = make_user("bob");
  auto group = core->chats.create_group(a, "g", {b});
  sink.clear();
  ASSERT_TRUE(core->chats.remove_member(a, (*group)->id, b).ok());
  auto events = sink.deliveries_of<ChatEvent>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.kind, ChatEventKind::member_removed);
  EXPECT_NE(std::find(events[0].users.begin(), events[0].users.end(), b), events[0].users.end());
}

TEST_F(ChatsTest, TheLastAdminLeavingPromotesTheNextMember) {
  auto a = make_user("ann"), b = make_user("bob");
  auto group = core->chats.create_group(a, "g", {b});
  ASSERT_TRUE(core->chats.remove_member(a, (*group)->id, a).ok());
  EXPECT_EQ((*core->chats.find((*group)->id))->member(b)->role, MemberRole::admin);
}

TEST_F(ChatsTest, DirectChatsRefuseMembershipChanges) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cat");
  auto id = direct(a, b);
  EXPECT_EQ(core->chats.add_member(a, id, c).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->chats.remove_member(a, id, a).error().code, ErrorCode::invalid_request);
}

TEST_F(TwoNodesTest, MembershipChangesOnBothNodesAreAllKept) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cy"), d = make_user("dee");
  auto group = core->chats.create_group(a, "g", {b});
  ASSERT_TRUE(group.ok());
  const ChatId id = (*group)->id;
  ASSERT_TRUE(other->chats.find(id).ok());  // the other node caches version 1

  ASSERT_TRUE(core->chats.add_member(a, id, c).ok());
  // The other node still holds version 1: its write conflicts, it reloads and applies its change again.
  auto added = other->chats.add_member(a, id, d);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_TRUE((*added)->has_member(c));
  EXPECT_TRUE((*added)->has_member(d));

  auto stored = store.find_chat(id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->version, 3u);
  EXPECT_EQ((*stored)->members.size(), 4u);
  // And what it learnt reached its membership index.
  auto shares = other->chats.shares_chat(c, d);
  ASSERT_TRUE(shares.ok());
  EXPECT_TRUE(*shares);
}

TEST_F(TwoNodesTest, RemovalOnOneNodeIsNotUndoneByAStaleAddOnTheOther) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cy");
  auto group = core->chats.create_group(a, "g", {b});
  ASSERT_TRUE(group.ok());
  const ChatId id = (*group)->id;
  ASSERT_TRUE(other->chats.find(id).ok());

  ASSERT_TRUE(core->chats.remove_member(a, id, b).ok());
  ASSERT_TRUE(other->chats.add_member(a, id, c).ok());
  auto stored = store.find_chat(id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_FALSE((*stored)->has_member(b));
  EXPECT_TRUE((*stored)->has_member(c));
}

TEST_F(TwoNodesTest, DirectChatOpenedOnBothNodesAtOnceIsOneChat) {
  auto a = make_user("ann"), b = make_user("bob");
  Result<ChatDirectory::Opened> first = make_error(ErrorCode::internal, "not run");
  bool raced = false;
  // The other node finds no chat, then, just before its write, this node creates one.
  other_faults.set_hook(StoreMethod::put_chat, [&] {
    if (std::exchange(raced, true)) return;
    first = core->chats.open_direct(a, b);
  });
  auto second = other->chats.open_direct(b, a);
  ASSERT_TRUE(raced);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(first->chat->id, second->chat->id);
  auto chats = store.chats_of_user(a);
  ASSERT_TRUE(chats.ok());
  EXPECT_EQ(chats->size(), 1u);
}

TEST_F(TwoNodesTest, AStormOfConflictsEndsInAConflictErrorAndChangesNothing) {
  auto a = make_user("ann"), b = make_user("bob"), c = make_user("cy");
  auto group = core->chats.create_group(a, "g", {b});
  ASSERT_TRUE(group.ok());
  const ChatId id = (*group)->id;
  // Every write of the other node loses to a change just made here.
  other_faults.set_hook(StoreMethod::put_chat, [&] {
    auto current = store.find_chat(id);
    ASSERT_TRUE(current.ok() && current->has_value());
    Chat bumped = **current;
    ++bumped.version;
    ASSERT_TRUE(store.put_chat(bumped).ok());
  });
  auto added = other->chats.add_member(a, id, c);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::conflict);
  auto stored = store.find_chat(id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_FALSE((*stored)->has_member(c));
}

TEST_F(ChatsTest, TheUnreadCountStopsAtTheLastSeqItIsShownWith) {
  make_user("ann");
  make_user("bob");
  AuthContext ann = login("ann");
  AuthContext bob = login("bob");
  auto chat = core->chats.open_direct(bob.user_id, ann.user_id);
  ASSERT_TRUE(chat.ok());
  const ChatId id = chat->chat->id;
  ASSERT_TRUE(send(bob, id, "b1", "one").ok());
  ASSERT_TRUE(send(bob, id, "b2", "two").ok());
  // A message committed between the view's read of last_seq and its count.
  std::atomic<bool> sent{false};
  faults.set_hook(StoreMethod::read_after, [&] {
    if (!sent.exchange(true)) (void)send(bob, id, "b3", "three");
  });
  auto view = core->chats.view(*chat->chat, &ann.user_id);
  faults.set_hook(StoreMethod::read_after, {});
  ASSERT_TRUE(view.ok());
  ASSERT_TRUE(sent);
  EXPECT_EQ(view->last_seq, 2u);
  EXPECT_EQ(view->unread, 2u) << "the third is after last_seq: a client counts it when it hears of it";
}

}  // namespace
}  // namespace parley::testing
