#include "cluster/hash_ring.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "cluster/stable_hash.h"

namespace parley::cluster {

std::shared_ptr<const HashRing> HashRing::build(std::vector<Member> members, std::size_t virtual_nodes) {
  if (virtual_nodes == 0) throw std::invalid_argument("HashRing: virtual_nodes must be at least 1");
  // The constructor is private; make_shared cannot reach it.
  return std::shared_ptr<const HashRing>(new HashRing(std::move(members), virtual_nodes));
}

HashRing::HashRing(std::vector<Member> members, std::size_t virtual_nodes)
    : members_(std::move(members)), virtual_nodes_(virtual_nodes) {
  std::sort(members_.begin(), members_.end(),
            [](const Member& a, const Member& b) { return a.id != b.id ? a.id < b.id : a.url < b.url; });
  members_.erase(
      std::unique(members_.begin(), members_.end(), [](const Member& a, const Member& b) { return a.id == b.id; }),
      members_.end());

  points_.reserve(members_.size() * virtual_nodes_);
  std::string key;
  for (std::uint32_t m = 0; m < members_.size(); ++m) {
    for (std::size_t k = 0; k < virtual_nodes_; ++k) {
      key = members_[m].id;
      key += '#';
      key += std::to_string(k);
      points_.push_back(Point{stable_hash(key), m});
    }
  }
  // members_ is sorted by id, so comparing indexes compares ids.
  std::sort(points_.begin(), points_.end(),
            [](const Point& a, const Point& b) { return a.hash != b.hash ? a.hash < b.hash : a.member < b.member; });
}

const Member* HashRing::owner(std::string_view user_id) const {
  if (points_.empty()) return nullptr;
  const std::uint64_t h = stable_hash(user_id);
  auto it = std::lower_bound(points_.begin(), points_.end(), h,
                             [](const Point& p, std::uint64_t value) { return p.hash < value; });
  if (it == points_.end()) it = points_.begin();
  return &members_[it->member];
}

const Member* HashRing::find(std::string_view id) const {
  auto it = std::lower_bound(members_.begin(), members_.end(), id,
                             [](const Member& m, std::string_view value) { return m.id < value; });
  return it != members_.end() && it->id == id ? &*it : nullptr;
}

}  // namespace parley::cluster
