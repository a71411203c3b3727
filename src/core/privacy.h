#pragma once
// Privacy: who a user blocks and who may see its presence, and the rules
// every path asks (presence queries and fan-out, typing, read receipts,
// sends into a direct chat).
//
// Blocking is one-sided and invisible to the one blocked: nothing tells them,
// their sends into the direct chat are acknowledged as usual but withheld
// (Message::withheld), they see the blocker as someone whose presence is
// hidden, and the blocker hears nothing of them (presence, typing, receipts)
// anywhere. A shared group still shows both their messages: it is the
// group's conversation.
//
// Thread-safe. Each user's settings are cached (a shared immutable profile
// per user, replaced on change); a change here or on another node
// (forget()) drops it.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/accounts.h"
#include "core/chat_directory.h"
#include "core/ports.h"

namespace parley {

class Privacy {
 public:
  // At most this many users blocked by one user (a refusal past it, not an
  // unbounded profile).
  static constexpr std::size_t kMaxBlocked = 10'000;

  Privacy(AccountStore& store, Accounts& accounts, ChatDirectory& chats, EventSink& sink);

  Result<PresenceVisibility> visibility(const UserId& user);
  Status set_visibility(const UserId& user, PresenceVisibility visibility);
  // `user` blocks or unblocks `other` (a user that exists, not `user`).
  // Doing what is already so changes nothing.
  Status set_blocked(const UserId& user, const UserId& other, bool blocked);
  // In id order.
  Result<std::vector<UserId>> blocked_by(const UserId& user);
  // Whether `user` blocks `other`.
  Result<bool> blocks(const UserId& user, const UserId& other);
  // Whether either of the two blocks the other.
  Result<bool> either_blocks(const UserId& a, const UserId& b);
  // Whether blocks() and either_blocks() for these users answer from memory.
  bool cached(const UserId& user);

  // Whether `viewer` may see the online status and last seen of `subject`:
  // not across a block; by the subject's visibility (everyone: any shared
  // chat except a message request the subject has not accepted; contacts: an
  // accepted direct chat; nobody); always itself.
  Result<bool> may_see_presence(const UserId& viewer, const UserId& subject);

  // The members who hear `actor`'s receipts (read and delivered) and typing
  // in the chat: none while the actor has not accepted the chat (a message
  // request), and nobody on either side of a block with it (a block that
  // cannot be read keeps the event back: nothing leaks).
  std::vector<UserId> audience(const Chat& chat, const UserId& actor);
  // Whether `listener` is one of audience(chat, actor), without building it.
  bool hears(const Chat& chat, const UserId& actor, const UserId& listener);

  // Another process changed the user's settings: drop what is cached.
  void forget(const UserId& user);

  // Hears, after a change is durable, the users whose presence may now be
  // visible to different people (the user, and one it blocked or unblocked).
  void on_change(std::function<void(const std::vector<UserId>& subjects)> hook) { changed_ = std::move(hook); }

 private:
  // The rule audience() and hears() share: a message request's recipient
  // (not yet accepted) is heard by nobody; neither side of a block hears the
  // other (a block that cannot be read counts as one).
  static bool silenced(const Chat& chat, const UserId& actor);
  bool unblocked(const UserId& actor, const UserId& listener);
  struct Profile {
    PresenceVisibility visibility = PresenceVisibility::everyone;
    std::set<UserId> blocked;
  };
  using ProfilePtr = std::shared_ptr<const Profile>;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, ProfilePtr> profiles;
    std::uint64_t generation = 0;  // bumped by every forget
  };
  Shard& shard(const UserId& user);
  Result<ProfilePtr> profile(const UserId& user);
  // Drops the cached profile here and on other nodes, and tells the hook.
  void changed(const UserId& user, const std::vector<UserId>& subjects);

  AccountStore& store_;
  Accounts& accounts_;
  ChatDirectory& chats_;
  EventSink& sink_;
  std::array<Shard, 16> shards_;
  std::function<void(const std::vector<UserId>&)> changed_;
};

}  // namespace parley
