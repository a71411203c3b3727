#include "core/push_placement.h"

namespace parley {

std::string push_shard_key(ShardId shard) {
  return "push-shard:" + std::to_string(shard);
}

KeyOwnerPushPlacement::KeyOwnerPushPlacement(std::string node_id, ShardId shard_count, OwnerOf owner_of)
    : node_id_(std::move(node_id)), shard_count_(shard_count), owner_of_(std::move(owner_of)) {}

std::vector<ShardId> KeyOwnerPushPlacement::owned_push_shards() const {
  std::vector<ShardId> out;
  for (ShardId shard = 0; shard < shard_count_; ++shard) {
    if (owner_of_(push_shard_key(shard)) == node_id_) out.push_back(shard);
  }
  return out;
}

}  // namespace parley
