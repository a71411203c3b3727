#pragma once
// The PushPlacement implementations the core offers (ports.h has the port):
// which log shards a node plans and sends pushes for.
//
//   SingleNodePushPlacement  one node: shard 0, its whole log, as "local".
//   KeyOwnerPushPlacement    a cluster node: the shards whose key
//                            "push-shard:<n>" the cluster places on this node.
//
// The core knows nothing of the hash ring: the cluster wiring hands the
// second one a lookup "which node owns this key now" (the ZooKeeper ring's
// owner()). Each shard is then planned by one node while the nodes' rings
// agree; while they disagree (a node joined or died a moment ago) two nodes
// may both plan a shard, and the planned offset's compare-and-set and the
// job claims keep that from planning or sending anything twice.
// Thread-safe: both are immutable but for what the lookup reads.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports.h"

namespace parley {

class SingleNodePushPlacement final : public PushPlacement {
 public:
  std::string node_id() const override { return "local"; }
  std::vector<ShardId> owned_push_shards() const override { return {0}; }
};

// "push-shard:<n>": the key a cluster places to choose shard n's push node.
std::string push_shard_key(ShardId shard);

class KeyOwnerPushPlacement final : public PushPlacement {
 public:
  // The id of the node that owns `key` now; nullopt while none does (the
  // ring is empty). Called for every shard on every planner pass (about once
  // a second): must be cheap and must not block.
  using OwnerOf = std::function<std::optional<std::string>(std::string_view key)>;

  KeyOwnerPushPlacement(std::string node_id, ShardId shard_count, OwnerOf owner_of);

  std::string node_id() const override { return node_id_; }
  std::vector<ShardId> owned_push_shards() const override;

 private:
  const std::string node_id_;
  const ShardId shard_count_;
  const OwnerOf owner_of_;
};

}  // namespace parley
