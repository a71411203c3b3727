#include "core/keyed_serializer.h"

#include <functional>

namespace parley {

KeyedSerializer::Turn::~Turn() {
  if (owner_) owner_->release(key_);
}

KeyedSerializer::Shard& KeyedSerializer::shard(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % shards_.size()];
}

KeyedSerializer::Turn KeyedSerializer::acquire(std::string key) {
  auto& s = shard(key);
  std::unique_lock lock(s.mutex);
  s.released.wait(lock, [&] { return !s.held.contains(key); });
  s.held.insert(key);
  return Turn(this, std::move(key));
}

void KeyedSerializer::release(const std::string& key) {
  auto& s = shard(key);
  {
    std::lock_guard lock(s.mutex);
    s.held.erase(key);
  }
  // Waiters of other keys in the shard wake and wait again; turns are short
  // and rare enough (membership changes) for that to cost nothing.
  s.released.notify_all();
}

}  // namespace parley
