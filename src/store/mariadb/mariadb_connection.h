#pragma once
// One client connection to MariaDB, behind a small facade so that no header
// of Parley includes <mysql.h> (like rocks_database.h hides RocksDB).
//
// Every statement that carries data is a server-side prepared statement:
// values travel as bound parameters (binary-safe, never spliced into SQL).
// Statements are prepared once per connection and cached by their text.
//
// Not thread-safe: a connection is used by one thread at a time, the one
// that checked it out of the ConnectionPool.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/result.h"

struct st_mysql;
struct st_mysql_stmt;

namespace parley::mariadb {

// Where and how to connect. One typed struct, handed to the pool.
struct ConnectionConfig {
  std::string host = "127.0.0.1";  // "localhost" means the unix socket
  std::uint16_t port = 3306;
  std::string unix_socket;  // used when host is "localhost"
  std::string user;
  std::string password;
  std::string database;  // letters, digits and '_' only; created if missing
  // Each bounds how long one call can wait on a server that does not answer,
  // so an outage never holds a thread for longer than a few seconds.
  std::chrono::seconds connect_timeout{3};
  std::chrono::seconds read_timeout{5};
  std::chrono::seconds write_timeout{5};
  // The database holds MyRocks tables: sessions also bound MyRocks' lock
  // waits like InnoDB's and turn on its deadlock detection (off by default:
  // a deadlock would otherwise last a whole lock wait). Needs the plugin.
  bool myrocks = false;
};

// A statement parameter: bytes (bound as a binary-safe string), a signed or
// an unsigned 64-bit integer, or SQL NULL.
using Param = std::variant<std::string_view, std::int64_t, std::uint64_t, std::nullptr_t>;

// One result row. Every cell arrives as text (integers in decimal); the
// typed accessors record a cell that is NULL or does not parse, so a caller
// reads all fields and checks bad() once instead of after every field.
class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
  bool is_null(std::size_t i) const { return i >= cells_.size() || !cells_[i].has_value(); }
  std::string text(std::size_t i) const;
  std::int64_t i64(std::size_t i) const;
  std::uint64_t u64(std::size_t i) const;
  bool bad() const { return bad_; }

 private:
  // The cell as a whole decimal number; NULL or anything else marks the row bad.
  template <typename Number>
  Number number(std::size_t i) const;
  std::vector<std::optional<std::string>> cells_;
  mutable bool bad_ = false;
};

// The server's (or the client library's) error number and message of the
// last failed call, for callers that tell errors apart (a duplicate key).
struct DbFailure {
  unsigned int number = 0;
  std::string message;
};

class Connection {
 public:
  // Connects with the config's timeouts, utf8mb4 and strict SQL mode (a value
  // that does not fit is an error, never silently truncated). `database`
  // empty: no default database. Fails with unavailable when the server cannot
  // be reached.
  static Result<std::unique_ptr<Connection>> open(const ConnectionConfig& config, const std::string& database);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs a prepared statement with `params` and returns its rows (none for
  // a statement without a result set).
  Result<std::vector<Row>> query(const char* sql, std::span<const Param> params);
  Result<std::vector<Row>> query(const char* sql, std::initializer_list<Param> params) {
    return query(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Runs a prepared statement and returns how many rows it changed.
  Result<std::uint64_t> execute(const char* sql, std::initializer_list<Param> params);
  // Runs a statement without parameters (DDL, transaction control). Only
  // for fixed SQL text: never pass client data here.
  Status run(std::string_view sql);

  // The failure of the last call that failed.
  const DbFailure& last_failure() const { return failure_; }
  // The name of the unique key the last call collided on, if it failed
  // with a duplicate entry.
  std::optional<std::string> duplicate_key() const;
  // The last call was chosen as a deadlock victim; its transaction was
  // rolled back and may simply be run again.
  bool deadlocked() const;
  // The last call found the connection already gone before it could send
  // anything (a connection that died while idle): nothing of the call, nor
  // of its unfinished transaction, was applied, so it may be run again.
  bool lost_before_sending() const;
  // A transaction is open (one that failed and could not be rolled back):
  // the pool closes the connection rather than lend it out mid-transaction.
  bool in_transaction() const;
  // True once the connection is unusable (lost, out of sync): the pool
  // closes it instead of handing it out again.
  bool broken() const { return broken_; }

 private:
  explicit Connection(st_mysql* mysql) : mysql_(mysql) {}
  st_mysql_stmt* prepared(const char* sql);
  // Records the failure, marks the connection broken on connection-level
  // errors, and maps it to an Error (unavailable or internal).
  Error fail(unsigned int number, const char* message);
  Result<std::vector<Row>> run_prepared(const char* sql, std::span<const Param> params, std::uint64_t* affected);

  st_mysql* mysql_;
  std::unordered_map<std::string, st_mysql_stmt*> statements_;
  DbFailure failure_;
  bool broken_ = false;
};

// True for failures of the connection itself or of the server as a whole
// (gone, lost, timed out, shutting down, too many connections): they may
// heal, and the caller sees ErrorCode::unavailable.
bool is_connection_failure(unsigned int number);

}  // namespace parley::mariadb
