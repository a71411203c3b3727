// The only file that talks to the MariaDB Connector/C API.
#include "store/mariadb/mariadb_connection.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <mutex>

namespace parley::mariadb {

namespace {

// Strict mode refuses what does not fit instead of truncating it. READ
// COMMITTED takes no gap locks: writers that look for a row that does not
// exist yet (a new chat, a new pair) do not block each other's inserts into
// the same gap and deadlock; rows that exist are still locked by FOR UPDATE.
// A lock wait gives up before the read timeout would (the server answers
// "lock wait timeout" and the connection stays usable).
std::string session_setup(const ConnectionConfig& config) {
  const auto lock_wait = std::max<std::int64_t>(1, config.read_timeout.count() - 1);
  std::string setup =
      "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', SESSION tx_isolation = 'READ-COMMITTED',"
      " SESSION innodb_lock_wait_timeout = " +
      std::to_string(lock_wait);
  if (config.myrocks) {
    setup +=
        ", SESSION rocksdb_lock_wait_timeout = " + std::to_string(lock_wait) + ", SESSION rocksdb_deadlock_detect = ON";
  }
  return setup;
}

// Errors that mean "the database cannot serve you right now", without
// breaking the connection: waiting for a lock, a chosen deadlock victim, a
// statement cut off by the server.
bool is_transient(unsigned int number) {
  switch (number) {
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_QUERY_INTERRUPTED:
    case ER_STATEMENT_TIMEOUT:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool is_connection_failure(unsigned int number) {
  if (number >= CR_MIN_ERROR && number <= CR_MAX_ERROR) return true;  // client side: gone, lost, timeout
  switch (number) {
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
      return true;
    default:
      return false;
  }
}

std::string Row::text(std::size_t i) const {
  if (is_null(i)) {
    bad_ = true;
    return {};
  }
  return *cells_[i];
}

template <typename Number>
Number Row::number(std::size_t i) const {
  Number value = 0;
  if (is_null(i)) {
    bad_ = true;
    return 0;
  }
  const std::string& s = *cells_[i];
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) bad_ = true;
  return value;
}

std::int64_t Row::i64(std::size_t i) const {
  return number<std::int64_t>(i);
}

std::uint64_t Row::u64(std::size_t i) const {
  return number<std::uint64_t>(i);
}

Result<std::unique_ptr<Connection>> Connection::open(const ConnectionConfig& config, const std::string& database) {
  // mysql_init() initialises the library on first use, which is not
  // thread-safe; pools connect from many threads.
  static std::once_flag library;
  std::call_once(library, [] { mysql_library_init(0, nullptr, nullptr); });
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return make_error(ErrorCode::unavailable, "mariadb: out of memory for a connection");
  const unsigned int connect_timeout = static_cast<unsigned int>(config.connect_timeout.count());
  const unsigned int read_timeout = static_cast<unsigned int>(config.read_timeout.count());
  const unsigned int write_timeout = static_cast<unsigned int>(config.write_timeout.count());
  const my_bool no = 0;
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
  // A lost connection is discarded by the pool; a silent reconnect would
  // lose the session's transaction and prepared statements unnoticed.
  mysql_options(mysql, MYSQL_OPT_RECONNECT, &no);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const std::string setup = session_setup(config);  // copied by mysql_options
  mysql_options(mysql, MYSQL_INIT_COMMAND, setup.c_str());
  // CLIENT_FOUND_ROWS (below): an UPDATE reports the rows it matched, not
  // only those it changed, so "0" means "no such row".
  const bool socket = config.host == "localhost";
  if (mysql_real_connect(mysql, config.host.c_str(), config.user.c_str(), config.password.c_str(),
                         database.empty() ? nullptr : database.c_str(), socket ? 0 : config.port,
                         socket && !config.unix_socket.empty() ? config.unix_socket.c_str() : nullptr,
                         CLIENT_FOUND_ROWS) == nullptr) {
    const unsigned int number = mysql_errno(mysql);
    std::string message = "mariadb: cannot connect to " + config.host + ": " + mysql_error(mysql);
    mysql_close(mysql);
    // A refused login or an unknown database will not heal by retrying, but
    // it is the operator's to fix, and retrying does no harm.
    return make_error(is_connection_failure(number) ? ErrorCode::unavailable : ErrorCode::internal, std::move(message));
  }
  return std::unique_ptr<Connection>(new Connection(mysql));
}

std::optional<std::string> Connection::duplicate_key() const {
  if (failure_.number != ER_DUP_ENTRY) return std::nullopt;
  // "Duplicate entry '<value>' for key '<name>'": the value comes first and
  // may contain anything, so the last occurrence names the key.
  const std::string_view marker = "for key '";
  const auto at = failure_.message.rfind(marker);
  if (at == std::string::npos) return std::string();
  std::string key = failure_.message.substr(at + marker.size());
  if (!key.empty() && key.back() == '\'') key.pop_back();
  if (const auto dot = key.rfind('.'); dot != std::string::npos) key.erase(0, dot + 1);  // "table.key"
  return key;
}

bool Connection::deadlocked() const {
  return failure_.number == ER_LOCK_DEADLOCK;
}

bool Connection::in_transaction() const {
  return (mysql_->server_status & SERVER_STATUS_IN_TRANS) != 0;
}

bool Connection::lost_before_sending() const {
  return failure_.number == CR_SERVER_GONE_ERROR;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) mysql_stmt_close(stmt);
  mysql_close(mysql_);
}

Error Connection::fail(unsigned int number, const char* message) {
  failure_ = DbFailure{number, message != nullptr ? message : ""};
  if (is_connection_failure(number)) {
    broken_ = true;
    return make_error(ErrorCode::unavailable, "mariadb unavailable: " + failure_.message);
  }
  if (is_transient(number)) return make_error(ErrorCode::unavailable, "mariadb busy: " + failure_.message);
  return make_error(ErrorCode::internal, "mariadb: " + failure_.message);
}

MYSQL_STMT* Connection::prepared(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  MYSQL_STMT* stmt = mysql_stmt_init(mysql_);
  if (stmt == nullptr) {
    fail(mysql_errno(mysql_), mysql_error(mysql_));
    return nullptr;
  }
  if (mysql_stmt_prepare(stmt, sql, std::strlen(sql)) != 0) {
    fail(mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
    mysql_stmt_close(stmt);
    return nullptr;
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

Result<std::vector<Row>> Connection::run_prepared(const char* sql, std::span<const Param> params,
                                                  std::uint64_t* affected) {
  MYSQL_STMT* stmt = prepared(sql);
  if (stmt == nullptr) {
    return make_error(is_connection_failure(failure_.number) ? ErrorCode::unavailable : ErrorCode::internal,
                      "mariadb: " + failure_.message);
  }
  if (mysql_stmt_param_count(stmt) != params.size()) {
    // A statement and its call site disagree: a bug, not bad input.
    return make_error(ErrorCode::internal, std::string("mariadb: wrong parameter count for ") + sql);
  }
  std::vector<MYSQL_BIND> binds(params.size());
  std::vector<unsigned long> lengths(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    MYSQL_BIND& b = binds[i];
    std::memset(&b, 0, sizeof b);
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            // Sent with its length: NUL bytes, quotes and backslashes are
            // data. As a BLOB the server takes the bytes as a binary string:
            // unchanged into VARBINARY columns, checked (not converted) as
            // UTF-8 into utf8mb4 ones.
            b.buffer_type = MYSQL_TYPE_BLOB;
            b.buffer = const_cast<char*>(value.data());
            lengths[i] = static_cast<unsigned long>(value.size());
            b.buffer_length = lengths[i];
            b.length = &lengths[i];
          } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
            b.buffer_type = MYSQL_TYPE_NULL;
          } else {
            b.buffer_type = MYSQL_TYPE_LONGLONG;
            b.buffer = const_cast<T*>(&value);
            b.is_unsigned = std::is_unsigned_v<T>;
          }
        },
        params[i]);
  }
  if (!binds.empty() && mysql_stmt_bind_param(stmt, binds.data()) != 0) {
    return fail(mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
  }
  if (mysql_stmt_execute(stmt) != 0) return fail(mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
  if (affected != nullptr) *affected = mysql_stmt_affected_rows(stmt);

  std::vector<Row> rows;
  const unsigned int columns = mysql_stmt_field_count(stmt);
  if (columns == 0) return rows;
  // Each cell is fetched in two steps: its length first (into no buffer),
  // then its bytes into a string of exactly that size.
  std::vector<MYSQL_BIND> out(columns);
  std::vector<unsigned long> out_lengths(columns);
  std::vector<my_bool> nulls(columns);
  std::vector<my_bool> errors(columns);
  for (unsigned int i = 0; i < columns; ++i) {
    std::memset(&out[i], 0, sizeof out[i]);
    out[i].buffer_type = MYSQL_TYPE_STRING;
    out[i].length = &out_lengths[i];
    out[i].is_null = &nulls[i];
    out[i].error = &errors[i];
  }
  if (mysql_stmt_bind_result(stmt, out.data()) != 0 || mysql_stmt_store_result(stmt) != 0) {
    Error error = fail(mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
    mysql_stmt_free_result(stmt);
    return error;
  }
  for (;;) {
    const int rc = mysql_stmt_fetch(stmt);
    if (rc == MYSQL_NO_DATA) break;
    if (rc == 1) {
      Error error = fail(mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
      mysql_stmt_free_result(stmt);
      return error;
    }
    std::vector<std::optional<std::string>> cells(columns);
    for (unsigned int i = 0; i < columns; ++i) {
      if (nulls[i]) continue;
      std::string cell(out_lengths[i], '\0');
      if (!cell.empty()) {
        MYSQL_BIND column;
        std::memset(&column, 0, sizeof column);
        unsigned long length = 0;
        column.buffer_type = MYSQL_TYPE_STRING;
        column.buffer = cell.data();
        column.buffer_length = static_cast<unsigned long>(cell.size());
        column.length = &length;
        if (mysql_stmt_fetch_column(stmt, &column, i, 0) != 0) {
          Error error = fail(mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
          mysql_stmt_free_result(stmt);
          return error;
        }
      }
      cells[i] = std::move(cell);
    }
    rows.emplace_back(std::move(cells));
  }
  mysql_stmt_free_result(stmt);
  return rows;
}

Result<std::vector<Row>> Connection::query(const char* sql, std::span<const Param> params) {
  return run_prepared(sql, params, nullptr);
}

Result<std::uint64_t> Connection::execute(const char* sql, std::initializer_list<Param> params) {
  std::uint64_t affected = 0;
  auto rows = run_prepared(sql, std::span<const Param>(params.begin(), params.size()), &affected);
  if (!rows) return rows.error();
  return affected;
}

Status Connection::run(std::string_view sql) {
  if (mysql_real_query(mysql_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    return fail(mysql_errno(mysql_), mysql_error(mysql_));
  }
  // Drain any result (SELECT GET_LOCK answers a row) so the next statement
  // is not out of sync.
  if (MYSQL_RES* result = mysql_store_result(mysql_)) {
    mysql_free_result(result);
  } else if (mysql_field_count(mysql_) != 0) {
    return fail(mysql_errno(mysql_), mysql_error(mysql_));
  }
  return Ok{};
}

}  // namespace parley::mariadb
