// MariaDbStore: accounts and chats as rows. The schema is in mariadb_schema.cc.
#include "store/mariadb/mariadb_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "store/mariadb/connection_pool.h"
#include "store/mariadb/mariadb_schema.h"
#include "store/mariadb/message_shards.h"
#include "store/mariadb/pooled_calls.h"

namespace parley {

using mariadb::Connection;
using mariadb::in_transaction;
using mariadb::Param;
using mariadb::Row;

namespace {

Error undecodable(const char* table) {
  return make_error(ErrorCode::internal, std::string("mariadb: a row of ") + table + " does not decode");
}

Result<std::optional<User>> one_user(Result<std::vector<Row>> rows) {
  if (!rows) return rows.error();
  if (rows->empty()) return std::nullopt;
  const Row& r = rows->front();
  User user{r.text(0), r.text(1), r.text(2), r.text(3), r.i64(4), r.i64(5)};
  const std::uint64_t visibility = r.u64(6);
  const std::uint64_t disabled = r.u64(7);
  if (r.bad() || visibility > static_cast<std::uint64_t>(PresenceVisibility::nobody) || disabled > 1) {
    return undecodable("users");
  }
  user.presence_visibility = static_cast<PresenceVisibility>(visibility);
  user.disabled = disabled == 1;
  return std::optional<User>(std::move(user));
}

// The columns one_user decodes, in its order.
constexpr const char* kUserColumns =
    "id, email, display_name, password_hash, created_at, last_active_at, presence_visibility, disabled";

Result<Device> device_from(const Row& r) {
  Device device{r.text(0), r.text(1), r.text(2),   r.is_null(3) ? std::string() : r.text(3),
                r.i64(4),  r.i64(7),  std::nullopt};
  if (!r.is_null(5)) {
    // NULL keys: a webhook, or a device registered before Web Push.
    device.push = PushRegistration{r.text(5), r.text(6), r.is_null(8) ? std::string() : r.text(8),
                                   r.is_null(9) ? std::string() : r.text(9)};
  }
  if (r.bad()) return undecodable("devices");
  return device;
}

Result<std::optional<Device>> one_device(Result<std::vector<Row>> rows) {
  if (!rows) return rows.error();
  if (rows->empty()) return std::nullopt;
  auto device = device_from(rows->front());
  if (!device) return device.error();
  return std::optional<Device>(std::move(*device));
}

std::string_view kind_name(ChatKind kind) {
  return kind == ChatKind::direct ? "direct" : "group";
}

std::string_view role_name(MemberRole role) {
  return role == MemberRole::admin ? "admin" : "member";
}

// The direct_pairs key of a direct chat of exactly two members: the pair in
// byte order, so (a, b) and (b, a) are one row.
std::optional<std::pair<UserId, UserId>> direct_pair(const Chat& chat) {
  if (chat.kind != ChatKind::direct || chat.members.size() != 2) return std::nullopt;
  return std::minmax(chat.members[0].user_id, chat.members[1].user_id);
}

}  // namespace

std::unique_ptr<MariaDbStore> MariaDbStore::open(const MariaDbConfig& config) {
  mariadb::ensure_schema(config.connection);
  return std::unique_ptr<MariaDbStore>(
      new MariaDbStore(std::make_unique<mariadb::ConnectionPool>(config.connection, config.pool_size)));
}

MariaDbStore::MariaDbStore(std::unique_ptr<mariadb::ConnectionPool> pool) : pool_(std::move(pool)) {}
MariaDbStore::~MariaDbStore() = default;

std::size_t MariaDbStore::open_connections() const {
  return pool_->open_connections();
}

template <typename T, typename Op>
Result<T> MariaDbStore::read(Op&& op) {
  return mariadb::pooled_read<T>(*pool_, std::forward<Op>(op));
}

template <typename T, typename Op>
Result<T> MariaDbStore::write(Op&& op) {
  return mariadb::pooled_write<T>(*pool_, std::forward<Op>(op));
}

// ---- AccountStore -------------------------------------------------------------

Status MariaDbStore::create_user(const User& user) {
  return write<Ok>([&](Connection& c) -> Status {
    auto inserted = c.execute(
        "INSERT INTO users (id, email, display_name, password_hash, created_at, last_active_at, presence_visibility,"
        " disabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {user.id, user.email, user.display_name, user.password_hash, user.created_at, user.last_active_at,
         std::uint64_t{static_cast<std::uint8_t>(user.presence_visibility)}, std::uint64_t{user.disabled ? 1u : 0u}});
    if (inserted) return Ok{};
    if (c.duplicate_key() == "email") return make_error(ErrorCode::email_taken, "email is already registered");
    return inserted.error();
  });
}

Result<std::optional<User>> MariaDbStore::find_user(const UserId& id) {
  return read<std::optional<User>>([&](Connection& c) {
    return one_user(c.query((std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?").c_str(), {id}));
  });
}

Result<std::optional<User>> MariaDbStore::find_user_by_email(const std::string& email) {
  return read<std::optional<User>>([&](Connection& c) {
    return one_user(c.query((std::string("SELECT ") + kUserColumns + " FROM users WHERE email = ?").c_str(), {email}));
  });
}

Status MariaDbStore::set_last_active(const std::vector<LastActive>& updates) {
  if (updates.empty()) return Ok{};
  // One transaction: all of them or none. Unknown users match no row.
  return write<Ok>([&](Connection& c) {
    return in_transaction(c, [&]() -> Status {
      for (const LastActive& update : updates) {
        auto updated = c.execute("UPDATE users SET last_active_at = ? WHERE id = ?", {update.at, update.user_id});
        if (!updated) return updated.error();
      }
      return Ok{};
    });
  });
}

Status MariaDbStore::update_user(const UserId& id, const UserUpdate& update) {
  return write<Ok>([&](Connection& c) -> Status {
    // Only the columns given: a concurrent set_last_active is not undone.
    // Existence is asked first: an UPDATE that changes nothing (the same
    // name again) counts no row.
    auto found = c.query("SELECT 1 FROM users WHERE id = ?", {id});
    if (!found) return found.error();
    if (found->empty()) return make_error(ErrorCode::not_found, "no such user");
    if (update.display_name) {
      auto ok = c.execute("UPDATE users SET display_name = ? WHERE id = ?", {*update.display_name, id});
      if (!ok) return ok.error();
    }
    if (update.password_hash) {
      auto ok = c.execute("UPDATE users SET password_hash = ? WHERE id = ?", {*update.password_hash, id});
      if (!ok) return ok.error();
    }
    if (update.presence_visibility) {
      auto ok = c.execute("UPDATE users SET presence_visibility = ? WHERE id = ?",
                          {std::uint64_t{static_cast<std::uint8_t>(*update.presence_visibility)}, id});
      if (!ok) return ok.error();
    }
    if (update.disabled) {
      auto ok =
          c.execute("UPDATE users SET disabled = ? WHERE id = ?", {std::uint64_t{*update.disabled ? 1u : 0u}, id});
      if (!ok) return ok.error();
    }
    return Ok{};
  });
}

Result<std::vector<User>> MariaDbStore::list_users(const std::string& email_prefix, const std::string& after_email,
                                                   std::size_t limit) {
  if (limit == 0) return std::vector<User>{};
  // A range on the e-mail key, not LIKE: e-mails are bytes (VARBINARY) and
  // may hold % or _. Every e-mail with the prefix sorts at or after it and
  // before the prefix with its last byte raised (none when it is all 0xff).
  std::string upper = email_prefix;
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) upper.pop_back();
  if (!upper.empty()) upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
  const bool from_prefix = after_email < email_prefix;
  const std::string sql = std::string("SELECT ") + kUserColumns + " FROM users WHERE email " +
                          (from_prefix ? ">=" : ">") + " ?" + (upper.empty() ? "" : " AND email < ?") +
                          " ORDER BY email LIMIT ?";
  std::vector<mariadb::Param> params{std::string_view(from_prefix ? email_prefix : after_email)};
  if (!upper.empty()) params.emplace_back(std::string_view(upper));
  params.emplace_back(static_cast<std::uint64_t>(limit));
  return read<std::vector<User>>([&](Connection& c) -> Result<std::vector<User>> {
    auto rows = c.query(sql.c_str(), params);
    if (!rows) return rows.error();
    std::vector<User> users;
    users.reserve(rows->size());
    for (Row& row : *rows) {
      std::vector<Row> one;
      one.push_back(std::move(row));
      auto user = one_user(std::move(one));
      if (!user) return user.error();
      users.push_back(std::move(**user));
    }
    return users;
  });
}

namespace {

Result<std::uint64_t> count_rows(Connection& c, const char* sql) {
  auto rows = c.query(sql, std::span<const mariadb::Param>());
  if (!rows) return rows.error();
  if (rows->size() != 1) return make_error(ErrorCode::internal, "mariadb: a count answered no row");
  const std::uint64_t count = (*rows)[0].u64(0);
  if ((*rows)[0].bad()) return make_error(ErrorCode::internal, "mariadb: a count does not decode");
  return count;
}

}  // namespace

Result<std::uint64_t> MariaDbStore::count_users() {
  return read<std::uint64_t>([&](Connection& c) { return count_rows(c, "SELECT COUNT(*) FROM users"); });
}

Result<std::uint64_t> MariaDbStore::count_chats() {
  return read<std::uint64_t>([&](Connection& c) { return count_rows(c, "SELECT COUNT(*) FROM chats"); });
}

Result<std::vector<UserId>> MariaDbStore::delete_user(const UserId& id) {
  // One transaction: the account and everything keyed by it, or nothing.
  // Deleting twice deletes no row the second time, so a retry may apply it again.
  std::vector<UserId> blockers;
  auto done = write<Ok>([&](Connection& c) {
    return in_transaction(c, [&]() -> Status {
      blockers.clear();  // a deadlock victim runs again
      auto rows = c.query("SELECT user_id FROM blocks WHERE blocked_id = ? ORDER BY user_id FOR UPDATE", {id});
      if (!rows) return rows.error();
      for (const Row& row : *rows) blockers.push_back(row.text(0));
      for (const char* sql : {"DELETE FROM devices WHERE user_id = ?", "DELETE FROM blocks WHERE user_id = ?",
                              "DELETE FROM blocks WHERE blocked_id = ?", "DELETE FROM users WHERE id = ?"}) {
        auto deleted = c.execute(sql, {id});
        if (!deleted) return deleted.error();
      }
      return Ok{};
    });
  });
  if (!done) return done.error();
  return blockers;
}

Status MariaDbStore::set_devices_last_used(const std::vector<DeviceUse>& uses) {
  if (uses.empty()) return Ok{};
  return write<Ok>([&](Connection& c) {
    return in_transaction(c, [&]() -> Status {
      for (const DeviceUse& use : uses) {
        auto updated = c.execute("UPDATE devices SET last_used_at = GREATEST(last_used_at, ?) WHERE id = ?",
                                 {use.at, use.device_id});
        if (!updated) return updated.error();
      }
      return Ok{};
    });
  });
}

Status MariaDbStore::put_device(const Device& device) {
  const mariadb::Param token =
      device.token_digest.empty() ? mariadb::Param(nullptr) : mariadb::Param(std::string_view(device.token_digest));
  const mariadb::Param provider =
      device.push ? mariadb::Param(std::string_view(device.push->provider)) : mariadb::Param(nullptr);
  const mariadb::Param url = device.push ? mariadb::Param(std::string_view(device.push->url)) : mariadb::Param(nullptr);
  auto key = [&](const std::string PushRegistration::*field) {
    return device.push && !((*device.push).*field).empty() ? mariadb::Param(std::string_view((*device.push).*field))
                                                           : mariadb::Param(nullptr);
  };
  const mariadb::Param p256dh = key(&PushRegistration::p256dh);
  const mariadb::Param auth = key(&PushRegistration::auth);
  return write<Ok>([&](Connection& c) -> Status {
    // Not INSERT ... ON DUPLICATE KEY UPDATE: that would also fire on the
    // token key and overwrite another device. Update by id, else insert; a
    // concurrent insert of the same new id makes the insert collide on the
    // primary key, and the update then finds the row.
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto updated = c.execute(
          "UPDATE devices SET user_id = ?, name = ?, token_digest = ?, created_at = ?, push_provider = ?,"
          " push_url = ?, push_p256dh = ?, push_auth = ? WHERE id = ?",
          {device.user_id, device.name, token, device.created_at, provider, url, p256dh, auth, device.id});
      if (!updated) return updated.error();
      if (*updated > 0) return Ok{};
      auto inserted = c.execute(
          "INSERT INTO devices (id, user_id, name, token_digest, created_at, push_provider, push_url, push_p256dh,"
          " push_auth) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {device.id, device.user_id, device.name, token, device.created_at, provider, url, p256dh, auth});
      if (inserted) return Ok{};
      if (c.duplicate_key() != "PRIMARY") return inserted.error();
    }
    return make_error(ErrorCode::internal, "mariadb: device " + device.id + " kept changing under put_device");
  });
}

Result<std::optional<Device>> MariaDbStore::find_device(const DeviceId& id) {
  return read<std::optional<Device>>([&](Connection& c) {
    return one_device(
        c.query("SELECT id, user_id, name, token_digest, created_at, push_provider, push_url, last_used_at,"
                " push_p256dh, push_auth"
                " FROM devices WHERE id = ?",
                {id}));
  });
}

Result<std::optional<Device>> MariaDbStore::find_device_by_token(const std::string& token_digest) {
  if (token_digest.empty()) return std::nullopt;  // logged-out devices have no token
  return read<std::optional<Device>>([&](Connection& c) {
    return one_device(
        c.query("SELECT id, user_id, name, token_digest, created_at, push_provider, push_url, last_used_at,"
                " push_p256dh, push_auth"
                " FROM devices WHERE token_digest = ?",
                {token_digest}));
  });
}

Result<std::vector<Device>> MariaDbStore::devices_of_user(const UserId& id) {
  return read<std::vector<Device>>([&](Connection& c) -> Result<std::vector<Device>> {
    auto rows = c.query(
        "SELECT id, user_id, name, token_digest, created_at, push_provider, push_url, last_used_at,"
        " push_p256dh, push_auth"
        " FROM devices WHERE user_id = ? ORDER BY id",
        {id});
    if (!rows) return rows.error();
    std::vector<Device> devices;
    devices.reserve(rows->size());
    for (const Row& row : *rows) {
      auto device = device_from(row);
      if (!device) return device.error();
      devices.push_back(std::move(*device));
    }
    return devices;
  });
}

Status MariaDbStore::set_blocked(const UserId& user, const UserId& other, bool blocked) {
  return write<Ok>([&](Connection& c) -> Status {
    auto done = blocked ? c.execute("INSERT IGNORE INTO blocks (user_id, blocked_id) VALUES (?, ?)", {user, other})
                        : c.execute("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?", {user, other});
    if (!done) return done.error();
    return Ok{};
  });
}

Result<std::vector<UserId>> MariaDbStore::blocked_users(const UserId& user) {
  return read<std::vector<UserId>>([&](Connection& c) -> Result<std::vector<UserId>> {
    auto rows = c.query("SELECT blocked_id FROM blocks WHERE user_id = ? ORDER BY blocked_id", {user});
    if (!rows) return rows.error();
    std::vector<UserId> out;
    out.reserve(rows->size());
    for (const Row& row : *rows) {
      out.push_back(row.text(0));
      if (row.bad()) return undecodable("blocks");
    }
    return out;
  });
}

// ---- ChatStore ------------------------------------------------------------------

Status MariaDbStore::put_chat(const Chat& chat) {
  return write<Ok>([&](Connection& c) { return in_transaction(c, [&] { return put_chat_locked(c, chat); }); });
}

Status MariaDbStore::put_chat_locked(Connection& c, const Chat& chat) {
  // Compare-and-set on the version. The row lock (FOR UPDATE) orders every
  // writer of this chat, on any node, until this transaction ends.
  auto stored = c.query("SELECT version FROM chats WHERE id = ? FOR UPDATE", {chat.id});
  if (!stored) return stored.error();
  const bool exists = !stored->empty();
  const std::uint64_t stored_version = exists ? stored->front().u64(0) : 0;
  if (exists && stored->front().bad()) return undecodable("chats");
  if (chat.version != stored_version + 1) {
    return make_error(ErrorCode::conflict, "chat " + chat.id + " is at version " + std::to_string(stored_version));
  }
  if (exists) {
    auto updated =
        c.execute("UPDATE chats SET kind = ?, name = ?, created_at = ?, version = ? WHERE id = ? AND version = ?",
                  {kind_name(chat.kind), chat.name, chat.created_at, chat.version, chat.id, stored_version});
    if (!updated) return updated.error();
    if (*updated != 1) return make_error(ErrorCode::conflict, "chat " + chat.id + " changed under the update");
  } else {
    auto inserted = c.execute("INSERT INTO chats (id, kind, name, created_at, version) VALUES (?, ?, ?, ?, ?)",
                              {chat.id, kind_name(chat.kind), chat.name, chat.created_at, chat.version});
    // Another node created it since the SELECT.
    if (!inserted && c.duplicate_key() == "PRIMARY") {
      return make_error(ErrorCode::conflict, "chat " + chat.id + " exists");
    }
    if (!inserted) return inserted.error();
  }

  // Members: remove who left, insert or update the rest (role, position,
  // joined_seq, muted_until).
  using Stored = std::tuple<std::string, std::uint64_t, std::uint64_t, std::int64_t, std::uint64_t>;
  std::map<UserId, Stored> before;
  if (exists) {
    auto rows =
        c.query("SELECT user_id, role, position, joined_seq, muted_until, pending FROM chat_members WHERE chat_id = ?",
                {chat.id});
    if (!rows) return rows.error();
    for (const Row& row : *rows) {
      before[row.text(0)] = {row.text(1), row.u64(2), row.u64(3), row.i64(4), row.u64(5)};
      if (row.bad()) return undecodable("chat_members");
    }
  }
  std::map<UserId, std::uint64_t> after;
  for (std::size_t i = 0; i < chat.members.size(); ++i) after.emplace(chat.members[i].user_id, i);
  for (const auto& [user, unused] : before) {
    if (after.contains(user)) continue;
    auto deleted = c.execute("DELETE FROM chat_members WHERE chat_id = ? AND user_id = ?", {chat.id, user});
    if (!deleted) return deleted.error();
  }
  for (std::uint64_t position = 0; position < chat.members.size(); ++position) {
    const Member& m = chat.members[position];
    auto old = before.find(m.user_id);
    const std::uint64_t pending = m.pending ? 1 : 0;
    if (old != before.end() &&
        old->second == Stored(role_name(m.role), position, m.joined_seq, m.muted_until, pending)) {
      continue;
    }
    auto written = c.execute(
        "INSERT INTO chat_members (chat_id, user_id, position, role, joined_seq, muted_until, pending)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON DUPLICATE KEY UPDATE position = VALUES(position), role = VALUES(role), joined_seq = VALUES(joined_seq),"
        " muted_until = VALUES(muted_until), pending = VALUES(pending)",
        {chat.id, m.user_id, position, role_name(m.role), m.joined_seq, std::int64_t{m.muted_until}, pending});
    if (!written) return written.error();
  }

  // Former members: the same, keyed by user.
  std::map<UserId, std::pair<std::uint64_t, std::uint64_t>> former_before;
  if (exists) {
    auto rows = c.query("SELECT user_id, joined_seq, left_seq FROM former_members WHERE chat_id = ?", {chat.id});
    if (!rows) return rows.error();
    for (const Row& row : *rows) {
      former_before[row.text(0)] = {row.u64(1), row.u64(2)};
      if (row.bad()) return undecodable("former_members");
    }
  }
  std::set<UserId> former_after;
  for (const FormerMember& m : chat.former) former_after.insert(m.user_id);
  for (const auto& [user, unused] : former_before) {
    if (former_after.contains(user)) continue;
    auto deleted = c.execute("DELETE FROM former_members WHERE chat_id = ? AND user_id = ?", {chat.id, user});
    if (!deleted) return deleted.error();
  }
  for (const FormerMember& m : chat.former) {
    auto old = former_before.find(m.user_id);
    if (old != former_before.end() && old->second == std::pair(m.joined_seq, m.left_seq)) continue;
    auto written = c.execute(
        "INSERT INTO former_members (chat_id, user_id, joined_seq, left_seq) VALUES (?, ?, ?, ?)"
        " ON DUPLICATE KEY UPDATE joined_seq = VALUES(joined_seq), left_seq = VALUES(left_seq)",
        {chat.id, m.user_id, m.joined_seq, m.left_seq});
    if (!written) return written.error();
  }

  // The pair index follows the chat; the pair's primary key refuses a
  // second direct chat for the same two people.
  if (exists) {
    auto cleared = c.execute("DELETE FROM direct_pairs WHERE chat_id = ?", {chat.id});
    if (!cleared) return cleared.error();
  }
  if (auto pair = direct_pair(chat)) {
    auto claimed = c.execute("INSERT INTO direct_pairs (user_low, user_high, chat_id) VALUES (?, ?, ?)",
                             {pair->first, pair->second, chat.id});
    // Rolled back with everything above: the chat is not created.
    if (!claimed && c.duplicate_key() == "PRIMARY") {
      return make_error(ErrorCode::conflict, "the pair already has a direct chat");
    }
    if (!claimed) return claimed.error();
  }
  return Ok{};
}

Result<std::optional<Chat>> MariaDbStore::find_chat(const ChatId& id) {
  return read<std::optional<Chat>>([&](Connection& c) -> Result<std::optional<Chat>> {
    // One statement, so the chat, its members and its former members come
    // from one snapshot: members first (in position order), then former ones
    // (left_seq not NULL).
    auto rows = c.query(
        "SELECT c.kind, c.name, c.created_at, c.version, m.user_id, m.role, m.joined_seq, m.muted_until, m.pending,"
        " NULL AS left_seq, 0 AS former, m.position AS ordering"
        " FROM chats c LEFT JOIN chat_members m ON m.chat_id = c.id WHERE c.id = ?"
        " UNION ALL"
        " SELECT c.kind, c.name, c.created_at, c.version, f.user_id, 'member', f.joined_seq, 0, 0, f.left_seq, 1, 0"
        " FROM chats c JOIN former_members f ON f.chat_id = c.id WHERE c.id = ?"
        " ORDER BY former, ordering, user_id",
        {id, id});
    if (!rows) return rows.error();
    if (rows->empty()) return std::nullopt;
    const Row& first = rows->front();
    Chat chat{id, first.text(0) == "direct" ? ChatKind::direct : ChatKind::group, first.text(1), {}, first.i64(2)};
    chat.version = first.u64(3);
    if (first.bad()) return undecodable("chats");
    for (const Row& row : *rows) {
      if (row.is_null(4)) continue;  // a chat without members
      if (!row.is_null(9)) {
        chat.former.push_back({row.text(4), row.u64(6), row.u64(9)});
        if (row.bad()) return undecodable("former_members");
        continue;
      }
      const std::uint64_t pending = row.u64(8);
      chat.members.push_back({row.text(4), row.text(5) == "admin" ? MemberRole::admin : MemberRole::member, row.u64(6),
                              row.i64(7), pending == 1});
      if (row.bad() || chat.members.back().muted_until < 0 || pending > 1) return undecodable("chat_members");
    }
    return std::optional<Chat>(std::move(chat));
  });
}

Result<std::optional<ChatId>> MariaDbStore::find_direct_chat(const UserId& a, const UserId& b) {
  const auto ordered = std::minmax(a, b);  // references to a and b
  return read<std::optional<ChatId>>([&](Connection& c) -> Result<std::optional<ChatId>> {
    auto rows = c.query("SELECT chat_id FROM direct_pairs WHERE user_low = ? AND user_high = ?",
                        {ordered.first, ordered.second});
    if (!rows) return rows.error();
    if (rows->empty()) return std::nullopt;
    std::string chat = rows->front().text(0);
    if (rows->front().bad()) return undecodable("direct_pairs");
    return std::optional<ChatId>(std::move(chat));
  });
}

Result<std::vector<ChatId>> MariaDbStore::chats_of_user(const UserId& id) {
  return read<std::vector<ChatId>>([&](Connection& c) -> Result<std::vector<ChatId>> {
    auto rows = c.query("SELECT chat_id FROM chat_members WHERE user_id = ? ORDER BY chat_id", {id});
    if (!rows) return rows.error();
    std::vector<ChatId> chats;
    chats.reserve(rows->size());
    for (const Row& row : *rows) {
      chats.push_back(row.text(0));
      if (row.bad()) return undecodable("chat_members");
    }
    return chats;
  });
}

Result<std::vector<ChatId>> MariaDbStore::ended_chats_of_user(const UserId& id) {
  return read<std::vector<ChatId>>([&](Connection& c) -> Result<std::vector<ChatId>> {
    auto rows = c.query("SELECT chat_id FROM former_members WHERE user_id = ? ORDER BY chat_id", {id});
    if (!rows) return rows.error();
    std::vector<ChatId> chats;
    chats.reserve(rows->size());
    for (const Row& row : *rows) {
      chats.push_back(row.text(0));
      if (row.bad()) return undecodable("former_members");
    }
    return chats;
  });
}

Status MariaDbStore::ping() {
  return read<Ok>([](Connection& c) -> Status {
    auto rows = c.query("SELECT 1", {});
    if (!rows) return rows.error();
    return Ok{};
  });
}

Result<Seq> MariaDbStore::read_marker(const ChatId& chat, const UserId& user) {
  return read<Seq>([&](Connection& c) -> Result<Seq> {
    auto rows = c.query("SELECT seq FROM read_markers WHERE chat_id = ? AND user_id = ?", {chat, user});
    if (!rows) return rows.error();
    if (rows->empty()) return Seq{0};
    const Seq seq = rows->front().u64(0);
    if (rows->front().bad()) return undecodable("read_markers");
    return seq;
  });
}

Status MariaDbStore::raise_read_markers(std::span<const ReadMarker> markers) {
  return raise_markers(markers, "INSERT INTO read_markers (chat_id, user_id, seq, delivered_seq) VALUES ",
                       " ON DUPLICATE KEY UPDATE seq = GREATEST(seq, VALUES(seq))", true);
}

Status MariaDbStore::raise_delivered_markers(std::span<const ReadMarker> markers) {
  return raise_markers(markers, "INSERT INTO read_markers (chat_id, user_id, seq, delivered_seq) VALUES ",
                       " ON DUPLICATE KEY UPDATE delivered_seq = GREATEST(delivered_seq, VALUES(delivered_seq))",
                       false);
}

// One row per marker: (chat, user, read seq, delivered seq), the other
// position 0 for a row that did not exist (0 is "nothing yet").
Status MariaDbStore::raise_markers(std::span<const ReadMarker> markers, const char* insert, const char* update,
                                   bool read) {
  // Rows in key order, so that two writers lock the rows they share in the
  // same order and never deadlock on each other.
  std::vector<const ReadMarker*> sorted;
  sorted.reserve(markers.size());
  for (const ReadMarker& m : markers) sorted.push_back(&m);
  std::sort(sorted.begin(), sorted.end(), [](const ReadMarker* a, const ReadMarker* b) {
    return std::tie(a->chat_id, a->user_id, a->seq) < std::tie(b->chat_id, b->user_id, b->seq);
  });
  constexpr std::size_t kRowsPerStatement = 64;
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t count : mariadb::power_of_two_chunks(sorted.size(), kRowsPerStatement)) {
    const std::string sql = insert + mariadb::placeholder_rows(count, 4) + update;
    params.clear();
    for (std::size_t i = next; i < next + count; ++i) {
      params.emplace_back(std::string_view(sorted[i]->chat_id));
      params.emplace_back(std::string_view(sorted[i]->user_id));
      params.emplace_back(std::uint64_t{read ? sorted[i]->seq : 0});
      params.emplace_back(std::uint64_t{read ? 0 : sorted[i]->seq});
    }
    next += count;
    auto written = write<std::vector<Row>>([&](Connection& c) { return c.query(sql.c_str(), params); });
    if (!written) return written.error();
  }
  return Ok{};
}

Result<std::vector<MemberMarkers>> MariaDbStore::markers_of_chat(const ChatId& chat) {
  return read<std::vector<MemberMarkers>>([&](Connection& c) -> Result<std::vector<MemberMarkers>> {
    auto rows =
        c.query("SELECT user_id, seq, delivered_seq FROM read_markers WHERE chat_id = ? ORDER BY user_id", {chat});
    if (!rows) return rows.error();
    std::vector<MemberMarkers> out;
    out.reserve(rows->size());
    for (const Row& row : *rows) {
      out.push_back({row.text(0), row.u64(1), row.u64(2)});
      if (row.bad()) return undecodable("read_markers");
    }
    return out;
  });
}

}  // namespace parley
