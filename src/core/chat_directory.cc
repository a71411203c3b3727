#include "core/chat_directory.h"

#include <algorithm>
#include <functional>
#include <unordered_set>
#include <utility>

#include "core/text.h"

namespace parley {
namespace {

Error group_too_large(const CoreConfig& config) {
  return make_error(ErrorCode::group_too_large,
                    "a group has at most " + std::to_string(config.max_group_size) + " members");
}

}  // namespace

ChatDirectory::ChatDirectory(ChatStore& store, MessageLog& log, MessageSequencer& sequencer, Accounts& accounts,
                             Credentials& credentials, EventSink& sink, Clock& clock, const CoreConfig& config)
    : store_(store),
      log_(log),
      sequencer_(sequencer),
      accounts_(accounts),
      credentials_(credentials),
      sink_(sink),
      clock_(clock),
      config_(config),
      members_(store) {}

ChatDirectory::Shard& ChatDirectory::shard(const ChatId& id) {
  return shards_[std::hash<ChatId>{}(id) % shards_.size()];
}

Result<ChatPtr> ChatDirectory::find(const ChatId& chat_id) {
  if (chat_id.empty()) return ChatPtr();
  auto& s = shard(chat_id);
  {
    std::lock_guard lock(s.mutex);
    if (auto it = s.chats.find(chat_id); it != s.chats.end()) return it->second;
  }
  // Read without the shard's lock, so other chats of the shard never wait
  // for this read.
  auto stored = store_.find_chat(chat_id);
  if (!stored) return stored.error();
  if (!stored->has_value()) return ChatPtr();
  auto chat = std::make_shared<const Chat>(std::move(**stored));
  std::lock_guard lock(s.mutex);
  // A writer may have installed a newer version meanwhile: keep the cached one.
  return s.chats.emplace(chat_id, std::move(chat)).first->second;
}

ChatPtr ChatDirectory::cached(const ChatId& chat_id) {
  auto& s = shard(chat_id);
  std::lock_guard lock(s.mutex);
  auto it = s.chats.find(chat_id);
  return it == s.chats.end() ? nullptr : it->second;
}

bool ChatDirectory::sender_reads(const ChatId& chat_id, const UserId& sender, MessageKind kind) {
  if (kind != MessageKind::event) return true;
  ChatPtr chat = cached(chat_id);
  return chat && chat->has_member(sender);
}

Status ChatDirectory::persist(const ChatPtr& chat) {
  // The caller holds the chat's turn (or the chat is new), so no other
  // writer can interleave; no lock is held during the synced write.
  if (auto ok = store_.put_chat(*chat); !ok) return ok;
  ChatPtr before;
  {
    auto& s = shard(chat->id);
    std::lock_guard lock(s.mutex);
    auto& slot = s.chats[chat->id];
    before = std::move(slot);
    slot = chat;  // replaces whatever a reader cached before the write
  }
  // A writer (holding the turn) read the chat through the cache, so `before`
  // is the version this one replaces.
  members_.changed(before.get(), *chat);
  sink_.chat_changed(chat->id);
  return Ok{};
}

Result<ChatPtr> ChatDirectory::find_for_member(const UserId& me, const ChatId& chat_id) {
  auto chat = find(chat_id);
  if (!chat) return chat.error();
  if (!*chat) return make_error(ErrorCode::not_found, "no such chat");
  if (!(*chat)->has_member(me)) return make_error(ErrorCode::forbidden, "you are not a member of this chat");
  return chat;
}

Result<ChatDirectory::Readable> ChatDirectory::find_for_reader(const UserId& me, const ChatId& chat_id) {
  auto chat = find(chat_id);
  if (!chat) return chat.error();
  if (!*chat) return make_error(ErrorCode::not_found, "no such chat");
  if (const Member* member = (*chat)->member(me)) return Readable{*chat, member->joined_seq, std::nullopt};
  if (const FormerMember* former = (*chat)->former_member(me)) {
    return Readable{*chat, former->joined_seq, former->left_seq};
  }
  return make_error(ErrorCode::forbidden, "you are not a member of this chat");
}

Result<ChatDirectory::Opened> ChatDirectory::open_direct(const UserId& me, const UserId& peer) {
  if (peer == me) return make_error(ErrorCode::invalid_request, "a direct chat needs another user");
  auto peer_user = accounts_.find_user(peer);
  if (!peer_user) return peer_user.error();
  if (!*peer_user) return make_error(ErrorCode::not_found, "no such user");
  // One find-or-create per pair at a time; other pairs proceed.
  auto turn = direct_pairs_.acquire(me < peer ? me + '\0' + peer : peer + '\0' + me);
  auto existing = store_.find_direct_chat(me, peer);
  if (!existing) return existing.error();
  if (*existing) {
    auto chat = find(**existing);
    if (!chat) return chat.error();
    if (*chat) return Opened{*chat, false};
  }
  Chat chat;
  chat.id = credentials_.new_id();
  chat.kind = ChatKind::direct;
  // A message request until the peer replies or accepts (Member::pending).
  chat.members = {{me, MemberRole::member}, {peer, MemberRole::member}};
  chat.members[1].pending = true;
  chat.created_at = clock_.now_ms();
  auto ptr = std::make_shared<const Chat>(std::move(chat));
  if (auto ok = persist(ptr); !ok) {
    if (ok.error().code != ErrorCode::conflict) return ok.error();
    // Another node created the pair's chat at the same moment: that one it is.
    auto winner = store_.find_direct_chat(me, peer);
    if (!winner) return winner.error();
    if (!*winner) return ok.error();
    auto chat = find(**winner);
    if (!chat) return chat.error();
    if (!*chat) return ok.error();
    return Opened{*chat, false};
  }
  announce(ChatEventKind::created, *ptr);
  return Opened{ptr, true};
}

Status ChatDirectory::group_admin(const Chat& chat, const UserId& me, const char* if_direct, const char* if_not_admin) {
  const Member* caller = chat.member(me);
  if (!caller) return make_error(ErrorCode::forbidden, "you are not a member of this chat");
  if (chat.kind != ChatKind::group) return make_error(ErrorCode::invalid_request, if_direct);
  if (caller->role != MemberRole::admin) return make_error(ErrorCode::forbidden, if_not_admin);
  return Ok{};
}

Status ChatDirectory::valid_group_name(const std::string& name) const {
  if (name.empty() || name.size() > config_.max_name_bytes || !is_valid_utf8(name)) {
    return make_error(ErrorCode::invalid_request, "name must be 1 to 200 bytes of UTF-8");
  }
  return Ok{};
}

Result<ChatPtr> ChatDirectory::create_group(const UserId& me, const std::string& name,
                                            const std::vector<UserId>& member_ids) {
  if (auto ok = valid_group_name(name); !ok) return ok.error();
  Chat chat;
  chat.members.push_back({me, MemberRole::admin});
  std::unordered_set<UserId> seen{me};
  for (const auto& id : member_ids) {
    if (!seen.insert(id).second) continue;
    chat.members.push_back({id, MemberRole::member});
  }
  if (chat.members.size() > config_.max_group_size) {
    return group_too_large(config_);
  }
  for (const auto& m : chat.members) {
    auto user = accounts_.find_user(m.user_id);
    if (!user) return user.error();
    if (!*user) return make_error(ErrorCode::not_found, "no such user: " + m.user_id);
  }
  chat.id = credentials_.new_id();
  chat.kind = ChatKind::group;
  chat.name = name;
  chat.created_at = clock_.now_ms();
  auto ptr = std::make_shared<const Chat>(std::move(chat));
  if (auto ok = persist(ptr); !ok) return ok.error();
  announce(ChatEventKind::created, *ptr);
  return ptr;
}

Result<ChatPtr> ChatDirectory::change(const ChatId& chat_id, const Edit& edit) {
  // Each retry means another writer committed a change to this chat, so a
  // few suffice unless the chat is under a storm of changes.
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    // One change per chat at a time in this process: the version read here is the one replaced.
    auto turn = chat_writers_.acquire(chat_id);
    auto loaded = find(chat_id);
    if (!loaded) return loaded.error();
    const ChatPtr& chat = *loaded;
    if (!chat) return make_error(ErrorCode::not_found, "no such chat");
    auto edited = edit(*chat);
    if (!edited) return edited.error();
    if (!*edited) {
      // Nothing to change, but a caller retrying after a failed guard (below)
      // must find the guard raised: it is idempotent.
      if (chat->version > 1) {
        if (auto guarded = sequencer_.chat_changed(chat_id, chat->version); !guarded) return guarded.error();
      }
      return chat;
    }
    (*edited)->version = chat->version + 1;
    auto updated = std::make_shared<const Chat>(std::move(**edited));
    auto ok = persist(updated);
    if (ok) {
      // From here on no node commits a message validated against an older
      // version, so a removed member gets nothing sent after this returns.
      if (auto guarded = sequencer_.chat_changed(chat_id, updated->version); !guarded) return guarded.error();
      return updated;
    }
    if (ok.error().code != ErrorCode::conflict) return ok.error();
    if (auto reloaded = refresh(chat_id); !reloaded) return reloaded.error();
  }
  return make_error(ErrorCode::conflict, "the chat kept changing; try again");
}

Status ChatDirectory::refresh(const ChatId& chat_id) {
  auto stored = store_.find_chat(chat_id);
  if (!stored) return stored.error();
  if (!stored->has_value()) return Ok{};
  auto chat = std::make_shared<const Chat>(std::move(**stored));
  ChatPtr before;
  {
    auto& s = shard(chat_id);
    std::lock_guard lock(s.mutex);
    auto& slot = s.chats[chat_id];
    if (slot && slot->version >= chat->version) return Ok{};  // already as new
    before = std::exchange(slot, chat);
  }
  if (before) {
    members_.changed(before.get(), *chat);
  } else {
    members_.reloaded(*chat);
  }
  return Ok{};
}

Result<ChatPtr> ChatDirectory::add_member(const UserId& me, const ChatId& chat_id, const UserId& user) {
  auto added = accounts_.find_user(user);
  if (!added) return added.error();
  if (!*added) return make_error(ErrorCode::not_found, "no such user");
  bool changed = false;
  auto updated = change(chat_id, [&](const Chat& chat) -> Result<std::optional<Chat>> {
    if (auto ok = group_admin(chat, me, "direct chats have two members", "only admins add members"); !ok)
      return ok.error();
    changed = false;
    if (chat.has_member(user)) return std::optional<Chat>();
    if (chat.members.size() + 1 > config_.max_group_size) return group_too_large(config_);
    // They see what is said from now on.
    auto last = log_.last_seq(chat_id);
    if (!last) return last.error();
    Chat copy = chat;
    copy.members.push_back({user, MemberRole::member, *last});
    // A former member comes back as a new one: what they could read before
    // is not theirs again (the new join is where their history starts).
    std::erase_if(copy.former, [&](const FormerMember& m) { return m.user_id == user; });
    changed = true;
    return std::optional<Chat>(std::move(copy));
  });
  if (!updated) return updated.error();
  if (changed) {
    // Nothing before they joined is unread. A failed write leaves it to the
    // client's first read receipt.
    const ReadMarker joined{chat_id, user, (*updated)->member(user)->joined_seq};
    (void)store_.raise_read_markers({&joined, 1});
    announce(ChatEventKind::member_added, **updated);
    timeline(me, chat_id, {GroupEventType::member_added, user, {}});
  }
  return updated;
}

Result<ChatPtr> ChatDirectory::remove_member(const UserId& me, const ChatId& chat_id, const UserId& user) {
  UserId promoted;
  auto updated = change(chat_id, [&](const Chat& chat) -> Result<std::optional<Chat>> {
    const Member* caller = chat.member(me);
    if (!caller) return make_error(ErrorCode::forbidden, "you are not a member of this chat");
    if (chat.kind != ChatKind::group) return make_error(ErrorCode::invalid_request, "nobody leaves a direct chat");
    if (me != user && caller->role != MemberRole::admin) {
      return make_error(ErrorCode::forbidden, "only admins remove other members");
    }
    const Member* leaving = chat.member(user);
    if (!leaving) return make_error(ErrorCode::not_found, "not a member of this chat");
    // They keep reading up to here: what was said while they were a member.
    auto last = log_.last_seq(chat_id);
    if (!last) return last.error();
    Chat copy = chat;
    copy.former.push_back({user, leaving->joined_seq, std::max(*last, leaving->joined_seq)});
    std::erase_if(copy.members, [&](const Member& m) { return m.user_id == user; });
    // A group is never left without an admin: the longest-standing member takes over.
    bool has_admin = std::any_of(copy.members.begin(), copy.members.end(),
                                 [](const Member& m) { return m.role == MemberRole::admin; });
    promoted.clear();
    if (!has_admin && !copy.members.empty()) {
      copy.members.front().role = MemberRole::admin;
      promoted = copy.members.front().user_id;
    }
    return std::optional<Chat>(std::move(copy));
  });
  if (!updated) return updated.error();
  announce(ChatEventKind::member_removed, **updated, {user});
  timeline(me, chat_id, {me == user ? GroupEventType::member_left : GroupEventType::member_removed, user, {}});
  if (!promoted.empty()) timeline(me, chat_id, {GroupEventType::role_changed, promoted, to_string(MemberRole::admin)});
  return updated;
}

Status ChatDirectory::forget(const UserId& me, const ChatId& chat_id) {
  auto updated = change(chat_id, [&](const Chat& chat) -> Result<std::optional<Chat>> {
    if (chat.has_member(me)) {
      return make_error(ErrorCode::invalid_request, "you are a member of this chat: leave the group first");
    }
    if (!chat.former_member(me)) return make_error(ErrorCode::forbidden, "you are not a member of this chat");
    Chat copy = chat;
    std::erase_if(copy.former, [&](const FormerMember& m) { return m.user_id == me; });
    return std::optional<Chat>(std::move(copy));
  });
  if (!updated) return updated.error();
  // The user's devices drop it; nobody else learns of it.
  ChatView gone;
  gone.chat_id = chat_id;
  gone.kind = (*updated)->kind;
  gone.name = (*updated)->name;
  gone.created_at = (*updated)->created_at;
  sink_.deliver(std::span<const UserId>(&me, 1),
                std::make_shared<const Event>(ChatEvent{ChatEventKind::forgotten, std::move(gone)}));
  return Ok{};
}

Result<std::vector<ChatPtr>> ChatDirectory::ended_chats_of(const UserId& user) {
  auto ids = store_.ended_chats_of_user(user);
  if (!ids) return ids.error();
  std::vector<ChatPtr> out;
  out.reserve(ids->size());
  for (const auto& id : *ids) {
    auto chat = find(id);
    if (!chat) return chat.error();
    if (*chat && (*chat)->former_member(user)) out.push_back(std::move(*chat));
  }
  return out;
}

Result<std::vector<ChatPtr>> ChatDirectory::listed_chats_of(const UserId& user) {
  auto chats = chats_of(user);
  if (!chats) return chats.error();
  auto ended = ended_chats_of(user);
  if (!ended) return ended.error();
  chats->insert(chats->end(), ended->begin(), ended->end());
  std::sort(chats->begin(), chats->end(), [](const ChatPtr& a, const ChatPtr& b) { return a->id < b->id; });
  return chats;
}

Result<ChatPtr> ChatDirectory::rename_group(const UserId& me, const ChatId& chat_id, const std::string& name) {
  if (auto ok = valid_group_name(name); !ok) return ok.error();
  bool changed = false;
  auto updated = change(chat_id, [&](const Chat& chat) -> Result<std::optional<Chat>> {
    if (auto ok = group_admin(chat, me, "a direct chat has no name", "only admins rename the group"); !ok)
      return ok.error();
    changed = false;
    if (chat.name == name) return std::optional<Chat>();
    Chat copy = chat;
    copy.name = name;
    changed = true;
    return std::optional<Chat>(std::move(copy));
  });
  if (!updated) return updated.error();
  if (changed) {
    announce(ChatEventKind::renamed, **updated);
    timeline(me, chat_id, {GroupEventType::renamed, {}, name});
  }
  return updated;
}

Result<ChatPtr> ChatDirectory::set_muted(const UserId& me, const ChatId& chat_id, TimeMs until) {
  if (until < 0 || until > kMutedForever) return make_error(ErrorCode::invalid_request, "until is out of range");
  auto updated = change(chat_id, [&](const Chat& chat) -> Result<std::optional<Chat>> {
    if (!chat.member(me)) return make_error(ErrorCode::forbidden, "you are not a member of this chat");
    Chat copy = chat;
    for (Member& m : copy.members) {
      if (m.user_id != me) continue;
      if (m.muted_until == until) return std::optional<Chat>();
      m.muted_until = until;
    }
    return std::optional<Chat>(std::move(copy));
  });
  if (!updated) return updated.error();
  // Only the member's own devices hear of it: nobody else learns who muted.
  if (auto v = view(**updated, &me)) {
    sink_.deliver(std::span<const UserId>(&me, 1),
                  std::make_shared<const Event>(ChatEvent{ChatEventKind::muted, std::move(*v)}));
  }
  return updated;
}

Result<ChatPtr> ChatDirectory::accept(const UserId& me, const ChatId& chat_id) {
  bool changed = false;
  auto updated = change(chat_id, [&](const Chat& chat) -> Result<std::optional<Chat>> {
    const Member* mine = chat.member(me);
    if (!mine) return make_error(ErrorCode::forbidden, "you are not a member of this chat");
    changed = mine->pending;
    if (!changed) return std::optional<Chat>();
    Chat copy = chat;
    for (Member& m : copy.members) {
      if (m.user_id == me) m.pending = false;
    }
    return std::optional<Chat>(std::move(copy));
  });
  if (!updated) return updated.error();
  // The member's own devices drop the request; the opener is told nothing
  // (it simply starts seeing presence, receipts and typing).
  if (!changed) return updated;
  if (auto v = view(**updated, &me)) {
    sink_.deliver(std::span<const UserId>(&me, 1),
                  std::make_shared<const Event>(ChatEvent{ChatEventKind::accepted, std::move(*v)}));
  }
  return updated;
}

Result<ChatPtr> ChatDirectory::set_role(const UserId& me, const ChatId& chat_id, const UserId& user, MemberRole role) {
  bool changed = false;
  auto updated = change(chat_id, [&](const Chat& chat) -> Result<std::optional<Chat>> {
    if (auto ok = group_admin(chat, me, "a direct chat has no roles", "only admins change roles"); !ok)
      return ok.error();
    const Member* target = chat.member(user);
    if (!target) return make_error(ErrorCode::not_found, "not a member of this chat");
    changed = false;
    if (target->role == role) return std::optional<Chat>();
    Chat copy = chat;
    for (Member& m : copy.members) {
      if (m.user_id == user) m.role = role;
    }
    if (std::none_of(copy.members.begin(), copy.members.end(),
                     [](const Member& m) { return m.role == MemberRole::admin; })) {
      return make_error(ErrorCode::invalid_request, "a group keeps at least one admin: make another admin first");
    }
    changed = true;
    return std::optional<Chat>(std::move(copy));
  });
  if (!updated) return updated.error();
  if (changed) {
    announce(ChatEventKind::role_changed, **updated);
    timeline(me, chat_id, {GroupEventType::role_changed, user, to_string(role)});
  }
  return updated;
}

Result<std::vector<ChatPtr>> ChatDirectory::chats_of(const UserId& user) {
  auto ids = members_.chats_of(user);
  if (!ids) return ids.error();
  std::vector<ChatId> order((*ids)->begin(), (*ids)->end());
  std::sort(order.begin(), order.end());  // chat id order, as the store lists them
  std::vector<ChatPtr> out;
  out.reserve(order.size());
  for (const auto& id : order) {
    auto chat = find(id);
    if (!chat) return chat.error();
    if (*chat && (*chat)->has_member(user)) out.push_back(std::move(*chat));
  }
  return out;
}

Result<std::vector<UserId>> ChatDirectory::direct_contacts(const UserId& user) {
  auto chats = chats_of(user);
  if (!chats) return chats.error();
  std::vector<UserId> out;
  for (const auto& chat : *chats) {
    if (chat->kind != ChatKind::direct) continue;
    for (const auto& m : chat->members) {
      if (m.user_id != user) out.push_back(m.user_id);
    }
  }
  return out;
}

Result<bool> ChatDirectory::shares_chat(const UserId& a, const UserId& b, const ChatId* except) {
  return members_.share_a_chat(a, b, except);
}

Result<ChatPtr> ChatDirectory::direct_between(const UserId& a, const UserId& b) {
  const std::string pair = a < b ? a + '\0' + b : b + '\0' + a;
  std::optional<ChatId> id;
  {
    std::lock_guard lock(direct_ids_mutex_);
    if (auto it = direct_ids_.find(pair); it != direct_ids_.end()) id = it->second;
  }
  if (!id) {
    auto stored = store_.find_direct_chat(a, b);
    if (!stored) return stored.error();
    if (!*stored) return ChatPtr();
    id = **stored;
    std::lock_guard lock(direct_ids_mutex_);
    direct_ids_.emplace(pair, *id);
  }
  return find(*id);
}

Result<ChatView> ChatDirectory::view(const Chat& chat, const UserId* for_user) {
  ChatView v;
  v.chat_id = chat.id;
  v.kind = chat.kind;
  v.name = chat.name;
  v.created_at = chat.created_at;
  // A former member sees the chat as it ended for them: up to left_seq, with
  // the members who were there then (none added since).
  const FormerMember* ended = for_user ? chat.former_member(*for_user) : nullptr;
  if (ended) v.ended_seq = ended->left_seq;
  v.members.reserve(chat.members.size());
  for (const auto& m : chat.members) {
    if (ended && m.joined_seq > ended->left_seq) continue;
    auto name = accounts_.display_name(m.user_id);
    if (!name) return name.error();
    v.members.push_back({m.user_id, std::move(*name), m.role});
  }
  // The newest text message is the chat's preview; actions on it (edits,
  // reactions) after it are not shown as messages, but count in last_seq.
  // Nearly always the newest entry is one; past this many actions in a row
  // the chat shows no preview.
  constexpr std::size_t kPreviewScan = 20;
  // read_before(after the end) reads from the end; 0 reads from the newest.
  const Seq end = ended ? ended->left_seq + 1 : 0;
  auto newest = log_.read_before(chat.id, end, 1);
  if (!newest) return newest.error();
  v.last_seq = newest->empty() ? 0 : newest->front().seq;
  // A withheld message is its sender's alone: a view for everyone never shows it.
  auto shown = [&](const Message& m) {
    return m.kind == MessageKind::text && (!m.withheld || (for_user && m.sender_id == *for_user));
  };
  if (!newest->empty() && !shown(newest->front())) {
    newest = log_.read_before(chat.id, v.last_seq, kPreviewScan);
    if (!newest) return newest.error();
  }
  for (auto& m : *newest) {
    if (!shown(m)) continue;
    v.last_message = std::move(m);
    break;
  }
  if (for_user) {
    auto marker = store_.read_marker(chat.id, *for_user);
    if (!marker) return marker.error();
    v.read_seq = *marker;
    Seq seen = *marker;
    if (const Member* me = chat.member(*for_user)) {
      // Said before they joined: not theirs to see.
      if (v.last_message && v.last_message->seq <= me->joined_seq) v.last_message.reset();
      if (me->muted_until > clock_.now_ms()) v.muted_until = me->muted_until;
      v.request = me->pending;
      seen = std::max(seen, me->joined_seq);
    } else if (ended) {
      if (v.last_message && v.last_message->seq <= ended->joined_seq) v.last_message.reset();
      seen = std::max(seen, ended->joined_seq);
    }
    auto unread = unread_messages(chat.id, *for_user, seen, v.last_seq);
    if (!unread) return unread.error();
    v.unread = *unread;
  }
  return v;
}

Result<std::uint64_t> ChatDirectory::unread_messages(const ChatId& chat_id, const UserId& user, Seq seen,
                                                     Seq last_seq) {
  if (last_seq <= seen) return std::uint64_t{0};
  // Text messages of others only: actions, timeline lines and your own
  // messages take seqs but are not news. Past this many entries the rest
  // count as messages, so a chat list stays cheap however far behind.
  constexpr std::size_t kUnreadScan = 100;
  auto entries = log_.read_after(chat_id, seen, kUnreadScan);
  if (!entries) return entries.error();
  std::uint64_t unread = 0;
  for (const Message& m : *entries) {
    // Committed after last_seq was read: counted by whoever hears it next,
    // not twice (a client adds the entries after last_seq to this count).
    if (m.seq > last_seq) break;
    if (m.kind == MessageKind::text && m.sender_id != user && !m.withheld) ++unread;
  }
  if (entries->size() == kUnreadScan && last_seq > entries->back().seq) unread += last_seq - entries->back().seq;
  return unread;
}

void ChatDirectory::announce_rename(const UserId& user) {
  // The name is durable already; a chat list that cannot be read now is
  // shown with the new name at the next fetch.
  auto chats = chats_of(user);
  if (!chats) return;
  for (const ChatPtr& chat : *chats) announce(ChatEventKind::member_renamed, *chat);
}

void ChatDirectory::timeline(const UserId& actor, const ChatId& chat_id, GroupEvent event) {
  if (group_event_hook_) group_event_hook_(actor, chat_id, event);
}

void ChatDirectory::announce(ChatEventKind kind, const Chat& chat, const std::vector<UserId>& extra_recipients) {
  // The change is already durable; an event with a view we could not read
  // (wrong last_seq, missing names) would mislead, so none is sent. Members
  // see the change in their chat list.
  auto chat_view = view(chat);
  if (!chat_view) return;
  // One view for every member: its preview could be older than a member who
  // joined later, so none is sent (the chat list has each member's own).
  chat_view->last_message.reset();
  auto event = std::make_shared<const Event>(ChatEvent{kind, std::move(*chat_view)});
  std::vector<UserId> recipients;
  recipients.reserve(chat.members.size() + extra_recipients.size());
  for (const auto& m : chat.members) recipients.push_back(m.user_id);
  recipients.insert(recipients.end(), extra_recipients.begin(), extra_recipients.end());
  sink_.deliver(recipients, event);
}

}  // namespace parley
