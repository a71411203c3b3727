// MariaDbMessageLog: messages as rows of their chat's shard. The schema is in
// mariadb_schema.cc, the shard map in message_shards.cc.
#include "store/mariadb/mariadb_message_log.h"

#include <map>
#include <string>

namespace parley {

using mariadb::Connection;
using mariadb::Param;
using mariadb::Row;

namespace {

// The SELECT of every message read: its columns, from messages, then `rest`.
// Built once per statement (static), so the text is constant per call site.
std::string select_messages(const char* rest) {
  return std::string("SELECT ") + mariadb::kMessageColumns + " FROM messages " + rest;
}

std::uint64_t limit_of(std::size_t limit) {
  return static_cast<std::uint64_t>(limit);
}

}  // namespace

Result<std::vector<Message>> MariaDbMessageLog::read_messages(ShardId shard, const char* sql,
                                                              std::initializer_list<Param> params) {
  return shards_->read<std::vector<Message>>(shard, [&](Connection& c) -> Result<std::vector<Message>> {
    auto rows = c.query(sql, params);
    if (!rows) return rows.error();
    std::vector<Message> out;
    out.reserve(rows->size());
    for (const Row& row : *rows) {
      auto message = mariadb::message_from(row, shard);
      if (!message) return message.error();
      out.push_back(std::move(*message));
    }
    return out;
  });
}

Result<Seq> MariaDbMessageLog::last_seq(const ChatId& chat) {
  return shards_->read<Seq>(shard_of(chat), [&](Connection& c) -> Result<Seq> {
    auto rows = c.query("SELECT last_seq FROM chat_heads WHERE chat_id = ?", {std::string_view(chat)});
    if (!rows) return rows.error();
    if (rows->empty()) return Seq{0};
    const Seq last = rows->front().u64(0);
    if (rows->front().bad()) return make_error(ErrorCode::internal, "mariadb: a chat head does not decode");
    return last;
  });
}

Result<LogOffset> MariaDbMessageLog::last_offset() {
  return shard_head(0);
}

Result<LogOffset> MariaDbMessageLog::shard_head(ShardId shard) {
  if (shard >= shards_->count()) return make_error(ErrorCode::invalid_request, "no such message shard");
  return shards_->read<LogOffset>(shard, [&](Connection& c) { return mariadb::read_shard_head(c); });
}

Result<std::optional<Message>> MariaDbMessageLog::find_by_client_msg_id(const ChatId& chat, const UserId& sender,
                                                                        const std::string& client_msg_id) {
  // Stored as NULL: a message sent without an id is never a resend.
  if (client_msg_id.empty()) return std::nullopt;
  static const std::string sql = select_messages("WHERE chat_id = ? AND sender_id = ? AND client_msg_id = ?");
  auto found = read_messages(shard_of(chat), sql.c_str(),
                             {std::string_view(chat), std::string_view(sender), std::string_view(client_msg_id)});
  if (!found) return found.error();
  if (found->empty()) return std::nullopt;
  return std::optional<Message>(std::move(found->front()));
}

Result<std::optional<Message>> MariaDbMessageLog::find(const ChatId& chat, Seq seq) {
  static const std::string sql = select_messages("WHERE chat_id = ? AND seq = ?");
  auto found = read_messages(shard_of(chat), sql.c_str(), {std::string_view(chat), std::uint64_t{seq}});
  if (!found) return found.error();
  if (found->empty()) return std::nullopt;
  return std::optional<Message>(std::move(found->front()));
}

Result<std::vector<Message>> MariaDbMessageLog::read_before(const ChatId& chat, Seq before, std::size_t limit) {
  if (limit == 0) return std::vector<Message>{};
  if (before == 0) {
    static const std::string newest = select_messages("WHERE chat_id = ? ORDER BY seq DESC LIMIT ?");
    return read_messages(shard_of(chat), newest.c_str(), {std::string_view(chat), limit_of(limit)});
  }
  static const std::string sql = select_messages("WHERE chat_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?");
  return read_messages(shard_of(chat), sql.c_str(), {std::string_view(chat), std::uint64_t{before}, limit_of(limit)});
}

Result<std::vector<Message>> MariaDbMessageLog::read_after(const ChatId& chat, Seq after, std::size_t limit) {
  if (limit == 0) return std::vector<Message>{};
  static const std::string sql = select_messages("WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?");
  return read_messages(shard_of(chat), sql.c_str(), {std::string_view(chat), std::uint64_t{after}, limit_of(limit)});
}

Result<std::vector<Message>> MariaDbMessageLog::read_offset_range(const ChatId& chat, LogOffset after, LogOffset up_to,
                                                                  std::size_t limit) {
  if (limit == 0 || up_to <= after) return std::vector<Message>{};
  // Offsets grow with seq inside a chat, so offset order is seq order; the
  // (chat_id, log_offset) index serves it without a sort.
  static const std::string sql =
      select_messages("WHERE chat_id = ? AND log_offset > ? AND log_offset <= ? ORDER BY log_offset LIMIT ?");
  return read_messages(shard_of(chat), sql.c_str(),
                       {std::string_view(chat), std::uint64_t{after}, std::uint64_t{up_to}, limit_of(limit)});
}

Result<std::vector<Message>> MariaDbMessageLog::read_log(ShardId shard, LogOffset after, LogOffset up_to,
                                                         std::size_t limit) {
  if (shard >= shards_->count()) return make_error(ErrorCode::invalid_request, "no such message shard");
  if (limit == 0 || up_to <= after) return std::vector<Message>{};
  static const std::string sql =
      select_messages("WHERE log_offset > ? AND log_offset <= ? ORDER BY log_offset LIMIT ?");
  return read_messages(shard, sql.c_str(), {std::uint64_t{after}, std::uint64_t{up_to}, limit_of(limit)});
}

Result<std::vector<SearchPosting>> MariaDbMessageLog::search_postings(const ChatId& chat, const std::string& term,
                                                                      SearchPosting below, std::size_t limit) {
  if (limit == 0) return std::vector<SearchPosting>{};
  return shards_->read<std::vector<SearchPosting>>(
      shard_of(chat), [&](Connection& c) -> Result<std::vector<SearchPosting>> {
        // The primary key (chat_id, term, ts, seq) serves it, read backwards.
        auto rows = c.query(
            "SELECT ts, seq FROM search_postings WHERE chat_id = ? AND term = ? AND (ts < ? OR (ts = ? AND seq < ?))"
            " ORDER BY ts DESC, seq DESC LIMIT ?",
            {std::string_view(chat), std::string_view(term), std::int64_t{below.ts}, std::int64_t{below.ts},
             std::uint64_t{below.seq}, limit_of(limit)});
        if (!rows) return rows.error();
        std::vector<SearchPosting> out;
        out.reserve(rows->size());
        for (const Row& row : *rows) {
          out.push_back({row.i64(0), row.u64(1)});
          if (row.bad()) return make_error(ErrorCode::internal, "mariadb: a search posting does not decode");
        }
        return out;
      });
}

Status MariaDbMessageLog::append(const std::vector<Message>& batch, const std::vector<Message>& changed,
                                 std::span<const ReadMarker> read_markers) {
  if (!read_markers.empty()) {
    return make_error(ErrorCode::invalid_request, "append: read markers are kept by the chat store");
  }
  if (batch.empty()) return Ok{};  // an action is never without its entry
  const ShardId shard = shard_of(batch.front().chat_id);
  LogOffset top = 0;
  std::map<ChatId, Seq> heads;
  for (const Message& m : batch) {
    if (shard_of(m.chat_id) != shard) {
      return make_error(ErrorCode::invalid_request, "append: a batch must keep to one message shard");
    }
    top = std::max(top, m.offset);
    Seq& head = heads[m.chat_id];
    head = std::max(head, m.seq);
  }
  const std::vector<std::pair<ChatId, Seq>> chat_heads(heads.begin(), heads.end());
  auto lease = shards_->pool(shard).acquire();
  if (!lease) return lease.error();
  Connection& c = **lease;
  if (auto begun = c.run("START TRANSACTION"); !begun) return begun;
  Status written = [&]() -> Status {
    if (auto head = mariadb::lock_shard_head(c); !head) return head.error();
    if (auto done = mariadb::insert_messages(c, batch); !done) return done;
    if (auto done = mariadb::update_messages(c, changed); !done) return done;
    if (auto done = mariadb::raise_chat_heads(c, chat_heads); !done) return done;
    return mariadb::raise_shard_head(c, top);
  }();
  if (!written) {
    if (!c.broken()) (void)c.run("ROLLBACK");
    return written;
  }
  return c.run("COMMIT");
}

}  // namespace parley
