#pragma once
// FakePushPlacement: a PushPlacement whose shards the test sets, and changes
// while the planner runs (a ring that gives a node a shard, or takes it
// away). Thread-safe.

#include <mutex>
#include <string>
#include <vector>

#include "core/ports.h"

namespace parley {

class FakePushPlacement final : public PushPlacement {
 public:
  FakePushPlacement(std::string id, std::vector<ShardId> owned) : id_(std::move(id)), owned_(std::move(owned)) {}
  std::string node_id() const override { return id_; }
  std::vector<ShardId> owned_push_shards() const override {
    std::lock_guard lock(mutex_);
    return owned_;
  }
  void set(std::vector<ShardId> owned) {
    std::lock_guard lock(mutex_);
    owned_ = std::move(owned);
  }

 private:
  const std::string id_;
  mutable std::mutex mutex_;
  std::vector<ShardId> owned_;
};

}  // namespace parley
