// HashRing: the same members give the same owners on every node, users are
// spread evenly, and a membership change moves only the users it must.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/hash_ring.h"
#include "cluster/stable_hash.h"

namespace parley::cluster {
namespace {

constexpr int kUsers = 30'000;

std::vector<std::string> user_ids() {
  std::vector<std::string> ids;
  ids.reserve(kUsers);
  for (int i = 0; i < kUsers; ++i) ids.push_back("user-" + std::to_string(i));
  return ids;
}

std::vector<Member> members(std::initializer_list<const char*> ids) {
  std::vector<Member> out;
  for (const char* id : ids) out.push_back(Member{id, std::string("http://127.0.0.1/") + id});
  return out;
}

// user id -> owner id
std::map<std::string, std::string> owners(const HashRing& ring, const std::vector<std::string>& users) {
  std::map<std::string, std::string> out;
  for (const auto& u : users) {
    const Member* m = ring.owner(u);
    out[u] = m ? m->id : "";
  }
  return out;
}

TEST(ClusterHashRing, HashIsFixedAcrossBuilds) {
  // Values computed independently (FNV-1a 64, then fmix64). A change to the
  // function would move almost every user between nodes running different
  // versions, and stored chats to other message shards, so it must show up here.
  EXPECT_EQ(stable_hash(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(stable_hash("a"), 0x82a2a958a9bece5bULL);
  EXPECT_EQ(stable_hash("user-42"), 0xa39532c7ab051e8dULL);
  EXPECT_EQ(stable_hash("node-1#0"), 0xf28b65a604900cc8ULL);
  EXPECT_EQ(stable_hash(std::string_view("a\0b", 3)), 0xab78f5eca36d0e2bULL);  // bytes, not a C string
  EXPECT_EQ(stable_hash("\xff\xfe"), 0x75c9056eb1c4b960ULL);                   // unsigned bytes
}

TEST(ClusterHashRing, EmptyRingHasNoOwner) {
  const auto ring = HashRing::build({});
  EXPECT_TRUE(ring->empty());
  EXPECT_EQ(ring->owner("alice"), nullptr);
  EXPECT_EQ(ring->find("node-1"), nullptr);
}

TEST(ClusterHashRing, SameMembersInAnyOrderGiveSameOwners) {
  const auto users = user_ids();
  const auto a = HashRing::build(members({"node-a", "node-b", "node-c"}));
  const auto b = HashRing::build(members({"node-c", "node-a", "node-b"}));
  auto duplicated = members({"node-b", "node-c", "node-a"});
  duplicated.push_back(duplicated.front());
  const auto c = HashRing::build(duplicated);
  EXPECT_EQ(a->members(), b->members());
  EXPECT_EQ(a->members(), c->members());
  EXPECT_EQ(owners(*a, users), owners(*b, users));
  EXPECT_EQ(owners(*a, users), owners(*c, users));
}

TEST(ClusterHashRing, OwnerCarriesTheMembersUrl) {
  const auto ring = HashRing::build({Member{"n1", "http://10.0.0.1:8081"}, Member{"n2", "https://n2.example:443"}});
  const Member* m = ring->owner("alice");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->url, m->id == "n1" ? "http://10.0.0.1:8081" : "https://n2.example:443");
  ASSERT_NE(ring->find("n2"), nullptr);
  EXPECT_EQ(ring->find("n2")->url, "https://n2.example:443");
}

TEST(ClusterHashRing, ThreeNodesShareUsersEvenly) {
  const auto users = user_ids();
  const auto ring = HashRing::build(members({"node-1", "node-2", "node-3"}));
  std::map<std::string, int> count;
  for (const auto& [user, owner] : owners(*ring, users)) ++count[owner];
  ASSERT_EQ(count.size(), 3u);
  for (const auto& [owner, n] : count) {
    EXPECT_GE(n, kUsers / 3 * 85 / 100) << owner;
    EXPECT_LE(n, kUsers / 3 * 115 / 100) << owner;
  }
}

TEST(ClusterHashRing, RemovingANodeMovesOnlyItsUsers) {
  const auto users = user_ids();
  const auto before = owners(*HashRing::build(members({"node-1", "node-2", "node-3"})), users);
  const auto after = owners(*HashRing::build(members({"node-1", "node-3"})), users);
  int moved = 0;
  for (const auto& u : users) {
    if (before.at(u) == "node-2") {
      EXPECT_NE(after.at(u), "node-2");
      ++moved;
    } else {
      EXPECT_EQ(after.at(u), before.at(u)) << u;
    }
  }
  EXPECT_GT(moved, 0);
}

TEST(ClusterHashRing, AddingAFourthNodeMovesAQuarterOnlyToIt) {
  const auto users = user_ids();
  const auto before = owners(*HashRing::build(members({"node-1", "node-2", "node-3"})), users);
  const auto after = owners(*HashRing::build(members({"node-1", "node-2", "node-3", "node-4"})), users);
  int moved = 0;
  for (const auto& u : users) {
    if (after.at(u) != before.at(u)) {
      EXPECT_EQ(after.at(u), "node-4") << u;
      ++moved;
    }
  }
  EXPECT_GE(moved, kUsers / 4 * 85 / 100);
  EXPECT_LE(moved, kUsers / 4 * 115 / 100);
}

TEST(ClusterHashRing, RefusesZeroVirtualNodes) {
  EXPECT_THROW(HashRing::build(members({"n"}), 0), std::invalid_argument);
}

}  // namespace
}  // namespace parley::cluster
