#pragma once
// MembershipIndex: for each user, the set of chats they are a member of, in
// memory, so that "do these two users share a chat?" is a set intersection
// instead of a store scan and a walk over every chat of the user. A user's
// set is read from the store once, on first use, and then kept in step by
// ChatDirectory after every durable membership change.
//
// Thread-safe. Sets are immutable snapshots, replaced on change, so readers
// intersect them without holding any lock; shard mutexes guard map
// operations only and are never held across a store read.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "core/ports.h"

namespace parley {

class MembershipIndex {
 public:
  using ChatSet = std::unordered_set<ChatId>;

  explicit MembershipIndex(ChatStore& store) : store_(store) {}

  Result<std::shared_ptr<const ChatSet>> chats_of(const UserId& user);
  // `except`, when set, does not count.
  Result<bool> share_a_chat(const UserId& a, const UserId& b, const ChatId* except = nullptr);
  // Call once `after` is durable; `before` is the previous version (null for a new chat).
  void changed(const Chat* before, const Chat& after);
  // Another process changed the chat and its previous version is not known
  // here: every loaded user is checked (rare: the chat was never cached).
  void reloaded(const Chat& after);

 private:
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, std::shared_ptr<const ChatSet>> users;
    std::uint64_t generation = 0;  // bumped by every change, so a load racing one is not cached
  };
  Shard& shard(const UserId& user);
  void update(const UserId& user, const ChatId& chat, bool member);

  ChatStore& store_;
  std::array<Shard, 16> shards_;
};

}  // namespace parley
