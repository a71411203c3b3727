// RocksStore: opening, accounts, chats and push jobs. The message log is in
// rocks_message_log.cc; the byte layout in record_codec.h.
#include "store/rocks/rocks_store.h"

#include <set>

#include "store/rocks/record_codec.h"
#include "store/rocks/rocks_database.h"

namespace parley {

using rocks::Column;
using rocks::Direction;
using rocks::Durability;
using rocks::WriteSet;

namespace {

// The direct-chat index key, for a direct chat of exactly two members.
std::optional<std::string> direct_index_key(const Chat& chat) {
  if (chat.kind != ChatKind::direct || chat.members.size() != 2) return std::nullopt;
  return rocks::direct_key(chat.members[0].user_id, chat.members[1].user_id);
}

// The second halves of the pair keys under `first` in an index column, in
// byte order (user -> devices, user -> chats).
std::vector<std::string> index_entries(rocks::RocksDatabase& db, Column column, std::string_view first) {
  std::vector<std::string> out;
  const std::string prefix = rocks::id_prefix(first);
  // A failed scan yields the entries read so far: these methods have no error
  // channel, and RocksDB reports I/O errors on the write path as well.
  (void)db.scan(column, prefix, rocks::prefix_end(prefix), Direction::forward,
                [&](std::string_view key, std::string_view) {
                  if (auto second = rocks::pair_key_second(key)) out.push_back(std::move(*second));
                  return true;
                });
  return out;
}

}  // namespace

std::unique_ptr<RocksStore> RocksStore::open(const std::string& data_dir) {
  return std::unique_ptr<RocksStore>(new RocksStore(rocks::RocksDatabase::open(data_dir)));
}

RocksStore::RocksStore(std::unique_ptr<rocks::RocksDatabase> db) : db_(std::move(db)) {}
RocksStore::~RocksStore() = default;

// ---- AccountStore -------------------------------------------------------------

Status RocksStore::create_user(const User& user) {
  std::lock_guard lock(email_claim_mutex_);
  auto owner = db_->get(Column::emails, user.email);
  if (!owner) return owner.error();
  if (owner->has_value()) return make_error(ErrorCode::email_taken, "email is already registered");
  WriteSet writes;
  writes.put(Column::users, user.id, rocks::encode_user(user));
  writes.put(Column::emails, user.email, user.id);
  return db_->write(writes, Durability::synced);
}

std::optional<User> RocksStore::find_user(const UserId& id) {
  return rocks::load_or_absent(*db_, Column::users, id, rocks::decode_user);
}

std::optional<User> RocksStore::find_user_by_email(const std::string& email) {
  auto id = db_->get(Column::emails, email);
  if (!id || !id->has_value()) return std::nullopt;
  return find_user(**id);
}

Status RocksStore::set_last_active(const UserId& id, TimeMs at) {
  auto user = rocks::load(*db_, Column::users, id, rocks::decode_user);
  if (!user) return user.error();
  if (!user->has_value()) return make_error(ErrorCode::not_found, "no such user");
  (*user)->last_active_at = at;
  WriteSet writes;
  writes.put(Column::users, id, rocks::encode_user(**user));
  return db_->write(writes, Durability::synced);
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

std::optional<Device> RocksStore::find_device(const DeviceId& id) {
  return rocks::load_or_absent(*db_, Column::devices, id, rocks::decode_device);
}

std::optional<Device> RocksStore::find_device_by_token(const std::string& token_digest) {
  if (token_digest.empty()) return std::nullopt;  // logged-out devices have no token
  auto id = db_->get(Column::tokens, token_digest);
  if (!id || !id->has_value()) return std::nullopt;
  auto device = find_device(**id);
  // The index is written with the device, so this only guards against a bug.
  if (!device || device->token_digest != token_digest) return std::nullopt;
  return device;
}

std::vector<Device> RocksStore::devices_of_user(const UserId& id) {
  std::vector<Device> devices;
  std::vector<std::string> ids = index_entries(*db_, Column::user_devices, id);
  for (auto& bytes : db_->multi_get(Column::devices, ids)) {
    if (!bytes) continue;
    if (auto device = rocks::decode_device(*bytes)) devices.push_back(std::move(*device));
  }
  return devices;
}

// ---- ChatStore ------------------------------------------------------------------

Status RocksStore::put_chat(const Chat& chat) {
  // The core serialises writes to one chat, so reading the previous version
  // and writing the new one needs no lock here.
  auto previous = rocks::load(*db_, Column::chats, chat.id, rocks::decode_chat);
  if (!previous) return previous.error();
  WriteSet writes;
  writes.put(Column::chats, chat.id, rocks::encode_chat(chat));
  std::set<UserId> members;
  for (const Member& m : chat.members) {
    members.insert(m.user_id);
    writes.put(Column::user_chats, rocks::pair_key(m.user_id, chat.id), {});
  }
  std::optional<std::string> old_direct;
  if (const auto& old = *previous) {
    for (const Member& m : old->members) {
      if (!members.contains(m.user_id)) writes.erase(Column::user_chats, rocks::pair_key(m.user_id, chat.id));
    }
    old_direct = direct_index_key(*old);
  }
  std::optional<std::string> new_direct = direct_index_key(chat);
  if (old_direct && old_direct != new_direct) writes.erase(Column::direct, *old_direct);
  if (new_direct) writes.put(Column::direct, *new_direct, chat.id);
  return db_->write(writes, Durability::synced);
}

std::optional<Chat> RocksStore::find_chat(const ChatId& id) {
  return rocks::load_or_absent(*db_, Column::chats, id, rocks::decode_chat);
}

std::optional<ChatId> RocksStore::find_direct_chat(const UserId& a, const UserId& b) {
  auto chat = db_->get(Column::direct, rocks::direct_key(a, b));
  if (!chat || !chat->has_value()) return std::nullopt;
  return std::move(**chat);
}

std::vector<ChatId> RocksStore::chats_of_user(const UserId& id) {
  return index_entries(*db_, Column::user_chats, id);
}

Seq RocksStore::read_marker(const ChatId& chat, const UserId& user) {
  auto seq = db_->get(Column::read_markers, rocks::pair_key(chat, user));
  if (!seq || !seq->has_value()) return 0;
  return rocks::decode_u64(**seq).value_or(0);
}

Status RocksStore::set_read_marker(const ChatId& chat, const UserId& user, Seq seq) {
  // Frequent and cheap to lose: a client re-sends its read position. The WAL
  // still makes it survive a process crash.
  WriteSet writes;
  writes.put(Column::read_markers, rocks::pair_key(chat, user), rocks::encode_u64(seq));
  return db_->write(writes, Durability::wal_only);
}

// ---- PushJobStore -----------------------------------------------------------------

Status RocksStore::put_push_jobs(const std::vector<PushJob>& jobs) {
  if (jobs.empty()) return Ok{};
  WriteSet writes;
  for (const PushJob& job : jobs) writes.put(Column::push_jobs, rocks::encode_u64(job.id), rocks::encode_push_job(job));
  return db_->write(writes, Durability::synced);
}

Status RocksStore::delete_push_job(std::uint64_t id) {
  WriteSet writes;
  writes.erase(Column::push_jobs, rocks::encode_u64(id));
  return db_->write(writes, Durability::synced);
}

std::vector<PushJob> RocksStore::load_push_jobs() {
  std::vector<PushJob> jobs;
  (void)db_->scan(Column::push_jobs, {}, {}, Direction::forward, [&](std::string_view, std::string_view value) {
    if (auto job = rocks::decode_push_job(value)) jobs.push_back(std::move(*job));
    return true;
  });
  return jobs;
}

}  // namespace parley
