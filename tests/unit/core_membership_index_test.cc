// The membership index: presence checks cost set lookups, not a store scan
// and a walk over every chat per user asked about; it follows membership
// changes; one request names a bounded number of users.

#include <set>

#include "unit/core_fixture.h"

namespace parley::testing {
namespace {

using MembershipIndexTest = CoreTest;

TEST_F(MembershipIndexTest, PresenceOfManyUsersReadsEachUsersChatsOnceThenNoStoreAtAll) {
  auto ann = make_user("ann");
  std::vector<UserId> peers;
  for (int i = 0; i < 50; ++i) peers.push_back(make_user("peer" + std::to_string(i)));
  // ann is in many chats; each peer shares exactly one with her.
  for (int g = 0; g < 200; ++g) {
    std::vector<UserId> members;
    if (g < 50) members.push_back(peers[g]);
    ASSERT_TRUE(core->chats.create_group(ann, "g" + std::to_string(g), members).ok());
  }
  auto stranger = make_user("stranger");
  rebuild();  // nothing in memory: the index must be read

  const auto scans = faults.calls(StoreMethod::chats_of_user);
  const auto chat_reads = faults.calls(StoreMethod::find_chat);
  auto status = core->presence.query(ann, peers);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->size(), peers.size());
  // One scan per user involved, no chat record read at all.
  EXPECT_EQ(faults.calls(StoreMethod::chats_of_user) - scans, peers.size() + 1);
  EXPECT_EQ(faults.calls(StoreMethod::find_chat), chat_reads);

  const auto after_first = faults.calls(StoreMethod::chats_of_user);
  std::set<UserId> watches;
  ASSERT_TRUE(core->presence.subscribe(login("ann"), peers, watches).ok());
  EXPECT_EQ(faults.calls(StoreMethod::chats_of_user), after_first);  // answered from memory
  EXPECT_EQ(core->presence.query(ann, {stranger}).error().code, ErrorCode::forbidden);
}

TEST_F(MembershipIndexTest, TheIndexFollowsMembershipChanges) {
  auto ann = make_user("ann"), bob = make_user("bob"), cat = make_user("cat");
  auto group = core->chats.create_group(ann, "g", {bob});
  ASSERT_TRUE(group.ok());
  const ChatId id = (*group)->id;
  ASSERT_FALSE(*core->chats.shares_chat(bob, cat));  // both loaded now
  ASSERT_TRUE(core->chats.add_member(ann, id, cat).ok());
  EXPECT_TRUE(*core->chats.shares_chat(bob, cat));
  EXPECT_TRUE(*core->chats.shares_chat(cat, ann));
  ASSERT_TRUE(core->chats.remove_member(ann, id, cat).ok());
  EXPECT_FALSE(*core->chats.shares_chat(bob, cat));
  EXPECT_FALSE(*core->chats.shares_chat(cat, ann));
  EXPECT_TRUE(core->chats.chats_of(cat)->empty());
  auto direct_chat = direct(bob, cat);
  EXPECT_TRUE(*core->chats.shares_chat(cat, bob));
  EXPECT_EQ(*core->chats.direct_contacts(cat), std::vector<UserId>{bob});
  ASSERT_EQ(core->chats.chats_of(bob)->size(), 2u);

  rebuild();  // and what is stored agrees
  EXPECT_TRUE(*core->chats.shares_chat(cat, bob));
  EXPECT_FALSE(*core->chats.shares_chat(cat, ann));
  EXPECT_EQ(core->chats.chats_of(bob)->size(), 2u);
}

TEST_F(MembershipIndexTest, OnePresenceRequestNamesABoundedNumberOfUsers) {
  config.max_presence_users = 3;
  rebuild();
  auto ann = make_user("ann"), bob = make_user("bob");
  direct(ann, bob);
  auto wa = login("ann");
  std::vector<UserId> four(4, bob);
  EXPECT_TRUE(core->presence.query(ann, {bob, bob, bob}).ok());
  EXPECT_EQ(core->presence.query(ann, four).error().code, ErrorCode::invalid_request);
  std::set<UserId> watches;
  EXPECT_EQ(core->presence.subscribe(wa, four, watches).error().code, ErrorCode::invalid_request);
  EXPECT_TRUE(watches.empty());
}

// Another node removed bob from a chat this node never cached (only the
// users' chat sets were loaded): the reload of the chat takes bob's set
// along, though the version bob was removed from is not known here.
TEST_F(MembershipIndexTest, AChatReloadedWithoutItsPreviousVersionStillDropsTheRemovedMember) {
  auto ann = make_user("ann"), bob = make_user("bob");
  auto group = core->chats.create_group(ann, "g", {bob});
  ASSERT_TRUE(group.ok());
  rebuild();                                        // nothing cached
  ASSERT_TRUE(*core->chats.shares_chat(ann, bob));  // loads both users' sets, not the chat

  Chat removed = **group;
  std::erase_if(removed.members, [&](const Member& m) { return m.user_id == bob; });
  removed.version = (*group)->version + 1;
  ASSERT_TRUE(store.put_chat(removed).ok());  // as another node would
  ASSERT_TRUE(core->chats.refresh(removed.id).ok());
  EXPECT_FALSE(*core->chats.shares_chat(ann, bob));
  auto bobs = core->chats.chats_of(bob);
  ASSERT_TRUE(bobs.ok());
  EXPECT_TRUE(bobs->empty());
}

}  // namespace
}  // namespace parley::testing
