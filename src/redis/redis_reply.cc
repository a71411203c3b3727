#include "redis/redis_reply.h"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstdio>
#include <limits>
#include <new>
#include <utility>

namespace parley::redis {

// What the reply being read has cost so far; reset after each whole reply.
// hiredis' object callbacks see it through the reader's privdata.
struct RedisReplyParser::Budget {
  std::size_t max = 0;
  std::size_t used = 0;
  bool exceeded = false;
};

namespace {

// Charges `bytes` to the reply being read; false (and no charge) past the limit.
bool charge(const redisReadTask* task, std::size_t bytes) {
  auto* budget = static_cast<RedisReplyParser::Budget*>(task->privdata);
  if (bytes > budget->max - budget->used) {
    budget->exceeded = true;
    return false;
  }
  budget->used += bytes;
  return true;
}

// Stores a finished value: into its slot of the parent array (sized when the
// array was created, so the pointer stays valid), or as a new root that the
// parser (or hiredis' freeObject on error) deletes. nullptr tells hiredis we
// are out of memory, which fails the reader.
void* place(const redisReadTask* task, RedisReply&& value) noexcept {
  try {
    if (task->parent != nullptr) {
      auto* parent = static_cast<RedisReply*>(task->parent->obj);
      if (parent == nullptr || task->idx < 0 || static_cast<std::size_t>(task->idx) >= parent->elements.size()) {
        return nullptr;
      }
      RedisReply& slot = parent->elements[static_cast<std::size_t>(task->idx)];
      slot = std::move(value);
      return &slot;
    }
    return new RedisReply(std::move(value));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void* create_string(const redisReadTask* task, char* str, size_t len) noexcept {
  if (!charge(task, sizeof(RedisReply) + len)) return nullptr;
  RedisReply::Type type = RedisReply::Type::string;
  if (task->type == REDIS_REPLY_STATUS) type = RedisReply::Type::status;
  if (task->type == REDIS_REPLY_ERROR) type = RedisReply::Type::error;
  try {
    return place(task, RedisReply{type, 0, std::string(str, len), {}});
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void* create_array(const redisReadTask* task, int elements) noexcept {
  if (elements < 0) return nullptr;
  const auto n = static_cast<std::size_t>(elements);
  // Charged before allocating, so a claimed count of 2^31 elements costs nothing.
  if (n > std::numeric_limits<std::size_t>::max() / sizeof(RedisReply) - 1) return nullptr;
  if (!charge(task, sizeof(RedisReply) * (n + 1))) return nullptr;
  try {
    RedisReply array{RedisReply::Type::array, 0, {}, std::vector<RedisReply>(n)};
    return place(task, std::move(array));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void* create_integer(const redisReadTask* task, long long value) noexcept {
  if (!charge(task, sizeof(RedisReply))) return nullptr;
  return place(task, RedisReply::of_integer(value));
}

void* create_nil(const redisReadTask* task) noexcept {
  if (!charge(task, sizeof(RedisReply))) return nullptr;
  return place(task, RedisReply::nil());
}

// hiredis frees only roots (a finished reply it still holds, or a partial one
// when it fails); elements live inside their root.
void free_object(void* reply) noexcept {
  delete static_cast<RedisReply*>(reply);
}

redisReplyObjectFunctions kFunctions = {create_string, create_array, create_integer, create_nil, free_object};

redisReader* as_reader(void* r) {
  return static_cast<redisReader*>(r);
}

void append_escaped(std::string& out, std::string_view bytes) {
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
}

}  // namespace

std::string to_string(const RedisReply& reply) {
  std::string out;
  switch (reply.type) {
    case RedisReply::Type::nil:
      return "(nil)";
    case RedisReply::Type::integer:
      return "(integer) " + std::to_string(reply.integer);
    case RedisReply::Type::status:
      out = "(status) ";
      append_escaped(out, reply.str);
      return out;
    case RedisReply::Type::error:
      out = "(error) ";
      append_escaped(out, reply.str);
      return out;
    case RedisReply::Type::string:
      out = "\"";
      append_escaped(out, reply.str);
      return out + "\"";
    case RedisReply::Type::array:
      out = "[";
      for (std::size_t i = 0; i < reply.elements.size(); ++i) {
        if (i > 0) out += ", ";
        out += to_string(reply.elements[i]);
      }
      return out + "]";
  }
  return out;
}

std::string format_command(const std::vector<std::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  argv.reserve(args.size());
  argvlen.reserve(args.size());
  for (const auto arg : args) {
    argv.push_back(arg.data());
    argvlen.push_back(arg.size());
  }
  sds target = nullptr;
  const int len = redisFormatSdsCommandArgv(&target, static_cast<int>(argv.size()), argv.data(), argvlen.data());
  if (len < 0 || target == nullptr) throw std::bad_alloc();
  std::string out(target, static_cast<std::size_t>(len));
  redisFreeSdsCommand(target);
  return out;
}

RedisReplyParser::RedisReplyParser(std::size_t max_reply_bytes)
    : max_reply_bytes_(max_reply_bytes), budget_(std::make_unique<Budget>()) {
  budget_->max = max_reply_bytes;
  redisReader* reader = redisReaderCreateWithFunctions(&kFunctions);
  if (reader == nullptr) throw std::bad_alloc();
  reader->privdata = budget_.get();
  reader_ = reader;
}

RedisReplyParser::~RedisReplyParser() {
  redisReaderFree(as_reader(reader_));
}

Error RedisReplyParser::fail(const std::string& why) {
  failed_ = make_error(ErrorCode::internal, "bad reply from redis: " + why);
  return *failed_;
}

Status RedisReplyParser::feed(std::string_view bytes) {
  if (failed_) return *failed_;
  if (redisReaderFeed(as_reader(reader_), bytes.data(), bytes.size()) != REDIS_OK) {
    return fail(as_reader(reader_)->errstr);
  }
  return Ok{};
}

Result<std::optional<RedisReply>> RedisReplyParser::next() {
  if (failed_) return *failed_;
  redisReader* reader = as_reader(reader_);
  void* raw = nullptr;
  if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
    if (budget_->exceeded) return fail("a reply larger than " + std::to_string(max_reply_bytes_) + " bytes");
    return fail(reader->errstr);
  }
  if (raw == nullptr) {
    // Incomplete: what waits in the buffer belongs to one reply still being
    // read (a bulk string is only taken once whole), so it is bounded too.
    if (reader->len - reader->pos > max_reply_bytes_) {
      return fail("a reply larger than " + std::to_string(max_reply_bytes_) + " bytes");
    }
    return std::optional<RedisReply>();
  }
  std::unique_ptr<RedisReply> reply(static_cast<RedisReply*>(raw));
  budget_->used = 0;
  return std::optional<RedisReply>(std::move(*reply));
}

}  // namespace parley::redis
