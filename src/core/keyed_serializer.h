#pragma once
// KeyedSerializer: one holder at a time per key (a chat, a user pair), other
// keys unaffected. A holder may do slow I/O: no mutex is held during its
// turn, so readers of shared caches and holders of other keys never wait for
// it; only callers of the same key sleep (on a condition variable) until the
// turn is handed back. Thread-safe.

#include <array>
#include <condition_variable>
#include <mutex>
#include <string>
#include <unordered_set>

namespace parley {

class KeyedSerializer {
 public:
  // The turn for one key; released on destruction. Movable, not copyable.
  class Turn {
   public:
    Turn(Turn&& other) noexcept : owner_(other.owner_), key_(std::move(other.key_)) { other.owner_ = nullptr; }
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    Turn& operator=(Turn&&) = delete;
    ~Turn();

   private:
    friend class KeyedSerializer;
    Turn(KeyedSerializer* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    KeyedSerializer* owner_;
    std::string key_;
  };

  // Blocks until no one else holds `key`.
  [[nodiscard]] Turn acquire(std::string key);

 private:
  struct Shard {
    std::mutex mutex;
    std::condition_variable released;
    std::unordered_set<std::string> held;
  };
  Shard& shard(const std::string& key);
  void release(const std::string& key);

  std::array<Shard, 16> shards_;
};

}  // namespace parley
