#pragma once
// The accounts-and-chats schema on MariaDB (InnoDB) and the message shard
// schema (MyRocks), created and migrated by Parley itself. `schema_version`
// (`message_schema_version`) holds the version applied; each migration
// is a list of idempotent statements applied in order under a named server
// lock (GET_LOCK), so a second start changes nothing and nodes that start
// at once take turns instead of failing.
//
// Start-up only; the calling thread blocks on the server.

#include <cstdint>

#include "store/mariadb/mariadb_connection.h"

namespace parley::mariadb {

// The versions this build creates and expects: the accounts-and-chats
// schema, and the schema of each message shard (mariadb_schema.cc).
constexpr std::uint32_t kSchemaVersion = 8;
constexpr std::uint32_t kMessageSchemaVersion = 5;
constexpr std::uint32_t kPushSchemaVersion = 2;

// True for a database name Parley accepts: 1 to 64 of [A-Za-z0-9_]. The
// name is an identifier in DDL (it cannot be a bound parameter), so nothing
// else gets near the SQL text.
bool is_valid_database_name(const std::string& name);

// Creates the database `config.database` if missing and brings its schema to
// kSchemaVersion. Throws std::runtime_error with the reason on failure (the
// server unreachable, no rights, a schema newer than this build).
void ensure_schema(const ConnectionConfig& config);

// Creates the database `config.database` if missing and brings its message
// shard schema (messages, shard_head, chat_heads on MyRocks) to
// kMessageSchemaVersion. Same guarantees and failures as ensure_schema; its
// version is kept apart (message_schema_version), so a shard may live in the
// accounts database.
void ensure_message_schema(const ConnectionConfig& config);

// Creates the database `config.database` if missing and brings its push job
// schema (push_plans, push_jobs on InnoDB) to kPushSchemaVersion. Same
// guarantees and failures as ensure_schema; its version is kept apart
// (push_schema_version).
void ensure_push_schema(const ConnectionConfig& config);

// The schema version stored in `connection`'s database (0 before the first
// migration). For tests and `parleyd migrate`.
Result<std::uint32_t> stored_schema_version(Connection& connection);
Result<std::uint32_t> stored_message_schema_version(Connection& connection);
Result<std::uint32_t> stored_push_schema_version(Connection& connection);

}  // namespace parley::mariadb
