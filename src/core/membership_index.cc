#include "core/membership_index.h"

#include <functional>

namespace parley {

MembershipIndex::Shard& MembershipIndex::shard(const UserId& user) {
  return shards_[std::hash<UserId>{}(user) % shards_.size()];
}

Result<std::shared_ptr<const MembershipIndex::ChatSet>> MembershipIndex::chats_of(const UserId& user) {
  auto& s = shard(user);
  std::uint64_t generation;
  {
    std::lock_guard lock(s.mutex);
    if (auto it = s.users.find(user); it != s.users.end()) return it->second;
    generation = s.generation;
  }
  auto ids = store_.chats_of_user(user);  // no lock held
  if (!ids) return ids.error();
  auto set = std::make_shared<const ChatSet>(ids->begin(), ids->end());
  std::lock_guard lock(s.mutex);
  if (auto it = s.users.find(user); it != s.users.end()) return it->second;
  // A change since the read may be missing from it: answer, but do not keep it.
  if (s.generation == generation) s.users.emplace(user, set);
  return std::shared_ptr<const ChatSet>(std::move(set));
}

Result<bool> MembershipIndex::share_a_chat(const UserId& a, const UserId& b, const ChatId* except) {
  if (a == b) return true;
  auto of_a = chats_of(a);
  if (!of_a) return of_a.error();
  auto of_b = chats_of(b);
  if (!of_b) return of_b.error();
  const ChatSet& small = (*of_a)->size() <= (*of_b)->size() ? **of_a : **of_b;
  const ChatSet& large = &small == of_a->get() ? **of_b : **of_a;
  for (const ChatId& chat : small) {
    if (large.contains(chat) && (!except || chat != *except)) return true;
  }
  return false;
}

void MembershipIndex::changed(const Chat* before, const Chat& after) {
  for (const Member& m : after.members) {
    if (!before || !before->has_member(m.user_id)) update(m.user_id, after.id, true);
  }
  if (!before) return;
  for (const Member& m : before->members) {
    if (!after.has_member(m.user_id)) update(m.user_id, after.id, false);
  }
}

void MembershipIndex::reloaded(const Chat& after) {
  changed(nullptr, after);
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (auto& [user, chats] : s.users) {
      if (!chats->contains(after.id) || after.has_member(user)) continue;
      ++s.generation;
      auto copy = std::make_shared<ChatSet>(*chats);
      copy->erase(after.id);
      chats = std::move(copy);
    }
  }
}

void MembershipIndex::update(const UserId& user, const ChatId& chat, bool member) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  ++s.generation;
  auto it = s.users.find(user);
  if (it == s.users.end()) return;  // not loaded: read from the store when first needed
  auto copy = std::make_shared<ChatSet>(*it->second);
  if (member) {
    copy->insert(chat);
  } else {
    copy->erase(chat);
  }
  it->second = std::move(copy);
}

}  // namespace parley
