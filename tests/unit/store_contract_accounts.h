#pragma once
// Store contract, accounts and chats: the tests every AccountStore and
// ChatStore adapter must pass, as gtest type-parameterized suites. A test
// binary includes this once and instantiates the suites for its adapters,
// each with a ScratchStore specialization (store_contract_fixture.h):
//   INSTANTIATE_TYPED_TEST_SUITE_P(Store, AccountStoreContract, Types, Names);
// Unit tests run it on MemoryStore and RocksStore, tests/cluster on
// MariaDbStore. A new test must also be named in its suite's REGISTER line.
#include <algorithm>
#include <atomic>
#include <thread>

#include "store_contract_fixture.h"

namespace parley::testing {

template <typename S>
class AccountStoreContract : public StoreContractTest<S> {};
TYPED_TEST_SUITE_P(AccountStoreContract);

template <typename S>
class ChatStoreContract : public StoreContractTest<S> {};
TYPED_TEST_SUITE_P(ChatStoreContract);

// ---- Users --------------------------------------------------------------------

TYPED_TEST_P(AccountStoreContract, CreatedUserIsFoundByIdAndEmail) {
  User ann = make_user("u-ann", "ann@example.com");
  ann.last_active_at = 1234;
  ASSERT_TRUE(this->accounts().create_user(ann).ok());

  auto by_id = must(this->accounts().find_user("u-ann"));
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(fields(*by_id), fields(ann));
  auto by_email = must(this->accounts().find_user_by_email("ann@example.com"));
  ASSERT_TRUE(by_email.has_value());
  EXPECT_EQ(fields(*by_email), fields(ann));
}

TYPED_TEST_P(AccountStoreContract, UnknownUserIsAbsent) {
  EXPECT_FALSE(must(this->accounts().find_user("nobody")).has_value());
  EXPECT_FALSE(must(this->accounts().find_user_by_email("nobody@example.com")).has_value());
}

TYPED_TEST_P(AccountStoreContract, DuplicateEmailIsRejectedAndFirstUserKept) {
  ASSERT_TRUE(this->accounts().create_user(make_user("u-1", "same@example.com")).ok());
  Status second = this->accounts().create_user(make_user("u-2", "same@example.com"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::email_taken);

  EXPECT_FALSE(must(this->accounts().find_user("u-2")).has_value());
  auto owner = must(this->accounts().find_user_by_email("same@example.com"));
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->id, "u-1");
}

TYPED_TEST_P(AccountStoreContract, EmailIsMatchedExactlyAsStored) {
  // Lower-casing is the core's job; the store must not second-guess it.
  ASSERT_TRUE(this->accounts().create_user(make_user("u-1", "Mixed@Example.com")).ok());
  EXPECT_TRUE(must(this->accounts().find_user_by_email("Mixed@Example.com")).has_value());
  EXPECT_FALSE(must(this->accounts().find_user_by_email("mixed@example.com")).has_value());
  EXPECT_TRUE(this->accounts().create_user(make_user("u-2", "mixed@example.com")).ok());
}

TYPED_TEST_P(AccountStoreContract, ConcurrentSignupsWithOneEmailAdmitExactlyOne) {
  constexpr int kThreads = 8;
  std::atomic<int> admitted{0};
  std::atomic<int> rejected{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Status s = this->accounts().create_user(make_user("u-" + std::to_string(i), "race@example.com"));
      if (s.ok()) {
        ++admitted;
      } else if (s.error().code == ErrorCode::email_taken) {
        ++rejected;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 1);
  EXPECT_EQ(rejected.load(), kThreads - 1);
}

TYPED_TEST_P(AccountStoreContract, SetLastActiveUpdatesOnlyThatFieldOfEveryUserGiven) {
  User bob = make_user("u-bob", "bob@example.com");
  User cat = make_user("u-cat", "cat@example.com");
  User dan = make_user("u-dan", "dan@example.com");
  for (const User& u : {bob, cat, dan}) ASSERT_TRUE(this->accounts().create_user(u).ok());
  ASSERT_TRUE(this->accounts().set_last_active({{"u-bob", 777}, {"u-cat", 888}}).ok());
  bob.last_active_at = 777;
  cat.last_active_at = 888;
  for (const User& u : {bob, cat, dan}) {
    auto stored = must(this->accounts().find_user(u.id));
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(fields(*stored), fields(u));
  }
  EXPECT_TRUE(this->accounts().set_last_active({}).ok());
}

TYPED_TEST_P(AccountStoreContract, SetLastActiveSkipsUnknownUsers) {
  User bob = make_user("u-bob", "bob@example.com");
  ASSERT_TRUE(this->accounts().create_user(bob).ok());
  ASSERT_TRUE(this->accounts().set_last_active({{"ghost", 1}, {"u-bob", 5}}).ok());
  EXPECT_FALSE(must(this->accounts().find_user("ghost")).has_value());
  EXPECT_EQ(must(this->accounts().find_user("u-bob"))->last_active_at, 5);
}

// ---- Devices ------------------------------------------------------------------

TYPED_TEST_P(AccountStoreContract, DeviceRoundTripsWithAndWithoutPush) {
  Device plain = make_device("d-1", "u-1", "digest-1");
  Device pushed = make_device("d-2", "u-1", "digest-2");
  pushed.push = PushRegistration{"webhook", "https://hooks.example/p"};
  Device browser = make_device("d-4", "u-1", "digest-4");
  browser.push =
      PushRegistration{"webpush", "https://push.example/wpush/v2/gAAAA",
                       "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                       "BTBZMqHH6r4Tts7J_aSIgg"};
  ASSERT_TRUE(this->accounts().put_device(plain).ok());
  ASSERT_TRUE(this->accounts().put_device(pushed).ok());
  ASSERT_TRUE(this->accounts().put_device(browser).ok());

  auto a = must(this->accounts().find_device("d-1"));
  auto b = must(this->accounts().find_device("d-2"));
  auto c = must(this->accounts().find_device("d-4"));
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(fields(*a), fields(plain));
  EXPECT_EQ(fields(*b), fields(pushed));
  EXPECT_EQ(fields(*c), fields(browser));
  EXPECT_FALSE(must(this->accounts().find_device("d-3")).has_value());
  // A registration replaced by a webhook leaves no keys behind.
  browser.push = PushRegistration{"webhook", "https://hooks.example/q"};
  ASSERT_TRUE(this->accounts().put_device(browser).ok());
  EXPECT_EQ(fields(*must(this->accounts().find_device("d-4"))), fields(browser));
}

TYPED_TEST_P(AccountStoreContract, DevicesOfUserListsOnlyThatUserInIdOrder) {
  // "u" is a prefix of "u1": their index ranges must not overlap.
  ASSERT_TRUE(this->accounts().put_device(make_device("d-b", "u", "t1")).ok());
  ASSERT_TRUE(this->accounts().put_device(make_device("d-a", "u", "t2")).ok());
  ASSERT_TRUE(this->accounts().put_device(make_device("d-c", "u1", "t3")).ok());

  EXPECT_EQ(device_ids(must(this->accounts().devices_of_user("u"))), (std::vector<DeviceId>{"d-a", "d-b"}));
  EXPECT_EQ(device_ids(must(this->accounts().devices_of_user("u1"))), (std::vector<DeviceId>{"d-c"}));
  EXPECT_TRUE(must(this->accounts().devices_of_user("nobody")).empty());
}

TYPED_TEST_P(AccountStoreContract, ReplacingDeviceDoesNotDuplicateIt) {
  Device d = make_device("d-1", "u-1", "t1");
  ASSERT_TRUE(this->accounts().put_device(d).ok());
  d.name = "renamed";
  ASSERT_TRUE(this->accounts().put_device(d).ok());
  auto devices = must(this->accounts().devices_of_user("u-1"));
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].name, "renamed");
  auto by_token = must(this->accounts().find_device_by_token("t1"));
  ASSERT_TRUE(by_token.has_value());
  EXPECT_EQ(by_token->name, "renamed");
}

TYPED_TEST_P(AccountStoreContract, TokenDigestFindsItsDevice) {
  ASSERT_TRUE(this->accounts().put_device(make_device("d-1", "u-1", "digest-1")).ok());
  ASSERT_TRUE(this->accounts().put_device(make_device("d-2", "u-1", "digest-2")).ok());
  auto found = must(this->accounts().find_device_by_token("digest-2"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, "d-2");
  EXPECT_FALSE(must(this->accounts().find_device_by_token("digest-3")).has_value());
  EXPECT_FALSE(must(this->accounts().find_device_by_token("")).has_value());
}

TYPED_TEST_P(AccountStoreContract, LogoutRetiresTheTokenButKeepsTheDevice) {
  Device d = make_device("d-1", "u-1", "digest-1");
  ASSERT_TRUE(this->accounts().put_device(d).ok());
  d.token_digest.clear();
  ASSERT_TRUE(this->accounts().put_device(d).ok());

  EXPECT_FALSE(must(this->accounts().find_device_by_token("digest-1")).has_value());
  EXPECT_FALSE(must(this->accounts().find_device_by_token("")).has_value());
  auto kept = must(this->accounts().find_device("d-1"));
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->token_digest.empty());
  EXPECT_EQ(must(this->accounts().devices_of_user("u-1")).size(), 1u);
}

TYPED_TEST_P(AccountStoreContract, NewTokenReplacesTheOldOne) {
  Device d = make_device("d-1", "u-1", "old");
  ASSERT_TRUE(this->accounts().put_device(d).ok());
  d.token_digest = "new";
  ASSERT_TRUE(this->accounts().put_device(d).ok());
  EXPECT_FALSE(must(this->accounts().find_device_by_token("old")).has_value());
  auto found = must(this->accounts().find_device_by_token("new"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, "d-1");
}

TYPED_TEST_P(AccountStoreContract, LoginAfterLogoutIndexesTheNewToken) {
  Device d = make_device("d-1", "u-1", "first");
  ASSERT_TRUE(this->accounts().put_device(d).ok());
  d.token_digest = "";
  ASSERT_TRUE(this->accounts().put_device(d).ok());
  d.token_digest = "second";
  ASSERT_TRUE(this->accounts().put_device(d).ok());
  EXPECT_FALSE(must(this->accounts().find_device_by_token("first")).has_value());
  EXPECT_TRUE(must(this->accounts().find_device_by_token("second")).has_value());
}

TYPED_TEST_P(AccountStoreContract, DeviceMovedToAnotherUserLeavesTheOldList) {
  ASSERT_TRUE(this->accounts().put_device(make_device("d-1", "u-1", "t")).ok());
  ASSERT_TRUE(this->accounts().put_device(make_device("d-1", "u-2", "t")).ok());
  EXPECT_TRUE(must(this->accounts().devices_of_user("u-1")).empty());
  EXPECT_EQ(device_ids(must(this->accounts().devices_of_user("u-2"))), (std::vector<DeviceId>{"d-1"}));
}

TYPED_TEST_P(AccountStoreContract, UpdateUserChangesOnlyTheFieldsGiven) {
  User ann = make_user("u-ann", "ann@example.com");
  ASSERT_TRUE(this->accounts().create_user(ann).ok());
  ASSERT_TRUE(this->accounts().set_last_active({{"u-ann", 4242}}).ok());
  ASSERT_TRUE(this->accounts().update_user("u-ann", UserUpdate{"Ann B.", std::nullopt, std::nullopt}).ok());
  ann.display_name = "Ann B.";
  ann.last_active_at = 4242;
  EXPECT_EQ(fields(*must(this->accounts().find_user("u-ann"))), fields(ann));
  ASSERT_TRUE(this->accounts().update_user("u-ann", UserUpdate{std::nullopt, "new-hash", std::nullopt}).ok());
  ann.password_hash = "new-hash";
  EXPECT_EQ(fields(*must(this->accounts().find_user_by_email("ann@example.com"))), fields(ann));
  // The same value again is no change, and no error either.
  EXPECT_TRUE(this->accounts().update_user("u-ann", UserUpdate{"Ann B.", std::nullopt, std::nullopt}).ok());
}

TYPED_TEST_P(AccountStoreContract, UpdateUserOfAnUnknownUserIsNotFoundAndCreatesNothing) {
  Status s = this->accounts().update_user("ghost", UserUpdate{"Ghost", std::nullopt, std::nullopt});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::not_found);
  EXPECT_FALSE(must(this->accounts().find_user("ghost")).has_value());
}

TYPED_TEST_P(AccountStoreContract, UpdateUserAndSetLastActiveAtOnceKeepBoth) {
  ASSERT_TRUE(this->accounts().create_user(make_user("u-ann", "ann@example.com")).ok());
  constexpr int kRounds = 50;
  std::thread renamer([&] {
    for (int i = 1; i <= kRounds; ++i) {
      ASSERT_TRUE(this->accounts()
                      .update_user("u-ann", UserUpdate{"name " + std::to_string(i), std::nullopt, std::nullopt})
                      .ok());
    }
  });
  for (int i = 1; i <= kRounds; ++i) ASSERT_TRUE(this->accounts().set_last_active({{"u-ann", i}}).ok());
  renamer.join();
  auto stored = must(this->accounts().find_user("u-ann"));
  EXPECT_EQ(stored->display_name, "name " + std::to_string(kRounds));
  EXPECT_EQ(stored->last_active_at, kRounds);
}

TYPED_TEST_P(AccountStoreContract, DeviceLastUseMovesForwardOnlyAndSurvivesPutDevice) {
  Device phone = make_device("d-1", "u-1", "digest-1");
  ASSERT_TRUE(this->accounts().put_device(phone).ok());
  ASSERT_TRUE(this->accounts().put_device(make_device("d-2", "u-1", "digest-2")).ok());
  EXPECT_EQ(must(this->accounts().find_device("d-1"))->last_used_at, 0);
  ASSERT_TRUE(this->accounts().set_devices_last_used({{"d-1", 5000}, {"ghost", 7000}, {"d-2", 6000}}).ok());
  ASSERT_TRUE(this->accounts().set_devices_last_used({{"d-1", 4000}}).ok());  // older: ignored
  EXPECT_EQ(must(this->accounts().find_device("d-1"))->last_used_at, 5000);
  EXPECT_EQ(must(this->accounts().find_device_by_token("digest-2"))->last_used_at, 6000);
  auto listed = must(this->accounts().devices_of_user("u-1"));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].last_used_at, 5000);
  EXPECT_EQ(listed[1].last_used_at, 6000);
  EXPECT_FALSE(must(this->accounts().find_device("ghost")).has_value());
  // A logout rewrites the device; its last use stays, the token goes.
  phone.token_digest.clear();
  ASSERT_TRUE(this->accounts().put_device(phone).ok());
  auto after = must(this->accounts().find_device("d-1"));
  EXPECT_EQ(after->last_used_at, 5000);
  EXPECT_EQ(after->token_digest, "");
  // A use recorded after the logout does not bring the token back.
  ASSERT_TRUE(this->accounts().set_devices_last_used({{"d-1", 9000}}).ok());
  EXPECT_FALSE(must(this->accounts().find_device_by_token("digest-1")).has_value());
  EXPECT_EQ(must(this->accounts().find_device("d-1"))->token_digest, "");
  EXPECT_TRUE(this->accounts().set_devices_last_used({}).ok());
}

// ---- Chats ----------------------------------------------------------------------

TYPED_TEST_P(ChatStoreContract, ChatRoundTrips) {
  Chat chat = make_group("c-1", {"ann", "bob", "cat"});
  chat.name = "Weekend plans";
  ASSERT_TRUE(this->chats().put_chat(chat).ok());

  auto stored = must(this->chats().find_chat("c-1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->id, "c-1");
  EXPECT_EQ(stored->kind, ChatKind::group);
  EXPECT_EQ(stored->name, "Weekend plans");
  EXPECT_EQ(stored->created_at, chat.created_at);
  EXPECT_EQ(member_list(*stored), (std::vector<std::string>{"ann:admin", "bob:member", "cat:member"}));
  EXPECT_FALSE(must(this->chats().find_chat("c-2")).has_value());

  // Each member's joined_seq and mute, changed in place.
  chat.version = 2;
  chat.members[1].joined_seq = 17;
  chat.members[2].muted_until = kMutedForever;
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  EXPECT_EQ(member_list(*must(this->chats().find_chat("c-1"))),
            (std::vector<std::string>{"ann:admin", "bob:member@17", "cat:member~" + std::to_string(kMutedForever)}));
  chat.version = 3;
  chat.members[2].muted_until = 0;
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  EXPECT_EQ(member_list(*must(this->chats().find_chat("c-1"))),
            (std::vector<std::string>{"ann:admin", "bob:member@17", "cat:member"}));
}

TYPED_TEST_P(ChatStoreContract, ChatsOfUserFollowMembershipChanges) {
  Chat chat = make_group("c-1", {"ann", "bob"});
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  EXPECT_EQ(must(this->chats().chats_of_user("bob")), (std::vector<ChatId>{"c-1"}));

  chat.members = {{"ann", MemberRole::admin}, {"cat", MemberRole::member}};  // bob out, cat in
  chat.version = 2;
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  EXPECT_EQ(must(this->chats().chats_of_user("ann")), (std::vector<ChatId>{"c-1"}));
  EXPECT_TRUE(must(this->chats().chats_of_user("bob")).empty());
  EXPECT_EQ(must(this->chats().chats_of_user("cat")), (std::vector<ChatId>{"c-1"}));
  auto stored = must(this->chats().find_chat("c-1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(member_list(*stored), (std::vector<std::string>{"ann:admin", "cat:member"}));
}

TYPED_TEST_P(ChatStoreContract, ChatsOfUserAreInIdOrderAndSeparatePerUser) {
  ASSERT_TRUE(this->chats().put_chat(make_group("c-3", {"ab"})).ok());
  ASSERT_TRUE(this->chats().put_chat(make_group("c-1", {"ab", "abc"})).ok());
  ASSERT_TRUE(this->chats().put_chat(make_group("c-2", {"abc"})).ok());
  EXPECT_EQ(must(this->chats().chats_of_user("ab")), (std::vector<ChatId>{"c-1", "c-3"}));
  EXPECT_EQ(must(this->chats().chats_of_user("abc")), (std::vector<ChatId>{"c-1", "c-2"}));
  EXPECT_TRUE(must(this->chats().chats_of_user("a")).empty());
}

TYPED_TEST_P(ChatStoreContract, DirectChatIsFoundFromEitherSide) {
  ASSERT_TRUE(this->chats().put_chat(make_direct("dm-1", "zed", "amy")).ok());
  EXPECT_EQ(must(this->chats().find_direct_chat("amy", "zed")), std::optional<ChatId>("dm-1"));
  EXPECT_EQ(must(this->chats().find_direct_chat("zed", "amy")), std::optional<ChatId>("dm-1"));
  EXPECT_FALSE(must(this->chats().find_direct_chat("amy", "bob")).has_value());
  EXPECT_EQ(must(this->chats().chats_of_user("amy")), (std::vector<ChatId>{"dm-1"}));
  EXPECT_EQ(must(this->chats().chats_of_user("zed")), (std::vector<ChatId>{"dm-1"}));
}

TYPED_TEST_P(ChatStoreContract, DirectPairsWithSharedPrefixesStaySeparate) {
  // ("a","bc") and ("ab","c") concatenate to the same bytes.
  ASSERT_TRUE(this->chats().put_chat(make_direct("dm-1", "a", "bc")).ok());
  ASSERT_TRUE(this->chats().put_chat(make_direct("dm-2", "ab", "c")).ok());
  EXPECT_EQ(must(this->chats().find_direct_chat("bc", "a")), std::optional<ChatId>("dm-1"));
  EXPECT_EQ(must(this->chats().find_direct_chat("c", "ab")), std::optional<ChatId>("dm-2"));
}

TYPED_TEST_P(ChatStoreContract, GroupOfTwoIsNotADirectChat) {
  ASSERT_TRUE(this->chats().put_chat(make_group("g-1", {"amy", "bob"})).ok());
  EXPECT_FALSE(must(this->chats().find_direct_chat("amy", "bob")).has_value());
}

TYPED_TEST_P(ChatStoreContract, ReadMarkerStartsAtZeroAndOnlyMovesUp) {
  EXPECT_EQ(must(this->chats().read_marker("c-1", "ann")), 0u);
  ASSERT_TRUE(raise_marker(this->chats(), "c-1", "ann", 5).ok());
  ASSERT_TRUE(raise_marker(this->chats(), "c-1", "ann", 9).ok());
  EXPECT_EQ(must(this->chats().read_marker("c-1", "ann")), 9u);
  ASSERT_TRUE(raise_marker(this->chats(), "c-1", "ann", 7).ok()) << "a lower seq is no error";
  EXPECT_EQ(must(this->chats().read_marker("c-1", "ann")), 9u) << "a marker never moves back";
  EXPECT_EQ(must(this->chats().read_marker("c-1", "bob")), 0u);
  EXPECT_EQ(must(this->chats().read_marker("c-2", "ann")), 0u);
}

TYPED_TEST_P(ChatStoreContract, ManyMarkersRaisedInOneWrite) {
  ASSERT_TRUE(raise_marker(this->chats(), "c-1", "bob", 20).ok());
  std::vector<ReadMarker> markers;
  // More than one statement's worth, in no order, one pair twice.
  for (int i = 0; i < 100; ++i) markers.push_back({"c-" + std::to_string(99 - i), "ann", Seq(100 + i)});
  markers.push_back({"c-1", "bob", 3});
  markers.push_back({"c-2", "ann", 5});
  ASSERT_TRUE(this->chats().raise_read_markers(markers).ok());
  EXPECT_EQ(must(this->chats().read_marker("c-99", "ann")), 100u);
  EXPECT_EQ(must(this->chats().read_marker("c-0", "ann")), 199u);
  EXPECT_EQ(must(this->chats().read_marker("c-2", "ann")), 197u) << "the larger of two raises in one write";
  EXPECT_EQ(must(this->chats().read_marker("c-1", "bob")), 20u) << "a marker never moves back";
  ASSERT_TRUE(this->chats().raise_read_markers({}).ok()) << "nothing to raise is no error";
}

TYPED_TEST_P(ChatStoreContract, DeliveredMarkersOnlyMoveUpBesideTheReadOnes) {
  EXPECT_TRUE(must(this->chats().markers_of_chat("c-1")).empty());
  std::vector<ReadMarker> delivered{{"c-1", "bob", 5}, {"c-1", "ann", 2}, {"c-1", "bob", 4}, {"c-10", "cy", 1}};
  ASSERT_TRUE(this->chats().raise_delivered_markers(delivered).ok());
  ASSERT_TRUE(raise_marker(this->chats(), "c-1", "ann", 3).ok());
  ASSERT_TRUE(raise_marker(this->chats(), "c-1", "dee", 1).ok());
  std::vector<ReadMarker> lower{{"c-1", "bob", 1}};
  ASSERT_TRUE(this->chats().raise_delivered_markers(lower).ok()) << "a lower seq is no error";
  ASSERT_TRUE(this->chats().raise_delivered_markers({}).ok()) << "nothing to raise is no error";
  // Both positions, in user id order; "c-10" is another chat, not a continuation of "c-1".
  EXPECT_EQ(must(this->chats().markers_of_chat("c-1")),
            (std::vector<MemberMarkers>{{"ann", 3, 2}, {"bob", 0, 5}, {"dee", 1, 0}}));
  EXPECT_EQ(must(this->chats().read_marker("c-1", "bob")), 0u) << "a delivery is not a read";
  EXPECT_EQ(must(this->chats().markers_of_chat("c-10")), (std::vector<MemberMarkers>{{"cy", 0, 1}}));
}

TYPED_TEST_P(ChatStoreContract, ReadMarkersOfPrefixedIdsStaySeparate) {
  // (chat "ab", user "c") and (chat "a", user "bc") share their concatenation.
  ASSERT_TRUE(raise_marker(this->chats(), "ab", "c", 3).ok());
  ASSERT_TRUE(raise_marker(this->chats(), "a", "bc", 4).ok());
  EXPECT_EQ(must(this->chats().read_marker("ab", "c")), 3u);
  EXPECT_EQ(must(this->chats().read_marker("a", "bc")), 4u);
}

TYPED_TEST_P(ChatStoreContract, VersionsMustFollowOnFromTheStoredOne) {
  Chat chat = make_group("c-1", {"ann", "bob"});
  ASSERT_EQ(chat.version, 1u);
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  EXPECT_EQ(this->chats().put_chat(chat).error().code, ErrorCode::conflict);  // created twice
  chat.version = 3;
  EXPECT_EQ(this->chats().put_chat(chat).error().code, ErrorCode::conflict);  // skips one
  chat.version = 2;
  chat.name = "second";
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  chat.name = "stale";
  EXPECT_EQ(this->chats().put_chat(chat).error().code, ErrorCode::conflict);  // lost the race
  Chat missing = make_group("c-2", {"ann"});
  missing.version = 2;
  EXPECT_EQ(this->chats().put_chat(missing).error().code, ErrorCode::conflict);
  EXPECT_FALSE(must(this->chats().find_chat("c-2")).has_value());

  auto stored = must(this->chats().find_chat("c-1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->version, 2u);
  EXPECT_EQ(stored->name, "second");
}

TYPED_TEST_P(ChatStoreContract, ASecondDirectChatForAPairConflicts) {
  ASSERT_TRUE(this->chats().put_chat(make_direct("dm-1", "amy", "zed")).ok());
  auto second = this->chats().put_chat(make_direct("dm-2", "zed", "amy"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::conflict);
  EXPECT_EQ(must(this->chats().find_direct_chat("amy", "zed")), std::optional<ChatId>("dm-1"));
  EXPECT_FALSE(must(this->chats().find_chat("dm-2")).has_value());
  EXPECT_EQ(must(this->chats().chats_of_user("amy")), (std::vector<ChatId>{"dm-1"}));
}

TYPED_TEST_P(ChatStoreContract, ConcurrentWritersOfOneVersionAdmitExactlyOne) {
  Chat chat = make_group("c-1", {"ann"});
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  constexpr int kWriters = 8;
  std::atomic<int> won{0}, conflicts{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      Chat next = chat;
      next.version = 2;
      next.name = "writer " + std::to_string(i);
      auto s = this->chats().put_chat(next);
      if (s.ok()) {
        ++won;
      } else if (s.error().code == ErrorCode::conflict) {
        ++conflicts;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(conflicts.load(), kWriters - 1);
}

// ---- Privacy ------------------------------------------------------------------

TYPED_TEST_P(AccountStoreContract, PresenceVisibilityIsStoredAndChangedAlone) {
  User ann = make_user("u-ann", "ann@example.com");
  ann.presence_visibility = PresenceVisibility::contacts;
  ASSERT_TRUE(this->accounts().create_user(ann).ok());
  EXPECT_EQ(must(this->accounts().find_user("u-ann"))->presence_visibility, PresenceVisibility::contacts);
  UserUpdate update;
  update.presence_visibility = PresenceVisibility::nobody;
  ASSERT_TRUE(this->accounts().update_user("u-ann", update).ok());
  ann.presence_visibility = PresenceVisibility::nobody;
  EXPECT_EQ(fields(*must(this->accounts().find_user("u-ann"))), fields(ann));
  // A rename leaves it as it is.
  UserUpdate rename;
  rename.display_name = "Ann B";
  ASSERT_TRUE(this->accounts().update_user("u-ann", rename).ok());
  EXPECT_EQ(must(this->accounts().find_user("u-ann"))->presence_visibility, PresenceVisibility::nobody);
}

TYPED_TEST_P(AccountStoreContract, BlocksAreKeptPerUserInIdOrder) {
  EXPECT_TRUE(must(this->accounts().blocked_users("ann")).empty());
  ASSERT_TRUE(this->accounts().set_blocked("ann", "cat", true).ok());
  ASSERT_TRUE(this->accounts().set_blocked("ann", "bob", true).ok());
  ASSERT_TRUE(this->accounts().set_blocked("ann", "bob", true).ok());  // again: still one
  // Ids that prefix each other stay apart.
  ASSERT_TRUE(this->accounts().set_blocked("an", "zed", true).ok());
  EXPECT_EQ(must(this->accounts().blocked_users("ann")), (std::vector<UserId>{"bob", "cat"}));
  EXPECT_EQ(must(this->accounts().blocked_users("an")), (std::vector<UserId>{"zed"}));
  EXPECT_TRUE(must(this->accounts().blocked_users("bob")).empty());  // one-sided

  ASSERT_TRUE(this->accounts().set_blocked("ann", "bob", false).ok());
  ASSERT_TRUE(this->accounts().set_blocked("ann", "nobody", false).ok());  // not blocked: fine
  EXPECT_EQ(must(this->accounts().blocked_users("ann")), (std::vector<UserId>{"cat"}));
}

TYPED_TEST_P(AccountStoreContract, DisabledIsStoredAndChangedAlone) {
  ASSERT_TRUE(this->accounts().create_user(make_user("u-1", "ann@example.com")).ok());
  EXPECT_FALSE(must(this->accounts().find_user("u-1"))->disabled);
  ASSERT_TRUE(this->accounts().update_user("u-1", UserUpdate{.disabled = true}).ok());
  auto disabled = must(this->accounts().find_user_by_email("ann@example.com"));
  ASSERT_TRUE(disabled.has_value());
  EXPECT_TRUE(disabled->disabled);
  EXPECT_EQ(disabled->display_name, "Name of u-1");
  ASSERT_TRUE(this->accounts().update_user("u-1", UserUpdate{.display_name = "Ann"}).ok());
  EXPECT_TRUE(must(this->accounts().find_user("u-1"))->disabled);  // other changes keep it
  ASSERT_TRUE(this->accounts().update_user("u-1", UserUpdate{.disabled = false}).ok());
  EXPECT_FALSE(must(this->accounts().find_user("u-1"))->disabled);
}

// E-mails of the users listed, in order.
inline std::vector<std::string> emails_of(const std::vector<User>& users) {
  std::vector<std::string> out;
  for (const User& u : users) out.push_back(u.email);
  return out;
}

TYPED_TEST_P(AccountStoreContract, UsersArePagedInEmailOrderByPrefix) {
  EXPECT_TRUE(must(this->accounts().list_users("", "", 10)).empty());
  EXPECT_EQ(must(this->accounts().count_users()), 0u);
  // Ids in another order than the e-mails; e-mails that prefix each other;
  // bytes LIKE would read as wildcards.
  for (const auto& [id, email] : std::vector<std::pair<std::string, std::string>>{{"u-5", "ann@a.example"},
                                                                                  {"u-4", "ann@b.example"},
                                                                                  {"u-3", "anna@a.example"},
                                                                                  {"u-2", "bob@a.example"},
                                                                                  {"u-1", "a%_@x.example"},
                                                                                  {"u-0", "an"}}) {
    ASSERT_TRUE(this->accounts().create_user(make_user(id, email)).ok());
  }
  EXPECT_EQ(must(this->accounts().count_users()), 6u);
  EXPECT_EQ(emails_of(must(this->accounts().list_users("", "", 10))),
            (std::vector<std::string>{"a%_@x.example", "an", "ann@a.example", "ann@b.example", "anna@a.example",
                                      "bob@a.example"}));
  auto first = must(this->accounts().list_users("", "", 2));
  EXPECT_EQ(emails_of(first), (std::vector<std::string>{"a%_@x.example", "an"}));
  EXPECT_EQ(fields(first[1]), fields(make_user("u-0", "an")));
  EXPECT_EQ(emails_of(must(this->accounts().list_users("", "an", 2))),
            (std::vector<std::string>{"ann@a.example", "ann@b.example"}));
  EXPECT_TRUE(must(this->accounts().list_users("", "bob@a.example", 2)).empty());
  // A prefix: the prefix itself counts, nothing outside it.
  EXPECT_EQ(emails_of(must(this->accounts().list_users("an", "", 10))),
            (std::vector<std::string>{"an", "ann@a.example", "ann@b.example", "anna@a.example"}));
  EXPECT_EQ(emails_of(must(this->accounts().list_users("ann@", "", 10))),
            (std::vector<std::string>{"ann@a.example", "ann@b.example"}));
  EXPECT_EQ(emails_of(must(this->accounts().list_users("ann@", "ann@a.example", 10))),
            (std::vector<std::string>{"ann@b.example"}));
  EXPECT_EQ(emails_of(must(this->accounts().list_users("a%", "", 10))), (std::vector<std::string>{"a%_@x.example"}));
  EXPECT_TRUE(must(this->accounts().list_users("a_", "", 10)).empty());
  EXPECT_TRUE(must(this->accounts().list_users("zed", "", 10)).empty());
  EXPECT_TRUE(must(this->accounts().list_users("", "", 0)).empty());
}

TYPED_TEST_P(AccountStoreContract, DeletedUserLeavesNoAccountDeviceTokenOrBlock) {
  ASSERT_TRUE(this->accounts().create_user(make_user("ann", "ann@example.com")).ok());
  ASSERT_TRUE(this->accounts().create_user(make_user("bob", "bob@example.com")).ok());
  Device phone = make_device("d-1", "ann", "digest-1");
  phone.push = PushRegistration{"webhook", "https://example.com/hook"};
  ASSERT_TRUE(this->accounts().put_device(phone).ok());
  ASSERT_TRUE(this->accounts().put_device(make_device("d-2", "ann", "")).ok());
  ASSERT_TRUE(this->accounts().put_device(make_device("d-3", "bob", "digest-3")).ok());
  ASSERT_TRUE(this->accounts().set_devices_last_used({DeviceUse{"d-1", 5000}}).ok());
  ASSERT_TRUE(this->accounts().set_blocked("ann", "bob", true).ok());
  ASSERT_TRUE(this->accounts().set_blocked("bob", "ann", true).ok());
  ASSERT_TRUE(this->accounts().set_blocked("bob", "cat", true).ok());
  ASSERT_TRUE(this->accounts().set_blocked("an", "ann", true).ok());  // a prefix of the id

  EXPECT_EQ(must(this->accounts().delete_user("ann")), (std::vector<UserId>{"an", "bob"}));  // who blocked ann
  EXPECT_FALSE(must(this->accounts().find_user("ann")).has_value());
  EXPECT_FALSE(must(this->accounts().find_user_by_email("ann@example.com")).has_value());
  EXPECT_FALSE(must(this->accounts().find_device("d-1")).has_value());
  EXPECT_FALSE(must(this->accounts().find_device("d-2")).has_value());
  EXPECT_FALSE(must(this->accounts().find_device_by_token("digest-1")).has_value());
  EXPECT_TRUE(must(this->accounts().devices_of_user("ann")).empty());
  EXPECT_TRUE(must(this->accounts().blocked_users("ann")).empty());
  EXPECT_EQ(must(this->accounts().blocked_users("bob")), (std::vector<UserId>{"cat"}));
  EXPECT_EQ(must(this->accounts().count_users()), 1u);
  // Everyone else untouched.
  EXPECT_TRUE(must(this->accounts().find_device_by_token("digest-3")).has_value());
  EXPECT_TRUE(must(this->accounts().find_user_by_email("bob@example.com")).has_value());
  // Again (a retry): nothing to do, no error.
  EXPECT_TRUE(must(this->accounts().delete_user("ann")).empty());
  EXPECT_TRUE(must(this->accounts().delete_user("nobody")).empty());
  // The e-mail is free: a new account takes it, and no device of the old one reappears.
  ASSERT_TRUE(this->accounts().create_user(make_user("ann2", "ann@example.com")).ok());
  EXPECT_EQ(must(this->accounts().find_user_by_email("ann@example.com"))->id, "ann2");
  EXPECT_TRUE(must(this->accounts().devices_of_user("ann2")).empty());
}

TYPED_TEST_P(ChatStoreContract, ChatsAreCounted) {
  EXPECT_EQ(must(this->chats().count_chats()), 0u);
  ASSERT_TRUE(this->chats().put_chat(make_direct("c-1", "ann", "bob")).ok());
  ASSERT_TRUE(this->chats().put_chat(make_group("c-2", {"ann", "bob", "cat"})).ok());
  Chat renamed = make_group("c-2", {"ann", "bob", "cat"});
  renamed.version = 2;
  ASSERT_TRUE(this->chats().put_chat(renamed).ok());  // a new version is not a new chat
  EXPECT_EQ(must(this->chats().count_chats()), 2u);
}

TYPED_TEST_P(ChatStoreContract, PendingMemberRoundTrips) {
  Chat chat = make_direct("c-1", "ann", "bob");
  chat.members[1].pending = true;
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  EXPECT_EQ(member_list(*must(this->chats().find_chat("c-1"))),
            (std::vector<std::string>{"ann:member", "bob:member?"}));
  chat.version = 2;
  chat.members[1].pending = false;
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  EXPECT_EQ(member_list(*must(this->chats().find_chat("c-1"))), (std::vector<std::string>{"ann:member", "bob:member"}));
}

TYPED_TEST_P(ChatStoreContract, FormerMembersRoundTripAndAreIndexedApart) {
  Chat chat = make_group("c-1", {"ann", "bob"});
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  EXPECT_TRUE(must(this->chats().ended_chats_of_user("bob")).empty());

  // Bob leaves at 9, Cat (joined at 4) was removed at 12.
  chat.version = 2;
  chat.members = {{"ann", MemberRole::admin}};
  chat.former = {{"bob", 0, 9}, {"cat", 4, 12}};
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  auto stored = must(this->chats().find_chat("c-1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(member_list(*stored), (std::vector<std::string>{"ann:admin"}));
  std::vector<FormerMember> former = stored->former;
  std::sort(former.begin(), former.end(), [](const auto& a, const auto& b) { return a.user_id < b.user_id; });
  EXPECT_EQ(former, (std::vector<FormerMember>{{"bob", 0, 9}, {"cat", 4, 12}}));
  EXPECT_TRUE(must(this->chats().chats_of_user("bob")).empty());
  EXPECT_EQ(must(this->chats().ended_chats_of_user("bob")), (std::vector<ChatId>{"c-1"}));
  EXPECT_EQ(must(this->chats().ended_chats_of_user("cat")), (std::vector<ChatId>{"c-1"}));
  EXPECT_TRUE(must(this->chats().ended_chats_of_user("ann")).empty());
  EXPECT_EQ(must(this->chats().chats_of_user("ann")), (std::vector<ChatId>{"c-1"}));

  // Bob is added again (a member, no longer former); Cat forgets the chat.
  chat.version = 3;
  chat.members.push_back({"bob", MemberRole::member, 20});
  chat.former.clear();
  ASSERT_TRUE(this->chats().put_chat(chat).ok());
  stored = must(this->chats().find_chat("c-1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->former.empty());
  EXPECT_EQ(member_list(*stored), (std::vector<std::string>{"ann:admin", "bob:member@20"}));
  EXPECT_EQ(must(this->chats().chats_of_user("bob")), (std::vector<ChatId>{"c-1"}));
  EXPECT_TRUE(must(this->chats().ended_chats_of_user("bob")).empty());
  EXPECT_TRUE(must(this->chats().ended_chats_of_user("cat")).empty());
  EXPECT_TRUE(must(this->chats().chats_of_user("cat")).empty());
}

REGISTER_TYPED_TEST_SUITE_P(AccountStoreContract, CreatedUserIsFoundByIdAndEmail, UnknownUserIsAbsent,
                            DuplicateEmailIsRejectedAndFirstUserKept, EmailIsMatchedExactlyAsStored,
                            ConcurrentSignupsWithOneEmailAdmitExactlyOne,
                            SetLastActiveUpdatesOnlyThatFieldOfEveryUserGiven, SetLastActiveSkipsUnknownUsers,
                            DeviceRoundTripsWithAndWithoutPush, DevicesOfUserListsOnlyThatUserInIdOrder,
                            ReplacingDeviceDoesNotDuplicateIt, TokenDigestFindsItsDevice,
                            LogoutRetiresTheTokenButKeepsTheDevice, NewTokenReplacesTheOldOne,
                            LoginAfterLogoutIndexesTheNewToken, DeviceMovedToAnotherUserLeavesTheOldList,
                            UpdateUserChangesOnlyTheFieldsGiven, UpdateUserOfAnUnknownUserIsNotFoundAndCreatesNothing,
                            UpdateUserAndSetLastActiveAtOnceKeepBoth, DeviceLastUseMovesForwardOnlyAndSurvivesPutDevice,
                            PresenceVisibilityIsStoredAndChangedAlone, BlocksAreKeptPerUserInIdOrder,
                            DisabledIsStoredAndChangedAlone, UsersArePagedInEmailOrderByPrefix,
                            DeletedUserLeavesNoAccountDeviceTokenOrBlock);
REGISTER_TYPED_TEST_SUITE_P(ChatStoreContract, ChatRoundTrips, ChatsOfUserFollowMembershipChanges,
                            ChatsOfUserAreInIdOrderAndSeparatePerUser, DirectChatIsFoundFromEitherSide,
                            DirectPairsWithSharedPrefixesStaySeparate, GroupOfTwoIsNotADirectChat,
                            ReadMarkerStartsAtZeroAndOnlyMovesUp, ManyMarkersRaisedInOneWrite,
                            ReadMarkersOfPrefixedIdsStaySeparate, VersionsMustFollowOnFromTheStoredOne,
                            ASecondDirectChatForAPairConflicts, ConcurrentWritersOfOneVersionAdmitExactlyOne,
                            PendingMemberRoundTrips, ChatsAreCounted, DeliveredMarkersOnlyMoveUpBesideTheReadOnes,
                            FormerMembersRoundTripAndAreIndexedApart);

}  // namespace parley::testing
