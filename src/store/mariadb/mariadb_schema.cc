#include "store/mariadb/mariadb_schema.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/mariadb/message_shards.h"

namespace parley::mariadb {

namespace {

// Ids, e-mails and token digests are VARBINARY: compared byte for byte,
// exactly as stored (a *_bin collation of VARCHAR would still ignore
// trailing spaces), ordered like std::string. Text people read (names, URLs)
// is utf8mb4; invalid UTF-8 there is refused by strict mode.
constexpr const char* kTableOptions = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

// Version 1: accounts, devices, chats, members, direct pairs, read markers.
std::vector<std::string> migration_1() {
  const std::string options = kTableOptions;
  return {
      "CREATE TABLE IF NOT EXISTS users ("
      " id VARBINARY(255) NOT NULL,"
      " email VARBINARY(255) NOT NULL,"
      " display_name MEDIUMTEXT NOT NULL,"
      " password_hash VARBINARY(1024) NOT NULL,"
      " created_at BIGINT NOT NULL,"
      " last_active_at BIGINT NOT NULL,"
      " PRIMARY KEY (id),"
      " UNIQUE KEY email (email))" +
          options,
      // token_digest is NULL while logged out: NULLs never collide in a
      // unique key and no lookup finds them.
      "CREATE TABLE IF NOT EXISTS devices ("
      " id VARBINARY(255) NOT NULL,"
      " user_id VARBINARY(255) NOT NULL,"
      " name MEDIUMTEXT NOT NULL,"
      " token_digest VARBINARY(255) NULL,"
      " created_at BIGINT NOT NULL,"
      " push_provider MEDIUMTEXT NULL,"
      " push_url MEDIUMTEXT NULL,"
      " PRIMARY KEY (id),"
      " UNIQUE KEY token_digest (token_digest),"
      " KEY user_devices (user_id, id))" +
          options,
      "CREATE TABLE IF NOT EXISTS chats ("
      " id VARBINARY(255) NOT NULL,"
      " kind ENUM('direct', 'group') NOT NULL,"
      " name MEDIUMTEXT NOT NULL,"
      " created_at BIGINT NOT NULL,"
      " version BIGINT UNSIGNED NOT NULL,"
      " PRIMARY KEY (id))" +
          options,
      // position keeps the members in the order the chat lists them.
      "CREATE TABLE IF NOT EXISTS chat_members ("
      " chat_id VARBINARY(255) NOT NULL,"
      " user_id VARBINARY(255) NOT NULL,"
      " position INT UNSIGNED NOT NULL,"
      " role ENUM('admin', 'member') NOT NULL,"
      " PRIMARY KEY (chat_id, user_id),"
      " KEY user_chats (user_id, chat_id))" +
          options,
      // One direct chat per pair is this primary key (user_low < user_high
      // bytewise), not a lock in any one process.
      "CREATE TABLE IF NOT EXISTS direct_pairs ("
      " user_low VARBINARY(255) NOT NULL,"
      " user_high VARBINARY(255) NOT NULL,"
      " chat_id VARBINARY(255) NOT NULL,"
      " PRIMARY KEY (user_low, user_high),"
      " UNIQUE KEY chat (chat_id))" +
          options,
      "CREATE TABLE IF NOT EXISTS read_markers ("
      " chat_id VARBINARY(255) NOT NULL,"
      " user_id VARBINARY(255) NOT NULL,"
      " seq BIGINT UNSIGNED NOT NULL,"
      " PRIMARY KEY (chat_id, user_id))" +
          options,
  };
}

// Version 2: when each device's token was last used (batched by the core's
// DeviceUseWriter; 0 until then), for the device list and idle expiry.
std::vector<std::string> migration_2() {
  return {
      "ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_used_at BIGINT NOT NULL DEFAULT 0",
  };
}

// Version 3: each member's joined_seq (the chat's last seq when they were
// added: they see what was said after it; 0 for members since the start)
// and muted_until (their pushes for the chat are muted until then; 0: not).
std::vector<std::string> migration_3() {
  return {
      "ALTER TABLE chat_members ADD COLUMN IF NOT EXISTS joined_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,"
      " ADD COLUMN IF NOT EXISTS muted_until BIGINT NOT NULL DEFAULT 0",
  };
}

// Version 4: a device's Web Push subscription keys (p256dh, auth; base64url
// as the browser gave them) beside its endpoint in push_url. NULL for
// webhooks and for devices registered before.
std::vector<std::string> migration_4() {
  return {
      "ALTER TABLE devices ADD COLUMN IF NOT EXISTS push_p256dh VARBINARY(255) NULL,"
      " ADD COLUMN IF NOT EXISTS push_auth VARBINARY(255) NULL",
  };
}

// Version 5: privacy. Each user's presence_visibility (0 everyone, 1
// contacts, 2 nobody), each member's pending (a message request it has not
// accepted; members before were never asked), and who blocks whom.
std::vector<std::string> migration_5() {
  const std::string options = kTableOptions;
  return {
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS presence_visibility TINYINT UNSIGNED NOT NULL DEFAULT 0",
      "ALTER TABLE chat_members ADD COLUMN IF NOT EXISTS pending TINYINT UNSIGNED NOT NULL DEFAULT 0",
      "CREATE TABLE IF NOT EXISTS blocks ("
      " user_id VARBINARY(255) NOT NULL,"
      " blocked_id VARBINARY(255) NOT NULL,"
      " PRIMARY KEY (user_id, blocked_id))" +
          options,
  };
}

// Version 6: operators. A user disabled by the operator (0 or 1), and the
// blocks of a user found by whom they block (an erasure deletes both ways).
std::vector<std::string> migration_6() {
  return {
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS disabled TINYINT UNSIGNED NOT NULL DEFAULT 0",
      "ALTER TABLE blocks ADD INDEX IF NOT EXISTS blocked_by (blocked_id, user_id)",
  };
}

// Version 7: delivery receipts. Each member's delivered_seq (the newest seq
// one of their devices received) beside its read marker; 0 until reported.
std::vector<std::string> migration_7() {
  return {
      "ALTER TABLE read_markers ADD COLUMN IF NOT EXISTS delivered_seq BIGINT UNSIGNED NOT NULL DEFAULT 0",
  };
}

// Version 8: former members of groups (removed or left), who keep reading
// what was said in (joined_seq, left_seq]; found by user for the chat list.
std::vector<std::string> migration_8() {
  const std::string options = kTableOptions;
  return {
      "CREATE TABLE IF NOT EXISTS former_members ("
      " chat_id VARBINARY(255) NOT NULL,"
      " user_id VARBINARY(255) NOT NULL,"
      " joined_seq BIGINT UNSIGNED NOT NULL,"
      " left_seq BIGINT UNSIGNED NOT NULL,"
      " PRIMARY KEY (chat_id, user_id),"
      " KEY user_ended (user_id, chat_id))" +
          options,
  };
}

// Index i holds the statements that take the schema from version i to i + 1.
std::vector<std::vector<std::string>> migrations() {
  return {migration_1(), migration_2(), migration_3(), migration_4(),
          migration_5(), migration_6(), migration_7(), migration_8()};
}

// A message shard, version 1: the messages on MyRocks (an LSM tree for an
// append-heavy log), the shard's head (one row: the last offset committed on
// it) and each chat's head (its last seq). Ids are VARBINARY like above;
// the text is a BLOB, kept byte for byte as the core validated it.
// client_msg_id is NULL for a message sent without one: NULLs never collide
// in the unique key, and no lookup finds them. log_offset is unique: no
// offset is ever used twice on a shard, whatever a writer does.
std::vector<std::string> message_migration_1() {
  const std::string options = " ENGINE=ROCKSDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
  return {
      "CREATE TABLE IF NOT EXISTS messages ("
      " chat_id VARBINARY(255) NOT NULL,"
      " seq BIGINT UNSIGNED NOT NULL,"
      " sender_id VARBINARY(255) NOT NULL,"
      " sender_device_id VARBINARY(255) NOT NULL,"
      " client_msg_id VARBINARY(255) NULL,"
      " text MEDIUMBLOB NOT NULL,"
      " ts BIGINT NOT NULL,"
      " log_offset BIGINT UNSIGNED NOT NULL,"
      " PRIMARY KEY (chat_id, seq),"
      " UNIQUE KEY client_msg (chat_id, sender_id, client_msg_id),"
      " KEY chat_offset (chat_id, log_offset),"
      " UNIQUE KEY log_offset (log_offset))" +
          options,
      "CREATE TABLE IF NOT EXISTS shard_head ("
      " id TINYINT UNSIGNED NOT NULL,"
      " last_offset BIGINT UNSIGNED NOT NULL,"
      " PRIMARY KEY (id))" +
          options,
      "INSERT IGNORE INTO shard_head (id, last_offset) VALUES (1, 0)",
      "CREATE TABLE IF NOT EXISTS chat_heads ("
      " chat_id VARBINARY(255) NOT NULL,"
      " last_seq BIGINT UNSIGNED NOT NULL,"
      " PRIMARY KEY (chat_id))" +
          options,
  };
}

// Version 2: each chat's head also holds the latest members version the
// sequencer was told of (MessageSequencer::chat_changed); a commit refuses a
// message validated against an older one.
std::vector<std::string> message_migration_2() {
  return {
      "ALTER TABLE chat_heads ADD COLUMN IF NOT EXISTS members_version BIGINT UNSIGNED NOT NULL DEFAULT 0",
  };
}

// Version 3: message actions. Each row says what it is (kind 0 text, 1 edit,
// 2 delete, 3 reaction) and which message an action targets or a text
// message quotes; a text message holds its current state (edited_at,
// deleted, reactions, the seqs of its edit entries; BLOBs, see
// message_shards.cc). Rows stored before are text messages in their
// original state, which the defaults say.
std::vector<std::string> message_migration_3() {
  return {
      "ALTER TABLE messages"
      " ADD COLUMN IF NOT EXISTS kind TINYINT UNSIGNED NOT NULL DEFAULT 0,"
      " ADD COLUMN IF NOT EXISTS target_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,"
      " ADD COLUMN IF NOT EXISTS reply_to BIGINT UNSIGNED NOT NULL DEFAULT 0,"
      " ADD COLUMN IF NOT EXISTS edited_at BIGINT NOT NULL DEFAULT 0,"
      " ADD COLUMN IF NOT EXISTS deleted TINYINT UNSIGNED NOT NULL DEFAULT 0,"
      " ADD COLUMN IF NOT EXISTS reactions MEDIUMBLOB NULL,"
      " ADD COLUMN IF NOT EXISTS edit_seqs MEDIUMBLOB NULL",
  };
}

// Version 4: a message withheld from the other member of a direct chat, who
// blocked its sender (Message::withheld). Rows stored before were not.
std::vector<std::string> message_migration_4() {
  return {
      "ALTER TABLE messages ADD COLUMN IF NOT EXISTS withheld TINYINT UNSIGNED NOT NULL DEFAULT 0",
  };
}

// Version 5: the search index (core/search_terms.h): per chat and term, the
// messages indexed under it, in (ts, seq) order. Written in the transaction
// of the messages it indexes; the messages stored before are indexed by
// index_stored_messages when this version is applied.
std::vector<std::string> message_migration_5() {
  const std::string options = " ENGINE=ROCKSDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
  return {
      "CREATE TABLE IF NOT EXISTS search_postings ("
      " chat_id VARBINARY(255) NOT NULL,"
      " term VARBINARY(255) NOT NULL,"
      " ts BIGINT NOT NULL,"
      " seq BIGINT UNSIGNED NOT NULL,"
      " PRIMARY KEY (chat_id, term, ts, seq))" +
          options,
  };
}

std::vector<std::vector<std::string>> message_migrations() {
  return {message_migration_1(), message_migration_2(), message_migration_3(), message_migration_4(),
          message_migration_5()};
}

// Indexes for search the messages a shard held before it had the index, a
// page at a time (INSERT IGNORE: a migration interrupted and run again
// leaves one posting each).
Status index_stored_messages(Connection& c, std::uint32_t version) {
  if (version != 5) return Ok{};
  constexpr std::uint64_t kPage = 1000;
  std::string chat;
  std::uint64_t seq = 0;
  for (;;) {
    auto rows = c.query(
        "SELECT chat_id, seq, text, kind, deleted, ts FROM messages"
        " WHERE chat_id > ? OR (chat_id = ? AND seq > ?) ORDER BY chat_id, seq LIMIT ?",
        {std::string_view(chat), std::string_view(chat), seq, kPage});
    if (!rows) return rows.error();
    std::vector<Message> page;
    for (const Row& row : *rows) {
      Message& m = page.emplace_back();
      m.chat_id = row.text(0);
      m.seq = row.u64(1);
      m.text = row.text(2);
      const std::uint64_t kind = row.u64(3);
      m.deleted = row.u64(4) == 1;
      m.ts = row.i64(5);
      if (row.bad() || kind > static_cast<std::uint64_t>(MessageKind::event)) {
        return make_error(ErrorCode::internal, "a row of messages does not decode");
      }
      m.kind = static_cast<MessageKind>(kind);
    }
    if (auto done = insert_search_postings(c, page, true); !done) return done;
    if (page.size() < kPage) return Ok{};
    chat = page.back().chat_id;
    seq = page.back().seq;
  }
}

// Push jobs, version 1 (InnoDB, in the accounts database): per log shard, how
// far its messages are planned and the shard's job counter (push_plans, the
// row every planner of the shard compares-and-sets); the jobs with the claim
// of the node sending each (owner NULL: never claimed; lease_until in ms).
std::vector<std::string> push_migration_1() {
  const std::string options = kTableOptions;
  return {
      "CREATE TABLE IF NOT EXISTS push_plans ("
      " shard INT UNSIGNED NOT NULL,"
      " planned_offset BIGINT UNSIGNED NOT NULL,"
      " next_job BIGINT UNSIGNED NOT NULL,"
      " PRIMARY KEY (shard))" +
          options,
      "CREATE TABLE IF NOT EXISTS push_jobs ("
      " id BIGINT UNSIGNED NOT NULL,"
      " shard INT UNSIGNED NOT NULL,"
      " user_id VARBINARY(255) NOT NULL,"
      " device_id VARBINARY(255) NOT NULL,"
      " url MEDIUMTEXT NOT NULL,"
      " chat_id VARBINARY(255) NOT NULL,"
      " seq BIGINT UNSIGNED NOT NULL,"
      " sender_id VARBINARY(255) NOT NULL,"
      " preview MEDIUMBLOB NOT NULL,"
      " count INT UNSIGNED NOT NULL,"
      " attempts INT UNSIGNED NOT NULL,"
      " next_attempt_at BIGINT NOT NULL,"
      " give_up_at BIGINT NOT NULL,"
      " owner VARBINARY(255) NULL,"
      " lease_until BIGINT NOT NULL DEFAULT 0,"
      " PRIMARY KEY (id),"
      " KEY shard_jobs (shard, id))" +
          options,
  };
}

// Push jobs, version 2: the provider of the registration a job was planned
// for ('' for the jobs before: webhooks) and the Web Push keys.
std::vector<std::string> push_migration_2() {
  return {
      "ALTER TABLE push_jobs ADD COLUMN IF NOT EXISTS provider VARBINARY(32) NOT NULL DEFAULT '',"
      " ADD COLUMN IF NOT EXISTS p256dh VARBINARY(255) NOT NULL DEFAULT '',"
      " ADD COLUMN IF NOT EXISTS auth VARBINARY(255) NOT NULL DEFAULT ''",
  };
}

std::vector<std::vector<std::string>> push_migrations() {
  return {push_migration_1(), push_migration_2()};
}

// One schema's bookkeeping: the table holding its version (a shard may share
// a database with the accounts, so each schema has its own), the name of its
// migration lock (per database), and its migrations.
struct Schema {
  std::string version_table;
  std::string lock_prefix;
  std::uint32_t version;
  std::vector<std::vector<std::string>> steps;
  // Run after the statements that bring the schema to `version`, before it
  // is recorded: data the statements alone cannot move. Idempotent.
  std::function<Status(Connection&, std::uint32_t version)> then = nullptr;
};

Result<std::uint32_t> stored_version(Connection& connection, const std::string& table) {
  const std::string sql = "SELECT version FROM " + table + " WHERE id = 1";  // table: a constant of this file
  auto rows = connection.query(sql.c_str(), {});
  if (!rows) return rows.error();
  if (rows->empty()) return std::uint32_t{0};
  const std::uint64_t version = (*rows)[0].u64(0);
  if ((*rows)[0].bad()) return make_error(ErrorCode::internal, "mariadb: " + table + " does not hold a number");
  return static_cast<std::uint32_t>(version);
}

// Seconds a starting node waits for another node's migration.
constexpr std::int64_t kLockWaitSeconds = 60;

[[noreturn]] void fail(const std::string& what, const Error& error) {
  throw std::runtime_error("mariadb schema: " + what + ": " + error.message);
}

void must(const Status& status, const std::string& what) {
  if (!status) fail(what, status.error());
}

}  // namespace

bool is_valid_database_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<std::uint32_t> stored_schema_version(Connection& connection) {
  return stored_version(connection, "schema_version");
}

Result<std::uint32_t> stored_message_schema_version(Connection& connection) {
  return stored_version(connection, "message_schema_version");
}

Result<std::uint32_t> stored_push_schema_version(Connection& connection) {
  return stored_version(connection, "push_schema_version");
}

namespace {

void migrate(const ConnectionConfig& config, const Schema& schema) {
  if (!is_valid_database_name(config.database)) {
    throw std::runtime_error("mariadb schema: database name must be 1-64 of [A-Za-z0-9_]: '" + config.database + "'");
  }
  // Waiting for another node's migration (GET_LOCK) may take longer than
  // a query may.
  ConnectionConfig patient = config;
  patient.read_timeout = std::max(config.read_timeout, std::chrono::seconds(kLockWaitSeconds + 10));
  auto opened = Connection::open(patient, "");
  if (!opened) fail("connect", opened.error());
  Connection& c = **opened;
  const std::string quoted = "`" + config.database + "`";  // validated above: no backquote inside
  must(c.run("CREATE DATABASE IF NOT EXISTS " + quoted + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
       "create database " + config.database);
  must(c.run("USE " + quoted), "use " + config.database);

  // Server-wide and per database: two nodes starting at once take turns. The
  // lock ends with the session if this process dies mid-migration.
  const std::string lock_name = schema.lock_prefix + config.database;
  auto locked = c.query("SELECT GET_LOCK(?, ?)", {std::string_view(lock_name), kLockWaitSeconds});
  if (!locked) fail("lock", locked.error());
  if (locked->empty() || locked->front().is_null(0) || locked->front().text(0) != "1") {
    throw std::runtime_error("mariadb schema: another node held the migration lock for " +
                             std::to_string(kLockWaitSeconds) + " s");
  }
  must(c.run("CREATE TABLE IF NOT EXISTS " + schema.version_table +
             " ("
             " id TINYINT UNSIGNED NOT NULL PRIMARY KEY,"
             " version INT UNSIGNED NOT NULL)" +
             std::string(kTableOptions)),
       "create " + schema.version_table);
  auto stored = stored_version(c, schema.version_table);
  if (!stored) fail("read " + schema.version_table, stored.error());
  if (*stored > schema.version) {
    throw std::runtime_error("mariadb schema: database " + config.database + " is at version " +
                             std::to_string(*stored) + ", newer than this build's " + std::to_string(schema.version));
  }
  for (std::uint32_t version = *stored; version < schema.version; ++version) {
    for (const std::string& statement : schema.steps[version])
      must(c.run(statement), "migrate to " + std::to_string(version + 1));
    if (schema.then) must(schema.then(c, version + 1), "migrate data to " + std::to_string(version + 1));
    // DDL commits on its own; the statements are idempotent, so a crash
    // before this line only repeats them on the next start.
    const std::string record = "INSERT INTO " + schema.version_table +
                               " (id, version) VALUES (1, ?) ON DUPLICATE KEY UPDATE version = VALUES(version)";
    auto recorded = c.execute(record.c_str(), {std::uint64_t{version + 1}});
    if (!recorded) fail("record version " + std::to_string(version + 1), recorded.error());
  }
  auto unlocked = c.query("SELECT RELEASE_LOCK(?)", {std::string_view(lock_name)});
  if (!unlocked) fail("unlock", unlocked.error());
}

}  // namespace

void ensure_schema(const ConnectionConfig& config) {
  migrate(config, Schema{"schema_version", "parley_schema.", kSchemaVersion, migrations()});
}

void ensure_push_schema(const ConnectionConfig& config) {
  migrate(config, Schema{"push_schema_version", "parley_push_schema.", kPushSchemaVersion, push_migrations()});
}

void ensure_message_schema(const ConnectionConfig& config) {
  migrate(config, Schema{"message_schema_version", "parley_message_schema.", kMessageSchemaVersion,
                         message_migrations(), index_stored_messages});
}

}  // namespace parley::mariadb
