#pragma once
// RedisReply: one RESP2 reply as a value (nil, integer, status, error, bulk
// string, array). RedisReplyParser turns bytes from the server into replies
// with hiredis' redisReader, bounded in size; format_command turns an
// argument vector into the bytes of one command (binary-safe).
//
// hiredis stays inside redis_reply.cc. Neither class is thread-safe: a parser
// belongs to one connection and is used on its thread only.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::redis {

struct RedisReply {
  enum class Type { nil, integer, status, error, string, array };

  Type type = Type::nil;
  long long integer = 0;             // Type::integer
  std::string str;                   // status, error and string: the bytes as sent
  std::vector<RedisReply> elements;  // array

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
  // "+OK": what SET and friends answer.
  bool is_ok() const { return type == Type::status && str == "OK"; }

  static RedisReply nil() { return {}; }
  static RedisReply of_integer(long long v) { return RedisReply{Type::integer, v, {}, {}}; }
  static RedisReply of_status(std::string s) { return RedisReply{Type::status, 0, std::move(s), {}}; }
  static RedisReply of_error(std::string s) { return RedisReply{Type::error, 0, std::move(s), {}}; }
  static RedisReply of_string(std::string s) { return RedisReply{Type::string, 0, std::move(s), {}}; }
  static RedisReply of_array(std::vector<RedisReply> e) { return RedisReply{Type::array, 0, {}, std::move(e)}; }

  friend bool operator==(const RedisReply&, const RedisReply&) = default;
};

// For test failure messages and logs: `"OK"`, `(integer) 3`, `(error) ERR …`,
// arrays in brackets. Bytes outside printable ASCII are escaped as \xHH.
std::string to_string(const RedisReply& reply);

// The RESP bytes of one command; each argument is sent as a bulk string, so any
// byte (NUL, invalid UTF-8) goes through unchanged. `args` must not be empty.
std::string format_command(const std::vector<std::string_view>& args);

// Bytes in, replies out. A protocol violation (a byte that starts no RESP
// type, a bad length, nesting deeper than hiredis allows) or a reply past
// `max_reply_bytes` puts the parser into a failed state for good: the
// connection it reads must be closed.
class RedisReplyParser {
 public:
  explicit RedisReplyParser(std::size_t max_reply_bytes);
  ~RedisReplyParser();
  RedisReplyParser(const RedisReplyParser&) = delete;
  RedisReplyParser& operator=(const RedisReplyParser&) = delete;

  // Appends bytes read from the server. An error once the parser has failed.
  Status feed(std::string_view bytes);
  // The next complete reply, nullopt while more bytes are needed, or an error
  // (ErrorCode::internal, with hiredis' description) once the stream is bad.
  Result<std::optional<RedisReply>> next();

  struct Budget;  // Per-reply size accounting, shared with hiredis' callbacks.

 private:
  Error fail(const std::string& why);

  std::size_t max_reply_bytes_;
  std::unique_ptr<Budget> budget_;
  void* reader_;  // redisReader*, owned
  std::optional<Error> failed_;
};

}  // namespace parley::redis
