#include "fakes/memory_store.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <sstream>

#include "core/search_terms.h"

namespace parley {
namespace {

std::optional<std::pair<UserId, UserId>> direct_pair(const Chat& chat) {
  if (chat.kind != ChatKind::direct || chat.members.size() != 2) return std::nullopt;
  const UserId& a = chat.members[0].user_id;
  const UserId& b = chat.members[1].user_id;
  return a <= b ? std::pair{a, b} : std::pair{b, a};
}

}  // namespace

// ---- AccountStore -------------------------------------------------------------

Status MemoryStore::create_user(const User& user) {
  std::lock_guard lock(mutex_);
  if (emails_.contains(user.email)) return make_error(ErrorCode::email_taken, "email is already registered");
  users_[user.id] = user;
  emails_[user.email] = user.id;
  return Ok{};
}

Result<std::optional<User>> MemoryStore::find_user(const UserId& id) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(id);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<User>> MemoryStore::find_user_by_email(const std::string& email) {
  std::lock_guard lock(mutex_);
  auto id = emails_.find(email);
  if (id == emails_.end()) return std::nullopt;
  auto it = users_.find(id->second);
  if (it == users_.end()) return make_error(ErrorCode::internal, "store: index emails names a missing record");
  return it->second;
}

Status MemoryStore::set_last_active(const std::vector<LastActive>& updates) {
  std::lock_guard lock(mutex_);
  for (const LastActive& update : updates) {
    if (auto it = users_.find(update.user_id); it != users_.end()) it->second.last_active_at = update.at;
  }
  return Ok{};
}

Status MemoryStore::update_user(const UserId& id, const UserUpdate& update) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(id);
  if (it == users_.end()) return make_error(ErrorCode::not_found, "no such user");
  if (update.display_name) it->second.display_name = *update.display_name;
  if (update.password_hash) it->second.password_hash = *update.password_hash;
  if (update.presence_visibility) it->second.presence_visibility = *update.presence_visibility;
  if (update.disabled) it->second.disabled = *update.disabled;
  return Ok{};
}

Result<std::vector<User>> MemoryStore::list_users(const std::string& email_prefix, const std::string& after_email,
                                                  std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<User> out;
  // Every e-mail with the prefix sorts at or after the prefix itself.
  auto it = after_email < email_prefix ? emails_.lower_bound(email_prefix) : emails_.upper_bound(after_email);
  for (; it != emails_.end() && out.size() < limit; ++it) {
    if (!it->first.starts_with(email_prefix)) break;
    out.push_back(users_.at(it->second));
  }
  return out;
}

Result<std::uint64_t> MemoryStore::count_users() {
  std::lock_guard lock(mutex_);
  return static_cast<std::uint64_t>(users_.size());
}

Result<std::vector<UserId>> MemoryStore::delete_user(const UserId& id) {
  std::lock_guard lock(mutex_);
  if (auto it = users_.find(id); it != users_.end()) {
    emails_.erase(it->second.email);
    users_.erase(it);
  }
  if (auto ids = user_devices_.find(id); ids != user_devices_.end()) {
    for (const DeviceId& device_id : ids->second) {
      auto device = devices_.find(device_id);
      if (device == devices_.end()) continue;
      if (!device->second.token_digest.empty()) tokens_.erase(device->second.token_digest);
      devices_.erase(device);
    }
    user_devices_.erase(ids);
  }
  blocked_.erase(id);
  std::vector<UserId> blockers;
  for (auto& [blocker, others] : blocked_) {
    if (others.erase(id) > 0) blockers.push_back(blocker);
  }
  return blockers;
}

Status MemoryStore::set_blocked(const UserId& user, const UserId& other, bool blocked) {
  std::lock_guard lock(mutex_);
  if (blocked) {
    blocked_[user].insert(other);
  } else if (auto it = blocked_.find(user); it != blocked_.end()) {
    it->second.erase(other);
  }
  return Ok{};
}

Result<std::vector<UserId>> MemoryStore::blocked_users(const UserId& user) {
  std::lock_guard lock(mutex_);
  auto it = blocked_.find(user);
  if (it == blocked_.end()) return std::vector<UserId>{};
  return std::vector<UserId>(it->second.begin(), it->second.end());
}

Status MemoryStore::set_devices_last_used(const std::vector<DeviceUse>& uses) {
  std::lock_guard lock(mutex_);
  for (const DeviceUse& use : uses) {
    if (auto it = devices_.find(use.device_id); it != devices_.end()) {
      it->second.last_used_at = std::max(it->second.last_used_at, use.at);
    }
  }
  return Ok{};
}

Status MemoryStore::put_device(const Device& device_in) {
  std::lock_guard lock(mutex_);
  Device device = device_in;
  device.last_used_at = 0;  // only set_devices_last_used writes it
  if (auto old = devices_.find(device.id); old != devices_.end()) {
    device.last_used_at = old->second.last_used_at;
    if (!old->second.token_digest.empty() && old->second.token_digest != device.token_digest) {
      tokens_.erase(old->second.token_digest);
    }
    if (old->second.user_id != device.user_id) user_devices_[old->second.user_id].erase(device.id);
  }
  if (!device.token_digest.empty()) tokens_[device.token_digest] = device.id;
  user_devices_[device.user_id].insert(device.id);
  devices_[device.id] = device;
  return Ok{};
}

std::optional<Device> MemoryStore::find_device_locked(const DeviceId& id) const {
  auto it = devices_.find(id);
  if (it == devices_.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<Device>> MemoryStore::find_device(const DeviceId& id) {
  std::lock_guard lock(mutex_);
  return find_device_locked(id);
}

Result<std::optional<Device>> MemoryStore::find_device_by_token(const std::string& token_digest) {
  if (token_digest.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto id = tokens_.find(token_digest);
  if (id == tokens_.end()) return std::nullopt;
  auto device = find_device_locked(id->second);
  if (!device || device->token_digest != token_digest) return std::nullopt;
  return device;
}

Result<std::vector<Device>> MemoryStore::devices_of_user(const UserId& id) {
  std::lock_guard lock(mutex_);
  std::vector<Device> out;
  auto ids = user_devices_.find(id);
  if (ids == user_devices_.end()) return out;
  for (const DeviceId& device_id : ids->second) {
    if (auto device = find_device_locked(device_id)) out.push_back(std::move(*device));
  }
  return out;
}

// ---- ChatStore ------------------------------------------------------------------

Status MemoryStore::put_chat(const Chat& chat) {
  std::lock_guard lock(mutex_);
  auto stored = chats_.find(chat.id);
  const std::uint64_t stored_version = stored == chats_.end() ? 0 : stored->second.version;
  if (chat.version != stored_version + 1) return make_error(ErrorCode::conflict, "chat version conflict");
  if (auto pair = direct_pair(chat); pair && stored == chats_.end() && direct_.contains(*pair)) {
    return make_error(ErrorCode::conflict, "the pair already has a direct chat");
  }
  std::set<UserId> members;
  for (const Member& m : chat.members) {
    members.insert(m.user_id);
    user_chats_[m.user_id].insert(chat.id);
    ended_chats_[m.user_id].erase(chat.id);
  }
  std::set<UserId> former;
  for (const FormerMember& m : chat.former) {
    former.insert(m.user_id);
    ended_chats_[m.user_id].insert(chat.id);
    user_chats_[m.user_id].erase(chat.id);
  }
  std::optional<std::pair<UserId, UserId>> old_direct;
  if (auto old = chats_.find(chat.id); old != chats_.end()) {
    for (const Member& m : old->second.members) {
      if (!members.contains(m.user_id)) user_chats_[m.user_id].erase(chat.id);
    }
    for (const FormerMember& m : old->second.former) {
      if (!former.contains(m.user_id)) ended_chats_[m.user_id].erase(chat.id);
    }
    old_direct = direct_pair(old->second);
  }
  auto new_direct = direct_pair(chat);
  if (old_direct && old_direct != new_direct) direct_.erase(*old_direct);
  if (new_direct) direct_[*new_direct] = chat.id;
  chats_[chat.id] = chat;
  return Ok{};
}

Result<std::optional<Chat>> MemoryStore::find_chat(const ChatId& id) {
  std::lock_guard lock(mutex_);
  auto it = chats_.find(id);
  if (it == chats_.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<ChatId>> MemoryStore::find_direct_chat(const UserId& a, const UserId& b) {
  std::lock_guard lock(mutex_);
  auto it = direct_.find(a <= b ? UserPair{a, b} : UserPair{b, a});
  if (it == direct_.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<ChatId>> MemoryStore::chats_of_user(const UserId& id) {
  std::lock_guard lock(mutex_);
  auto it = user_chats_.find(id);
  if (it == user_chats_.end()) return std::vector<ChatId>{};
  return std::vector<ChatId>(it->second.begin(), it->second.end());
}

Result<std::vector<ChatId>> MemoryStore::ended_chats_of_user(const UserId& id) {
  std::lock_guard lock(mutex_);
  auto it = ended_chats_.find(id);
  if (it == ended_chats_.end()) return std::vector<ChatId>{};
  return std::vector<ChatId>(it->second.begin(), it->second.end());
}

Result<std::uint64_t> MemoryStore::count_chats() {
  std::lock_guard lock(mutex_);
  return static_cast<std::uint64_t>(chats_.size());
}

Result<Seq> MemoryStore::read_marker(const ChatId& chat, const UserId& user) {
  std::lock_guard lock(mutex_);
  auto it = read_markers_.find({chat, user});
  return it == read_markers_.end() ? 0 : it->second;
}

Status MemoryStore::raise_read_markers(std::span<const ReadMarker> markers) {
  std::lock_guard lock(mutex_);
  for (const ReadMarker& m : markers) {
    Seq& stored = read_markers_[{m.chat_id, m.user_id}];
    stored = std::max(stored, m.seq);
  }
  return Ok{};
}

Status MemoryStore::raise_delivered_markers(std::span<const ReadMarker> markers) {
  std::lock_guard lock(mutex_);
  for (const ReadMarker& m : markers) {
    Seq& stored = delivered_markers_[{m.chat_id, m.user_id}];
    stored = std::max(stored, m.seq);
  }
  return Ok{};
}

Result<std::vector<MemberMarkers>> MemoryStore::markers_of_chat(const ChatId& chat) {
  std::lock_guard lock(mutex_);
  std::map<UserId, MemberMarkers> by_user;
  for (auto it = read_markers_.lower_bound({chat, UserId{}}); it != read_markers_.end() && it->first.first == chat;
       ++it) {
    MemberMarkers& m = by_user[it->first.second];
    m.user_id = it->first.second;
    m.read_seq = it->second;
  }
  for (auto it = delivered_markers_.lower_bound({chat, UserId{}});
       it != delivered_markers_.end() && it->first.first == chat; ++it) {
    MemberMarkers& m = by_user[it->first.second];
    m.user_id = it->first.second;
    m.delivered_seq = it->second;
  }
  std::vector<MemberMarkers> out;
  out.reserve(by_user.size());
  for (auto& [user, markers] : by_user) out.push_back(std::move(markers));
  return out;
}

// ---- MessageLog -------------------------------------------------------------------

Result<Seq> MemoryStore::last_seq(const ChatId& chat) {
  std::lock_guard lock(mutex_);
  auto it = messages_.find(chat);
  if (it == messages_.end() || it->second.empty()) return 0;
  return it->second.rbegin()->first;
}

Result<LogOffset> MemoryStore::last_offset() {
  std::lock_guard lock(mutex_);
  return last_offset_;
}

Result<LogOffset> MemoryStore::shard_head(ShardId shard) {
  std::lock_guard lock(mutex_);
  for (auto it = log_.rbegin(); it != log_.rend(); ++it) {
    if (shard_of(it->second.first) == shard) return it->first;
  }
  return LogOffset{0};
}

Result<std::optional<Message>> MemoryStore::find_by_client_msg_id(const ChatId& chat, const UserId& sender,
                                                                  const std::string& client_msg_id) {
  if (client_msg_id.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = client_ids_.find({chat, sender, client_msg_id});
  if (it == client_ids_.end()) return std::nullopt;
  return find_locked(chat, it->second);
}

Status MemoryStore::append(const std::vector<Message>& batch, const std::vector<Message>& changed,
                           std::span<const ReadMarker> read_markers) {
  if (batch.empty() && changed.empty() && read_markers.empty()) return Ok{};
  std::lock_guard lock(mutex_);
  for (const ReadMarker& m : read_markers) {
    Seq& stored = read_markers_[{m.chat_id, m.user_id}];
    stored = std::max(stored, m.seq);
  }
  const auto index = [&](const Message& m, bool add) {
    for (std::string& term : index_terms(m)) {
      auto key = std::make_tuple(m.chat_id, std::move(term), m.ts, m.seq);
      if (add) {
        search_.insert(std::move(key));
      } else {
        search_.erase(key);
      }
    }
  };
  for (const Message& m : changed) {
    if (auto before = find_locked(m.chat_id, m.seq)) index(*before, false);
    index(m, true);
    messages_[m.chat_id][m.seq] = m;
  }
  for (const Message& m : batch) {
    index(m, true);
    log_[m.offset] = {m.chat_id, m.seq};
    messages_[m.chat_id][m.seq] = m;
    if (!m.client_msg_id.empty()) client_ids_[{m.chat_id, m.sender_id, m.client_msg_id}] = m.seq;
    offsets_[m.chat_id][m.offset] = m.seq;
    last_offset_ = std::max(last_offset_, m.offset);
  }
  ++append_count_;
  return Ok{};
}

Result<std::vector<SearchPosting>> MemoryStore::search_postings(const ChatId& chat, const std::string& term,
                                                                SearchPosting below, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<SearchPosting> out;
  auto it = search_.lower_bound({chat, term, below.ts, below.seq});
  while (out.size() < limit && it != search_.begin()) {
    --it;
    if (std::get<0>(*it) != chat || std::get<1>(*it) != term) break;
    out.push_back({std::get<2>(*it), std::get<3>(*it)});
  }
  return out;
}

std::optional<Message> MemoryStore::find_locked(const ChatId& chat, Seq seq) const {
  auto log = messages_.find(chat);
  if (log == messages_.end()) return std::nullopt;
  auto it = log->second.find(seq);
  if (it == log->second.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<Message>> MemoryStore::find(const ChatId& chat, Seq seq) {
  std::lock_guard lock(mutex_);
  return find_locked(chat, seq);
}

Result<std::vector<Message>> MemoryStore::read_before(const ChatId& chat, Seq before, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<Message> out;
  auto log = messages_.find(chat);
  if (log == messages_.end()) return out;
  auto end = before == 0 ? log->second.end() : log->second.lower_bound(before);
  for (auto it = std::make_reverse_iterator(end); it != log->second.rend() && out.size() < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<std::vector<Message>> MemoryStore::read_after(const ChatId& chat, Seq after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<Message> out;
  auto log = messages_.find(chat);
  if (log == messages_.end()) return out;
  for (auto it = log->second.upper_bound(after); it != log->second.end() && out.size() < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<std::vector<Message>> MemoryStore::read_offset_range(const ChatId& chat, LogOffset after, LogOffset up_to,
                                                            std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<Message> out;
  auto offsets = offsets_.find(chat);
  if (after >= up_to || offsets == offsets_.end()) return out;
  for (auto it = offsets->second.upper_bound(after);
       it != offsets->second.end() && it->first <= up_to && out.size() < limit; ++it) {
    if (auto message = find_locked(chat, it->second)) out.push_back(std::move(*message));
  }
  return out;
}

Result<std::vector<Message>> MemoryStore::read_log(ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<Message> out;
  if (after >= up_to) return out;
  for (auto it = log_.upper_bound(after); it != log_.end() && it->first <= up_to && out.size() < limit; ++it) {
    if (shard_of(it->second.first) != shard) continue;
    auto message = find_locked(it->second.first, it->second.second);
    if (!message) return make_error(ErrorCode::internal, "store: index log names a missing record");
    message->shard = shard;
    out.push_back(std::move(*message));
  }
  return out;
}

// ---- PushJobStore -----------------------------------------------------------------

Result<std::optional<LogOffset>> MemoryStore::push_planned_offset(ShardId shard) {
  std::lock_guard lock(mutex_);
  auto it = push_planned_.find(shard);
  if (it == push_planned_.end()) return std::nullopt;
  return std::optional<LogOffset>(it->second);
}

Status MemoryStore::put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                                          LogOffset up_to) {
  if (from && up_to < *from) return make_error(ErrorCode::invalid_request, "push planning cannot move back");
  std::lock_guard lock(mutex_);
  auto it = push_planned_.find(shard);
  std::optional<LogOffset> stored;
  if (it != push_planned_.end()) stored = it->second;
  if (stored != from) return make_error(ErrorCode::conflict, "push planning moved on: another planner");
  for (PushJob& job : jobs) {
    job.id = next_push_job_id_++;
    job.shard = shard;
    push_jobs_[job.id] = job;
  }
  push_planned_[shard] = up_to;
  return Ok{};
}

Result<std::vector<PushJob>> MemoryStore::load_push_jobs(ShardId shard) {
  std::lock_guard lock(mutex_);
  std::vector<PushJob> out;
  for (const auto& [id, job] : push_jobs_) {
    if (job.shard == shard) out.push_back(job);
  }
  return out;
}

std::vector<PushJob> MemoryStore::all_push_jobs() const {
  std::lock_guard lock(mutex_);
  std::vector<PushJob> out;
  for (const auto& [id, job] : push_jobs_) out.push_back(job);
  return out;
}

Result<std::vector<PushClaim>> MemoryStore::claim_push_jobs(const std::vector<std::uint64_t>& ids,
                                                            const std::string& owner, TimeMs now, TimeMs lease_until) {
  std::lock_guard lock(mutex_);
  std::vector<PushClaim> out;
  for (std::uint64_t id : ids) {
    PushClaim claim;
    claim.id = id;
    auto job = push_jobs_.find(id);
    if (job != push_jobs_.end()) {
      PushLease& lease = push_leases_[id];
      if (!lease.owner.empty() && lease.owner != owner && lease.until > now) {
        claim.state = PushClaimState::held;
        claim.held_until = lease.until;
      } else {
        lease = PushLease{owner, lease_until};
        claim.state = PushClaimState::claimed;
        claim.job = job->second;
      }
    }
    out.push_back(std::move(claim));
  }
  return out;
}

Status MemoryStore::release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) {
  std::lock_guard lock(mutex_);
  for (std::uint64_t id : ids) {
    auto it = push_leases_.find(id);
    if (it != push_leases_.end() && it->second.owner == owner) push_leases_.erase(it);
  }
  return Ok{};
}

Result<bool> MemoryStore::reschedule_push_job(const PushJob& job, const std::string& owner) {
  std::lock_guard lock(mutex_);
  auto stored = push_jobs_.find(job.id);
  auto lease = push_leases_.find(job.id);
  if (stored == push_jobs_.end() || lease == push_leases_.end() || lease->second.owner != owner) return false;
  stored->second.attempts = job.attempts;
  stored->second.next_attempt_at = job.next_attempt_at;
  lease->second.until = job.next_attempt_at;
  return true;
}

Status MemoryStore::delete_push_job(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  push_jobs_.erase(id);
  push_leases_.erase(id);
  return Ok{};
}

std::size_t MemoryStore::append_count() const {
  std::lock_guard lock(mutex_);
  return append_count_;
}

std::string MemoryStore::dump() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [id, u] : users_) {
    out << "user " << id << ' ' << u.email << ' ' << u.display_name << ' ' << u.last_active_at
        << (u.disabled ? " disabled" : "") << '\n';
  }
  for (const auto& [id, d] : devices_) {
    out << "device " << id << ' ' << d.user_id << ' ' << d.name << ' ' << d.token_digest << ' '
        << (d.push ? d.push->url : "-") << '\n';
  }
  for (const auto& [id, c] : chats_) {
    out << "chat " << id << ' ' << to_string(c.kind) << ' ' << c.name;
    for (const Member& m : c.members) out << ' ' << m.user_id << ':' << to_string(m.role);
    out << '\n';
  }
  for (const auto& [key, seq] : read_markers_) out << "marker " << key.first << ' ' << key.second << ' ' << seq << '\n';
  for (const auto& [key, seq] : delivered_markers_) {
    out << "delivered " << key.first << ' ' << key.second << ' ' << seq << '\n';
  }
  for (const auto& [chat, log] : messages_) {
    for (const auto& [seq, m] : log) {
      out << "message " << chat << ' ' << seq << ' ' << m.offset << ' ' << m.sender_id << ' ' << m.client_msg_id << ' '
          << m.text << '\n';
    }
  }
  for (const auto& [chat, term, ts, seq] : search_) {
    out << "search " << chat << ' ' << term << ' ' << ts << ' ' << seq << '\n';
  }
  out << "last_offset " << last_offset_ << '\n';
  for (const auto& [shard, planned] : push_planned_) out << "push_planned " << shard << ' ' << planned << '\n';
  for (const auto& [id, job] : push_jobs_) {
    out << "push_job " << id << ' ' << job.user_id << ' ' << job.device_id << ' ' << job.chat_id << ' ' << job.seq
        << ' ' << job.count << ' ' << job.attempts << '\n';
  }
  return out.str();
}

ShardId MemoryStore::shard_of(const ChatId& chat) const {
  return static_cast<ShardId>(std::hash<ChatId>{}(chat) % shard_count_);
}

}  // namespace parley
