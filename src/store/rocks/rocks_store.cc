// RocksStore: opening, accounts, chats and push jobs. The message log is in
// rocks_message_log.cc; the byte layout in record_codec.h.
#include "store/rocks/rocks_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "store/rocks/record_codec.h"
#include "store/rocks/rocks_database.h"

namespace parley {

using rocks::Column;
using rocks::Direction;
using rocks::Durability;
using rocks::WriteSet;

namespace {

// meta: how far pushes are planned (merged by max, like last_offset).
constexpr std::string_view kPushPlannedKey = "push_planned";
// meta: the next push job id (merged by max). Absent in stores from before
// the store gave ids: they continue after the largest stored job.
constexpr std::string_view kPushNextIdKey = "push_next_id";
// meta: a device's last use, "device_used|" + id -> be64 ms, merged by max.
// Apart from the device record so that batches of uses never race with
// put_device (a logout must not be undone by a use written after it).
std::string device_used_key(const DeviceId& id) {
  return "device_used|" + id;
}

// meta: "block|" + user|other -> "" while `user` blocks `other`; a user's
// blocks are the keys under its prefix.
constexpr std::string_view kBlockPrefix = "block|";
std::string block_key(const UserId& user, const UserId& other) {
  return std::string(kBlockPrefix) + rocks::pair_key(user, other);
}

// The direct-chat index key, for a direct chat of exactly two members.
std::optional<std::string> direct_index_key(const Chat& chat) {
  if (chat.kind != ChatKind::direct || chat.members.size() != 2) return std::nullopt;
  return rocks::direct_key(chat.members[0].user_id, chat.members[1].user_id);
}

// The second halves of the pair keys under `first` in an index column, in
// byte order (user -> devices, user -> chats). A failed scan or a key that
// does not decode is an error, never a shorter list.
// `value`, when set: only the entries holding it.
Result<std::vector<std::string>> index_entries(rocks::RocksDatabase& db, Column column, std::string_view first,
                                               std::optional<std::string_view> value = std::nullopt) {
  std::vector<std::string> out;
  bool undecodable = false;
  const std::string prefix = rocks::id_prefix(first);
  auto ok = db.scan(column, prefix, rocks::prefix_end(prefix), Direction::forward,
                    [&](std::string_view key, std::string_view stored) {
                      if (value && stored != *value) return true;
                      auto second = rocks::pair_key_second(key);
                      if (!second) {
                        undecodable = true;
                        return false;
                      }
                      out.push_back(std::move(*second));
                      return true;
                    });
  if (!ok) return ok.error();
  if (undecodable) return rocks::undecodable(column);
  return out;
}

}  // namespace

std::unique_ptr<RocksStore> RocksStore::open(const std::string& data_dir) {
  std::unique_ptr<RocksStore> store(new RocksStore(rocks::RocksDatabase::open(data_dir)));
  if (auto built = store->build_search_index(); !built) {
    throw std::runtime_error("store: cannot build the search index in " + data_dir + ": " + built.error().message);
  }
  return store;
}

RocksStore::RocksStore(std::unique_ptr<rocks::RocksDatabase> db) : db_(std::move(db)) {}
RocksStore::~RocksStore() = default;

// ---- AccountStore -------------------------------------------------------------

Status RocksStore::create_user(const User& user) {
  auto turn = email_claims_.acquire(user.email);
  auto owner = db_->get(Column::emails, user.email);
  if (!owner) return owner.error();
  if (owner->has_value()) return make_error(ErrorCode::email_taken, "email is already registered");
  WriteSet writes;
  writes.put(Column::users, user.id, rocks::encode_user(user));
  writes.put(Column::emails, user.email, user.id);
  return db_->write(writes, Durability::synced);
}

Result<std::optional<User>> RocksStore::find_user(const UserId& id) {
  return rocks::load(*db_, Column::users, id, rocks::decode_user);
}

Result<std::optional<User>> RocksStore::find_user_by_email(const std::string& email) {
  auto id = db_->get(Column::emails, email);
  if (!id) return id.error();
  if (!id->has_value()) return std::nullopt;
  auto user = find_user(**id);
  // The index is written with the user, so a miss means damage, not "no such email".
  if (user && !user->has_value()) return rocks::dangling_index(Column::emails);
  return user;
}

Status RocksStore::set_last_active(const std::vector<LastActive>& updates) {
  if (updates.empty()) return Ok{};
  // Users are written here, by update_user and at signup (a new id): take
  // each user's turn, in id order (one writer of last_active holds several).
  std::set<UserId> sorted;
  for (const LastActive& update : updates) sorted.insert(update.user_id);
  std::vector<KeyedSerializer::Turn> turns;
  turns.reserve(sorted.size());
  for (const UserId& id : sorted) turns.push_back(user_writes_.acquire(id));
  std::vector<std::string> ids;
  ids.reserve(updates.size());
  for (const LastActive& update : updates) ids.push_back(update.user_id);
  auto records = db_->multi_get(Column::users, ids);
  if (!records) return records.error();
  WriteSet writes;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    const auto& bytes = (*records)[i];
    if (!bytes) continue;
    auto user = rocks::decode_user(*bytes);
    if (!user) return rocks::undecodable(Column::users);
    user->last_active_at = updates[i].at;
    writes.put(Column::users, updates[i].user_id, rocks::encode_user(*user));
  }
  if (writes.empty()) return Ok{};
  return db_->write(writes, Durability::synced);
}

Status RocksStore::update_user(const UserId& id, const UserUpdate& update) {
  auto turn = user_writes_.acquire(id);
  auto user = rocks::load(*db_, Column::users, id, rocks::decode_user);
  if (!user) return user.error();
  if (!*user) return make_error(ErrorCode::not_found, "no such user");
  if (update.display_name) (*user)->display_name = *update.display_name;
  if (update.password_hash) (*user)->password_hash = *update.password_hash;
  if (update.presence_visibility) (*user)->presence_visibility = *update.presence_visibility;
  if (update.disabled) (*user)->disabled = *update.disabled;
  WriteSet writes;
  writes.put(Column::users, id, rocks::encode_user(**user));
  return db_->write(writes, Durability::synced);
}

Status RocksStore::set_devices_last_used(const std::vector<DeviceUse>& uses) {
  if (uses.empty()) return Ok{};
  std::vector<std::string> ids;
  ids.reserve(uses.size());
  for (const DeviceUse& use : uses) ids.push_back(use.device_id);
  auto records = db_->multi_get(Column::devices, ids);
  if (!records) return records.error();
  WriteSet writes;
  for (std::size_t i = 0; i < uses.size(); ++i) {
    if (!(*records)[i] || uses[i].at <= 0) continue;
    writes.merge_max_u64(Column::meta, device_used_key(uses[i].device_id),
                         rocks::encode_u64(static_cast<std::uint64_t>(uses[i].at)));
  }
  if (writes.empty()) return Ok{};
  return db_->write(writes, Durability::synced);
}

Status RocksStore::add_last_used(std::vector<Device>& devices) {
  if (devices.empty()) return Ok{};
  std::vector<std::string> keys;
  keys.reserve(devices.size());
  for (const Device& device : devices) keys.push_back(device_used_key(device.id));
  auto values = db_->multi_get(Column::meta, keys);
  if (!values) return values.error();
  for (std::size_t i = 0; i < devices.size(); ++i) {
    if (!(*values)[i]) continue;
    auto at = rocks::decode_u64(*(*values)[i]);
    if (!at) return rocks::undecodable(Column::meta);
    devices[i].last_used_at = static_cast<TimeMs>(*at);
  }
  return Ok{};
}

Status RocksStore::put_device(const Device& device) {
  auto previous = rocks::load(*db_, Column::devices, device.id, rocks::decode_device);
  if (!previous) return previous.error();
  WriteSet writes;
  writes.put(Column::devices, device.id, rocks::encode_device(device));
  if (const auto& old = *previous) {
    if (!old->token_digest.empty() && old->token_digest != device.token_digest) {
      writes.erase(Column::tokens, old->token_digest);
    }
    if (old->user_id != device.user_id) writes.erase(Column::user_devices, rocks::pair_key(old->user_id, device.id));
  }
  if (!device.token_digest.empty()) writes.put(Column::tokens, device.token_digest, device.id);
  writes.put(Column::user_devices, rocks::pair_key(device.user_id, device.id), {});
  return db_->write(writes, Durability::synced);
}

Result<std::optional<Device>> RocksStore::find_device(const DeviceId& id) {
  auto device = rocks::load(*db_, Column::devices, id, rocks::decode_device);
  if (!device || !*device) return device;
  std::vector<Device> one{std::move(**device)};
  if (auto ok = add_last_used(one); !ok) return ok.error();
  return std::optional<Device>(std::move(one.front()));
}

Result<std::optional<Device>> RocksStore::find_device_by_token(const std::string& token_digest) {
  if (token_digest.empty()) return std::nullopt;  // logged-out devices have no token
  auto id = db_->get(Column::tokens, token_digest);
  if (!id) return id.error();
  if (!id->has_value()) return std::nullopt;
  auto device = find_device(**id);
  if (!device) return device;
  if (!device->has_value()) return rocks::dangling_index(Column::tokens);
  // A token the device no longer holds authenticates nobody.
  if ((*device)->token_digest != token_digest) return std::nullopt;
  return device;
}

Result<std::vector<Device>> RocksStore::devices_of_user(const UserId& id) {
  auto ids = index_entries(*db_, Column::user_devices, id);
  if (!ids) return ids.error();
  auto records = db_->multi_get(Column::devices, *ids);
  if (!records) return records.error();
  std::vector<Device> devices;
  devices.reserve(records->size());
  for (auto& bytes : *records) {
    if (!bytes) return rocks::dangling_index(Column::user_devices);
    auto device = rocks::decode_device(*bytes);
    if (!device) return rocks::undecodable(Column::devices);
    devices.push_back(std::move(*device));
  }
  if (auto ok = add_last_used(devices); !ok) return ok.error();
  return devices;
}

Status RocksStore::set_blocked(const UserId& user, const UserId& other, bool blocked) {
  WriteSet writes;
  if (blocked) {
    writes.put(Column::meta, block_key(user, other), {});
  } else {
    writes.erase(Column::meta, block_key(user, other));
  }
  return db_->write(writes, Durability::synced);
}

Result<std::vector<UserId>> RocksStore::blocked_users(const UserId& user) {
  std::vector<UserId> out;
  bool undecodable = false;
  const std::string prefix = std::string(kBlockPrefix) + rocks::id_prefix(user);
  auto ok = db_->scan(Column::meta, prefix, rocks::prefix_end(prefix), Direction::forward,
                      [&](std::string_view key, std::string_view) {
                        auto other = rocks::pair_key_second(key.substr(kBlockPrefix.size()));
                        if (!other) {
                          undecodable = true;
                          return false;
                        }
                        out.push_back(std::move(*other));
                        return true;
                      });
  if (!ok) return ok.error();
  if (undecodable) return rocks::undecodable(Column::meta);
  return out;
}

Result<std::vector<User>> RocksStore::list_users(const std::string& email_prefix, const std::string& after_email,
                                                 std::size_t limit) {
  std::vector<std::string> ids;
  if (limit == 0) return std::vector<User>{};
  // The smallest key after `after_email` is after_email + NUL; every e-mail
  // with the prefix sorts at or after the prefix itself.
  const std::string lower = after_email < email_prefix ? email_prefix : after_email + '\0';
  auto ok = db_->scan(Column::emails, lower, rocks::prefix_end(email_prefix), Direction::forward,
                      [&](std::string_view, std::string_view id) {
                        ids.emplace_back(id);
                        return ids.size() < limit;
                      });
  if (!ok) return ok.error();
  auto records = db_->multi_get(Column::users, ids);
  if (!records) return records.error();
  std::vector<User> out;
  out.reserve(ids.size());
  for (const auto& bytes : *records) {
    // The index is written with the user: a miss is damage.
    if (!bytes) return rocks::dangling_index(Column::emails);
    auto user = rocks::decode_user(*bytes);
    if (!user) return rocks::undecodable(Column::users);
    out.push_back(std::move(*user));
  }
  return out;
}

namespace {

Result<std::uint64_t> count_keys(rocks::RocksDatabase& db, Column column) {
  std::uint64_t count = 0;
  auto ok = db.scan(column, {}, {}, Direction::forward, [&](std::string_view, std::string_view) {
    ++count;
    return true;
  });
  if (!ok) return ok.error();
  return count;
}

}  // namespace

Result<std::uint64_t> RocksStore::count_users() {
  return count_keys(*db_, Column::emails);
}

Result<std::vector<UserId>> RocksStore::delete_user(const UserId& id) {
  // The user's record is read-modify-written under this turn elsewhere, and
  // its e-mail is claimed under the e-mail's: hold both, user first (signup
  // takes only the e-mail's, so no cycle).
  auto user_turn = user_writes_.acquire(id);
  auto user = rocks::load(*db_, Column::users, id, rocks::decode_user);
  if (!user) return user.error();
  std::optional<KeyedSerializer::Turn> email_turn;
  WriteSet writes;
  if (*user) {
    email_turn.emplace(email_claims_.acquire((*user)->email));
    writes.erase(Column::users, id);
    writes.erase(Column::emails, (*user)->email);
  }
  auto device_ids = index_entries(*db_, Column::user_devices, id);
  if (!device_ids) return device_ids.error();
  auto devices = db_->multi_get(Column::devices, *device_ids);
  if (!devices) return devices.error();
  for (std::size_t i = 0; i < device_ids->size(); ++i) {
    const DeviceId& device_id = (*device_ids)[i];
    if (const auto& bytes = (*devices)[i]) {
      auto device = rocks::decode_device(*bytes);
      if (!device) return rocks::undecodable(Column::devices);
      if (!device->token_digest.empty()) writes.erase(Column::tokens, device->token_digest);
      writes.erase(Column::devices, device_id);
    }
    writes.erase(Column::user_devices, rocks::pair_key(id, device_id));
    writes.erase(Column::meta, device_used_key(device_id));
  }
  // Blocks are keyed by who blocks: the user's own are one prefix, the
  // blocks of the user need a pass over every block (rare: an erasure).
  bool undecodable = false;
  std::vector<UserId> blockers;
  const std::string prefix(kBlockPrefix);
  auto scanned = db_->scan(Column::meta, prefix, rocks::prefix_end(prefix), Direction::forward,
                           [&](std::string_view key, std::string_view) {
                             auto parts = rocks::pair_key_parts(key.substr(prefix.size()));
                             if (!parts) {
                               undecodable = true;
                               return false;
                             }
                             if (parts->first != id && parts->second != id) return true;
                             writes.erase(Column::meta, std::string(key));
                             if (parts->second == id) blockers.push_back(std::move(parts->first));
                             return true;
                           });
  if (!scanned) return scanned.error();
  if (undecodable) return rocks::undecodable(Column::meta);
  std::sort(blockers.begin(), blockers.end());
  if (writes.empty()) return blockers;
  if (auto ok = db_->write(writes, Durability::synced); !ok) return ok.error();
  return blockers;
}

// ---- ChatStore ------------------------------------------------------------------

namespace {
// The user_chats entry of a former member; a member's is empty.
constexpr std::string_view kEndedEntry = "e";
}  // namespace

Status RocksStore::put_chat(const Chat& chat) {
  // Check-then-write per chat, and per pair for a new direct chat; no lock
  // is held across the synced write.
  auto turn = chat_writes_.acquire(chat.id);
  auto previous = rocks::load(*db_, Column::chats, chat.id, rocks::decode_chat);
  if (!previous) return previous.error();
  const std::uint64_t stored_version = *previous ? (*previous)->version : 0;
  if (chat.version != stored_version + 1) {
    return make_error(ErrorCode::conflict, "chat " + chat.id + " is at version " + std::to_string(stored_version));
  }
  std::optional<KeyedSerializer::Turn> pair_turn;
  if (std::optional<std::string> pair = direct_index_key(chat); pair && !*previous) {
    pair_turn.emplace(direct_pair_claims_.acquire(*pair));
    auto owner = db_->get(Column::direct, *pair);
    if (!owner) return owner.error();
    if (owner->has_value()) return make_error(ErrorCode::conflict, "the pair already has a direct chat");
  }
  WriteSet writes;
  writes.put(Column::chats, chat.id, rocks::encode_chat(chat));
  // One index entry per user: empty for a member, kEndedEntry for a former member.
  std::set<UserId> indexed;
  for (const Member& m : chat.members) {
    indexed.insert(m.user_id);
    writes.put(Column::user_chats, rocks::pair_key(m.user_id, chat.id), {});
  }
  for (const FormerMember& m : chat.former) {
    indexed.insert(m.user_id);
    writes.put(Column::user_chats, rocks::pair_key(m.user_id, chat.id), std::string(kEndedEntry));
  }
  std::optional<std::string> old_direct;
  if (const auto& old = *previous) {
    for (const Member& m : old->members) {
      if (!indexed.contains(m.user_id)) writes.erase(Column::user_chats, rocks::pair_key(m.user_id, chat.id));
    }
    for (const FormerMember& m : old->former) {
      if (!indexed.contains(m.user_id)) writes.erase(Column::user_chats, rocks::pair_key(m.user_id, chat.id));
    }
    old_direct = direct_index_key(*old);
  }
  std::optional<std::string> new_direct = direct_index_key(chat);
  if (old_direct && old_direct != new_direct) writes.erase(Column::direct, *old_direct);
  if (new_direct) writes.put(Column::direct, *new_direct, chat.id);
  return db_->write(writes, Durability::synced);
}

Result<std::optional<Chat>> RocksStore::find_chat(const ChatId& id) {
  return rocks::load(*db_, Column::chats, id, rocks::decode_chat);
}

Result<std::optional<ChatId>> RocksStore::find_direct_chat(const UserId& a, const UserId& b) {
  auto chat = db_->get(Column::direct, rocks::direct_key(a, b));
  if (!chat) return chat.error();
  return std::move(*chat);
}

Result<std::vector<ChatId>> RocksStore::chats_of_user(const UserId& id) {
  return index_entries(*db_, Column::user_chats, id, std::string_view());
}

Result<std::vector<ChatId>> RocksStore::ended_chats_of_user(const UserId& id) {
  return index_entries(*db_, Column::user_chats, id, kEndedEntry);
}

Result<std::uint64_t> RocksStore::count_chats() {
  return count_keys(*db_, Column::chats);
}

Result<Seq> RocksStore::read_marker(const ChatId& chat, const UserId& user) {
  auto bytes = db_->get(Column::read_markers, rocks::pair_key(chat, user));
  if (!bytes) return bytes.error();
  if (!bytes->has_value()) return Seq{0};
  auto seq = rocks::decode_u64(**bytes);
  if (!seq) return rocks::undecodable(Column::read_markers);
  return *seq;
}

Status RocksStore::raise_read_markers(std::span<const ReadMarker> markers) {
  if (markers.empty()) return Ok{};
  // Merged by max in the engine: no read first. Frequent and cheap to lose
  // (a client re-sends its read position); the WAL still makes them survive
  // a process crash.
  WriteSet writes;
  for (const ReadMarker& m : markers) {
    writes.merge_max_u64(Column::read_markers, rocks::pair_key(m.chat_id, m.user_id), rocks::encode_u64(m.seq));
  }
  return db_->write(writes, Durability::wal_only);
}

Status RocksStore::raise_delivered_markers(std::span<const ReadMarker> markers) {
  if (markers.empty()) return Ok{};
  // As read markers: merged by max, and a lost one is reported again by the
  // next message the device receives.
  WriteSet writes;
  for (const ReadMarker& m : markers) {
    writes.merge_max_u64(Column::delivered_markers, rocks::pair_key(m.chat_id, m.user_id), rocks::encode_u64(m.seq));
  }
  return db_->write(writes, Durability::wal_only);
}

Result<std::vector<MemberMarkers>> RocksStore::markers_of_chat(const ChatId& chat) {
  std::map<UserId, MemberMarkers> by_user;
  const std::string prefix = rocks::id_prefix(chat);
  for (Column column : {Column::read_markers, Column::delivered_markers}) {
    bool undecodable = false;
    auto ok = db_->scan(column, prefix, rocks::prefix_end(prefix), Direction::forward,
                        [&](std::string_view key, std::string_view value) {
                          auto user = rocks::pair_key_second(key);
                          auto seq = rocks::decode_u64(value);
                          if (!user || !seq) {
                            undecodable = true;
                            return false;
                          }
                          MemberMarkers& m = by_user[*user];
                          m.user_id = std::move(*user);
                          (column == Column::read_markers ? m.read_seq : m.delivered_seq) = *seq;
                          return true;
                        });
    if (!ok) return ok.error();
    if (undecodable) return rocks::undecodable(column);
  }
  std::vector<MemberMarkers> out;
  out.reserve(by_user.size());
  for (auto& [user, markers] : by_user) out.push_back(std::move(markers));
  return out;
}

// ---- PushJobStore -----------------------------------------------------------------

Status RocksStore::delete_push_job(std::uint64_t id) {
  WriteSet writes;
  writes.erase(Column::push_jobs, rocks::encode_u64(id));
  auto ok = db_->write(writes, Durability::synced);
  if (ok) {
    std::lock_guard lock(leases_mutex_);
    leases_.erase(id);
  }
  return ok;
}

Result<std::vector<PushJob>> RocksStore::load_push_jobs(ShardId shard) {
  std::vector<PushJob> jobs;
  if (shard != 0) return jobs;
  bool undecodable = false;
  auto ok = db_->scan(Column::push_jobs, {}, {}, Direction::forward, [&](std::string_view, std::string_view value) {
    auto job = rocks::decode_push_job(value);
    if (!job) {
      undecodable = true;
      return false;
    }
    jobs.push_back(std::move(*job));
    return true;
  });
  if (!ok) return ok.error();
  if (undecodable) return rocks::undecodable(Column::push_jobs);
  return jobs;
}

Result<std::optional<LogOffset>> RocksStore::push_planned_offset(ShardId shard) {
  if (shard != 0) return make_error(ErrorCode::invalid_request, "rocksdb: the log has only shard 0");
  auto value = db_->get(Column::meta, kPushPlannedKey);
  if (!value) return value.error();
  if (!value->has_value()) return std::nullopt;
  auto offset = rocks::decode_u64(**value);
  if (!offset) return rocks::undecodable(Column::meta);
  return std::optional<LogOffset>(*offset);
}

Status RocksStore::put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                                         LogOffset up_to) {
  if (shard != 0) return make_error(ErrorCode::invalid_request, "rocksdb: the log has only shard 0");
  if (from && up_to < *from) return make_error(ErrorCode::invalid_request, "push planning cannot move back");
  auto turn = push_plans_.acquire("0");
  auto planned = push_planned_offset(0);
  if (!planned) return planned.error();
  if (*planned != from) return make_error(ErrorCode::conflict, "push planning moved on: another planner");
  if (next_push_job_id_ == 0) {
    // Ids before the counter existed came from the dispatcher: continue after them.
    auto stored = db_->get(Column::meta, kPushNextIdKey);
    if (!stored) return stored.error();
    if (stored->has_value()) {
      auto next = rocks::decode_u64(**stored);
      if (!next) return rocks::undecodable(Column::meta);
      next_push_job_id_ = *next;
    } else {
      auto existing = load_push_jobs(0);
      if (!existing) return existing.error();
      next_push_job_id_ = existing->empty() ? 1 : existing->back().id + 1;
    }
  }
  std::uint64_t next = next_push_job_id_;
  WriteSet writes;
  for (PushJob& job : jobs) {
    job.id = next++;
    job.shard = 0;
    writes.put(Column::push_jobs, rocks::encode_u64(job.id), rocks::encode_push_job(job));
  }
  writes.merge_max_u64(Column::meta, std::string(kPushNextIdKey), rocks::encode_u64(next));
  writes.merge_max_u64(Column::meta, std::string(kPushPlannedKey), rocks::encode_u64(up_to));
  auto ok = db_->write(writes, Durability::synced);
  // A failed write may still have landed: never hand out its ids again.
  next_push_job_id_ = next;
  return ok;
}

Result<std::vector<PushClaim>> RocksStore::claim_push_jobs(const std::vector<std::uint64_t>& ids,
                                                           const std::string& owner, TimeMs now, TimeMs lease_until) {
  std::vector<PushClaim> out;
  out.reserve(ids.size());
  for (std::uint64_t id : ids) {
    PushClaim claim;
    claim.id = id;
    auto value = db_->get(Column::push_jobs, rocks::encode_u64(id));
    if (!value) return value.error();
    if (!value->has_value()) {
      out.push_back(std::move(claim));  // gone
      continue;
    }
    auto job = rocks::decode_push_job(**value);
    if (!job) return rocks::undecodable(Column::push_jobs);
    std::lock_guard lock(leases_mutex_);
    Lease& lease = leases_[id];
    if (!lease.owner.empty() && lease.owner != owner && lease.until > now) {
      claim.state = PushClaimState::held;
      claim.held_until = lease.until;
    } else {
      lease = Lease{owner, lease_until};
      claim.state = PushClaimState::claimed;
      claim.job = std::move(*job);
    }
    out.push_back(std::move(claim));
  }
  return out;
}

Status RocksStore::release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) {
  std::lock_guard lock(leases_mutex_);
  for (std::uint64_t id : ids) {
    auto it = leases_.find(id);
    if (it != leases_.end() && it->second.owner == owner) leases_.erase(it);
  }
  return Ok{};
}

Result<bool> RocksStore::reschedule_push_job(const PushJob& job, const std::string& owner) {
  auto value = db_->get(Column::push_jobs, rocks::encode_u64(job.id));
  if (!value) return value.error();
  if (!value->has_value()) return false;
  {
    std::lock_guard lock(leases_mutex_);
    auto it = leases_.find(job.id);
    if (it == leases_.end() || it->second.owner != owner) return false;
    it->second.until = job.next_attempt_at;
  }
  auto stored = rocks::decode_push_job(**value);
  if (!stored) return rocks::undecodable(Column::push_jobs);
  stored->attempts = job.attempts;
  stored->next_attempt_at = job.next_attempt_at;
  WriteSet writes;
  writes.put(Column::push_jobs, rocks::encode_u64(job.id), rocks::encode_push_job(*stored));
  auto ok = db_->write(writes, Durability::synced);
  if (!ok) return ok.error();
  return true;
}

Result<std::vector<std::pair<std::string, std::uint64_t>>> RocksStore::compact_and_measure() {
  return db_->compact_and_measure();
}

std::vector<std::pair<std::string, std::uint64_t>> RocksStore::stats() const {
  auto stats = db_->memory_usage();
  stats.emplace_back("reopens", db_->reopen_count());
  for (auto& stat : db_->engine_stats()) stats.push_back(std::move(stat));
  return stats;
}

}  // namespace parley
