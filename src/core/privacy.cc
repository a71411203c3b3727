#include "core/privacy.h"

#include <functional>

namespace parley {

Privacy::Privacy(AccountStore& store, Accounts& accounts, ChatDirectory& chats, EventSink& sink)
    : store_(store), accounts_(accounts), chats_(chats), sink_(sink) {}

Privacy::Shard& Privacy::shard(const UserId& user) {
  return shards_[std::hash<UserId>{}(user) % shards_.size()];
}

Result<Privacy::ProfilePtr> Privacy::profile(const UserId& user) {
  auto& s = shard(user);
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(s.mutex);
    if (auto it = s.profiles.find(user); it != s.profiles.end()) return it->second;
    generation = s.generation;
  }
  // Read without the lock; a change meanwhile (the generation moved) means
  // what was read may be stale: answer it, but do not cache it.
  auto found = accounts_.find_user(user);
  if (!found) return found.error();
  auto blocked = store_.blocked_users(user);
  if (!blocked) return blocked.error();
  auto loaded = std::make_shared<Profile>();
  if (*found) loaded->visibility = (*found)->presence_visibility;
  loaded->blocked.insert(blocked->begin(), blocked->end());
  ProfilePtr out = std::move(loaded);
  std::lock_guard lock(s.mutex);
  if (s.generation == generation) s.profiles.emplace(user, out);
  return out;
}

bool Privacy::cached(const UserId& user) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  return s.profiles.contains(user);
}

void Privacy::forget(const UserId& user) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  s.profiles.erase(user);
  ++s.generation;
}

void Privacy::changed(const UserId& user, const std::vector<UserId>& subjects) {
  forget(user);
  sink_.user_changed(user);
  if (changed_) changed_(subjects);
}

Result<PresenceVisibility> Privacy::visibility(const UserId& user) {
  auto p = profile(user);
  if (!p) return p.error();
  return (*p)->visibility;
}

Status Privacy::set_visibility(const UserId& user, PresenceVisibility visibility) {
  auto current = this->visibility(user);
  if (!current) return current.error();
  if (*current == visibility) return Ok{};
  UserUpdate update;
  update.presence_visibility = visibility;
  if (auto ok = store_.update_user(user, update); !ok) return ok;
  changed(user, {user});
  return Ok{};
}

Status Privacy::set_blocked(const UserId& user, const UserId& other, bool blocked) {
  if (other == user) return make_error(ErrorCode::invalid_request, "you cannot block yourself");
  auto target = accounts_.find_user(other);
  if (!target) return target.error();
  if (!*target) return make_error(ErrorCode::not_found, "no such user");
  auto p = profile(user);
  if (!p) return p.error();
  if ((*p)->blocked.contains(other) == blocked) return Ok{};
  if (blocked && (*p)->blocked.size() >= kMaxBlocked) {
    return make_error(ErrorCode::invalid_request, "at most " + std::to_string(kMaxBlocked) + " blocked users");
  }
  if (auto ok = store_.set_blocked(user, other, blocked); !ok) return ok;
  changed(user, {user, other});
  return Ok{};
}

Result<std::vector<UserId>> Privacy::blocked_by(const UserId& user) {
  auto p = profile(user);
  if (!p) return p.error();
  return std::vector<UserId>((*p)->blocked.begin(), (*p)->blocked.end());
}

Result<bool> Privacy::blocks(const UserId& user, const UserId& other) {
  auto p = profile(user);
  if (!p) return p.error();
  return (*p)->blocked.contains(other);
}

Result<bool> Privacy::either_blocks(const UserId& a, const UserId& b) {
  auto ab = blocks(a, b);
  if (!ab || *ab) return ab;
  return blocks(b, a);
}

Result<bool> Privacy::may_see_presence(const UserId& viewer, const UserId& subject) {
  if (viewer == subject) return true;
  auto seen = profile(subject);
  if (!seen) return seen.error();
  if ((*seen)->visibility == PresenceVisibility::nobody || (*seen)->blocked.contains(viewer)) return false;
  auto blocked = blocks(viewer, subject);
  if (!blocked) return blocked.error();
  if (*blocked) return false;
  // An accepted direct chat shows it, a request the subject has not
  // accepted shows the opener nothing; past that, with `everyone`, any other
  // shared chat (from the membership index: no chat record is read).
  auto direct = chats_.direct_between(viewer, subject);
  if (!direct) return direct.error();
  const Member* in_direct = *direct ? (*direct)->member(subject) : nullptr;
  if (in_direct && !in_direct->pending) return true;
  if ((*seen)->visibility != PresenceVisibility::everyone) return false;
  return chats_.shares_chat(viewer, subject, in_direct ? &(*direct)->id : nullptr);
}

bool Privacy::silenced(const Chat& chat, const UserId& actor) {
  const Member* me = chat.member(actor);
  return me && me->pending;
}

bool Privacy::unblocked(const UserId& actor, const UserId& listener) {
  auto blocked = either_blocks(actor, listener);
  return blocked && !*blocked;
}

std::vector<UserId> Privacy::audience(const Chat& chat, const UserId& actor) {
  std::vector<UserId> out;
  if (silenced(chat, actor)) return out;
  for (const auto& m : chat.members) {
    if (m.user_id != actor && unblocked(actor, m.user_id)) out.push_back(m.user_id);
  }
  return out;
}

bool Privacy::hears(const Chat& chat, const UserId& actor, const UserId& listener) {
  return listener != actor && chat.member(listener) != nullptr && !silenced(chat, actor) && unblocked(actor, listener);
}

}  // namespace parley
