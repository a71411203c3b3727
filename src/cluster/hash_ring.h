#pragma once
// HashRing: consistent hashing with virtual nodes, f(user_id) -> cluster node.
//
// Every node of every version must compute the same ring from the same member
// list, so the hash is the fixed stable_hash (stable_hash.h). A member with
// id I owns the points stable_hash(I + "#" + k) for k in [0, virtual_nodes);
// a user belongs to the member owning the first point at or after
// stable_hash(user_id), wrapping around. Ties between equal points go to the
// smaller member id.
//
// Immutable once built: share it as std::shared_ptr<const HashRing> and swap
// the pointer atomically to publish a new member list. Any thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley::cluster {

// One node of the cluster: its id (the znode name) and the URL devices and
// other nodes reach it at (the znode data).
struct Member {
  std::string id;
  std::string url;

  bool operator==(const Member&) const = default;
};

class HashRing {
 public:
  // Enough for the largest member's share to stay within a few percent of
  // 1/n: a member's share has a relative spread of about 1/sqrt(points).
  static constexpr std::size_t kDefaultVirtualNodes = 256;

  // The ring of `members` in any order; members with the same id are kept
  // once (the one with the smallest URL, so the choice is deterministic).
  // virtual_nodes must be at least 1.
  static std::shared_ptr<const HashRing> build(std::vector<Member> members,
                                               std::size_t virtual_nodes = kDefaultVirtualNodes);

  // The member that owns `user_id`, or nullptr when the ring is empty. The
  // pointer lives as long as the ring.
  const Member* owner(std::string_view user_id) const;

  // Sorted by id, without duplicates.
  const std::vector<Member>& members() const { return members_; }
  bool empty() const { return members_.empty(); }
  std::size_t virtual_nodes() const { return virtual_nodes_; }
  // The member with this id, or nullptr.
  const Member* find(std::string_view id) const;

 private:
  struct Point {
    std::uint64_t hash;
    std::uint32_t member;  // index into members_
  };

  HashRing(std::vector<Member> members, std::size_t virtual_nodes);

  std::vector<Member> members_;
  std::vector<Point> points_;  // sorted by (hash, member id)
  std::size_t virtual_nodes_;
};

}  // namespace parley::cluster
