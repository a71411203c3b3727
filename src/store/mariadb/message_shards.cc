#include "store/mariadb/message_shards.h"

#include <stdexcept>
#include <tuple>

#include "core/search_terms.h"
#include "store/mariadb/mariadb_schema.h"

namespace parley {

MessageShardsConfig shards_on_one_server(const mariadb::ConnectionConfig& server,
                                         const std::vector<std::string>& databases, std::size_t pool_size) {
  MessageShardsConfig config;
  config.pool_size = pool_size;
  for (const std::string& database : databases) {
    mariadb::ConnectionConfig shard = server;
    shard.database = database;
    config.shards.push_back(std::move(shard));
  }
  return config;
}

std::shared_ptr<MessageShards> MessageShards::open(const MessageShardsConfig& config) {
  if (config.shards.empty()) throw std::runtime_error("message shards: the shard map is empty");
  std::vector<std::unique_ptr<mariadb::ConnectionPool>> pools;
  for (mariadb::ConnectionConfig shard : config.shards) {
    shard.myrocks = true;
    mariadb::ensure_message_schema(shard);
    pools.push_back(std::make_unique<mariadb::ConnectionPool>(shard, config.pool_size));
  }
  return std::shared_ptr<MessageShards>(new MessageShards(std::move(pools)));
}

namespace mariadb {
namespace {

// The reactions and edit entries of a message, as one BLOB each (NULL when
// empty): big-endian lengths and numbers, like the RocksDB records.
void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
bool get_number(std::string_view& in, std::size_t bytes, std::uint64_t& v) {
  if (in.size() < bytes) return false;
  v = 0;
  for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  in.remove_prefix(bytes);
  return true;
}
bool get_str(std::string_view& in, std::string& s) {
  std::uint64_t size = 0;
  if (!get_number(in, 4, size) || size > in.size()) return false;
  s.assign(in.substr(0, size));
  in.remove_prefix(size);
  return true;
}

std::string encode_reactions(const std::vector<Reaction>& reactions) {
  std::string out;
  for (const Reaction& r : reactions) {
    put_u32(out, static_cast<std::uint32_t>(r.user_id.size()));
    out += r.user_id;
    put_u32(out, static_cast<std::uint32_t>(r.emoji.size()));
    out += r.emoji;
  }
  return out;
}

bool decode_reactions(std::string_view in, std::vector<Reaction>& out) {
  while (!in.empty()) {
    Reaction r;
    if (!get_str(in, r.user_id) || !get_str(in, r.emoji)) return false;
    out.push_back(std::move(r));
  }
  return true;
}

std::string encode_seqs(const std::vector<Seq>& seqs) {
  std::string out;
  for (Seq seq : seqs) put_u64(out, seq);
  return out;
}

bool decode_seqs(std::string_view in, std::vector<Seq>& out) {
  while (!in.empty()) {
    std::uint64_t seq = 0;
    if (!get_number(in, 8, seq)) return false;
    out.push_back(seq);
  }
  return true;
}

Param blob_or_null(const std::string& bytes) {
  if (bytes.empty()) return nullptr;
  return std::string_view(bytes);
}

}  // namespace

Result<Message> message_from(const Row& r, ShardId shard) {
  Message m;
  m.chat_id = r.text(0);
  m.seq = r.u64(1);
  m.sender_id = r.text(2);
  m.sender_device_id = r.text(3);
  if (!r.is_null(4)) m.client_msg_id = r.text(4);
  m.text = r.text(5);
  m.ts = r.i64(6);
  m.offset = r.u64(7);
  m.shard = shard;
  const std::uint64_t kind = r.u64(8);
  m.target_seq = r.u64(9);
  m.reply_to = r.u64(10);
  m.edited_at = r.i64(11);
  const std::uint64_t deleted = r.u64(12);
  const std::uint64_t withheld = r.u64(15);
  const bool state_ok = (r.is_null(13) || decode_reactions(r.text(13), m.reactions)) &&
                        (r.is_null(14) || decode_seqs(r.text(14), m.edit_seqs));
  if (r.bad() || !state_ok || kind > static_cast<std::uint64_t>(MessageKind::event) || deleted > 1 || withheld > 1) {
    return make_error(ErrorCode::internal, "mariadb: a row of messages does not decode");
  }
  m.kind = static_cast<MessageKind>(kind);
  m.deleted = deleted == 1;
  m.withheld = withheld == 1;
  return m;
}

std::vector<std::size_t> power_of_two_chunks(std::size_t n, std::size_t largest) {
  std::vector<std::size_t> chunks;
  for (std::size_t size = largest; size > 0 && n > 0; size /= 2) {
    while (n >= size) {
      chunks.push_back(size);
      n -= size;
    }
  }
  return chunks;
}

std::string placeholder_rows(std::size_t rows, std::size_t columns) {
  std::string group = "(";
  for (std::size_t c = 0; c < columns; ++c) group += c == 0 ? "?" : ", ?";
  group += ")";
  std::string out;
  out.reserve(rows * (group.size() + 2));
  for (std::size_t r = 0; r < rows; ++r) {
    if (r > 0) out += ", ";
    out += group;
  }
  return out;
}

namespace {
// Rows per multi-row statement at most: 256 messages are 2,048 parameters.
constexpr std::size_t kRowsPerStatement = 256;
}  // namespace

namespace {
// The head row's offset, selected by `sql`.
Result<LogOffset> shard_head_from(Connection& c, const char* sql) {
  auto rows = c.query(sql, {});
  if (!rows) return rows.error();
  // The migration creates the row: without it the shard is not ours.
  if (rows->empty()) return make_error(ErrorCode::internal, "mariadb: the shard has no head row");
  const LogOffset head = rows->front().u64(0);
  if (rows->front().bad()) return make_error(ErrorCode::internal, "mariadb: the shard head does not decode");
  return head;
}
}  // namespace

Result<LogOffset> read_shard_head(Connection& c) {
  return shard_head_from(c, "SELECT last_offset FROM shard_head WHERE id = 1");
}

Result<LogOffset> lock_shard_head(Connection& c) {
  return shard_head_from(c, "SELECT last_offset FROM shard_head WHERE id = 1 FOR UPDATE");
}

Status insert_messages(Connection& c, const std::vector<Message>& messages) {
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t rows : power_of_two_chunks(messages.size(), kRowsPerStatement)) {
    const std::string sql = std::string("INSERT INTO messages (") + kMessageColumns + ") VALUES " +
                            placeholder_rows(rows, kMessageColumnCount);
    params.clear();
    std::vector<std::string> blobs;  // the params view them
    blobs.reserve(2 * rows);
    for (std::size_t i = next; i < next + rows; ++i) {
      const Message& m = messages[i];
      params.emplace_back(std::string_view(m.chat_id));
      params.emplace_back(std::uint64_t{m.seq});
      params.emplace_back(std::string_view(m.sender_id));
      params.emplace_back(std::string_view(m.sender_device_id));
      if (m.client_msg_id.empty()) {
        params.emplace_back(nullptr);
      } else {
        params.emplace_back(std::string_view(m.client_msg_id));
      }
      params.emplace_back(std::string_view(m.text));
      params.emplace_back(std::int64_t{m.ts});
      params.emplace_back(std::uint64_t{m.offset});
      params.emplace_back(std::uint64_t{static_cast<std::uint8_t>(m.kind)});
      params.emplace_back(std::uint64_t{m.target_seq});
      params.emplace_back(std::uint64_t{m.reply_to});
      params.emplace_back(std::int64_t{m.edited_at});
      params.emplace_back(std::uint64_t{m.deleted ? 1u : 0u});
      params.push_back(blob_or_null(blobs.emplace_back(encode_reactions(m.reactions))));
      params.push_back(blob_or_null(blobs.emplace_back(encode_seqs(m.edit_seqs))));
      params.emplace_back(std::uint64_t{m.withheld ? 1u : 0u});
    }
    next += rows;
    if (auto done = c.query(sql.c_str(), params); !done) return done.error();
  }
  // In the same transaction: a message is searchable once it is committed.
  return insert_search_postings(c, messages, false);
}

Status insert_search_postings(Connection& c, const std::vector<Message>& messages, bool ignore_present) {
  std::vector<std::tuple<const Message*, std::string>> rows;
  for (const Message& m : messages) {
    for (std::string& term : index_terms(m)) rows.emplace_back(&m, std::move(term));
  }
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t count : power_of_two_chunks(rows.size(), kRowsPerStatement)) {
    const std::string sql = std::string(ignore_present ? "INSERT IGNORE" : "INSERT") +
                            " INTO search_postings (chat_id, term, ts, seq) VALUES " + placeholder_rows(count, 4);
    params.clear();
    for (std::size_t i = next; i < next + count; ++i) {
      const auto& [m, term] = rows[i];
      params.emplace_back(std::string_view(m->chat_id));
      params.emplace_back(std::string_view(term));
      params.emplace_back(std::int64_t{m->ts});
      params.emplace_back(std::uint64_t{m->seq});
    }
    next += count;
    if (auto done = c.query(sql.c_str(), params); !done) return done.error();
  }
  return Ok{};
}

namespace {

// Removes the postings of the message as stored now (before its new state
// is written): no word of a replaced or deleted text may find it.
Status delete_search_postings(Connection& c, const ChatId& chat, Seq seq) {
  auto rows = c.query("SELECT text, kind, deleted, ts FROM messages WHERE chat_id = ? AND seq = ?",
                      {std::string_view(chat), std::uint64_t{seq}});
  if (!rows) return rows.error();
  if (rows->empty()) return Ok{};
  const Row& row = rows->front();
  Message stored;
  stored.chat_id = chat;
  stored.seq = seq;
  stored.text = row.text(0);
  const std::uint64_t kind = row.u64(1);
  stored.deleted = row.u64(2) == 1;
  stored.ts = row.i64(3);
  if (row.bad() || kind > static_cast<std::uint64_t>(MessageKind::event)) {
    return make_error(ErrorCode::internal, "mariadb: a row of messages does not decode");
  }
  stored.kind = static_cast<MessageKind>(kind);
  const std::vector<std::string> terms = index_terms(stored);
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t count : power_of_two_chunks(terms.size(), kRowsPerStatement)) {
    std::string sql = "DELETE FROM search_postings WHERE chat_id = ? AND ts = ? AND seq = ? AND term IN (";
    for (std::size_t i = 0; i < count; ++i) sql += i == 0 ? "?" : ", ?";
    sql += ")";
    params.clear();
    params.emplace_back(std::string_view(chat));
    params.emplace_back(std::int64_t{stored.ts});
    params.emplace_back(std::uint64_t{seq});
    for (std::size_t i = next; i < next + count; ++i) params.emplace_back(std::string_view(terms[i]));
    next += count;
    if (auto done = c.query(sql.c_str(), params); !done) return done.error();
  }
  return Ok{};
}

}  // namespace

Status update_messages(Connection& c, const std::vector<Message>& messages) {
  for (const Message& m : messages) {
    if (auto done = delete_search_postings(c, m.chat_id, m.seq); !done) return done;
    const std::string reactions = encode_reactions(m.reactions);
    const std::string edit_seqs = encode_seqs(m.edit_seqs);
    auto done = c.execute(
        "UPDATE messages SET text = ?, edited_at = ?, deleted = ?, reactions = ?, edit_seqs = ?"
        " WHERE chat_id = ? AND seq = ?",
        {std::string_view(m.text), std::int64_t{m.edited_at}, std::uint64_t{m.deleted ? 1u : 0u},
         blob_or_null(reactions), blob_or_null(edit_seqs), std::string_view(m.chat_id), std::uint64_t{m.seq}});
    if (!done) return done.error();
  }
  return insert_search_postings(c, messages, false);
}

Status raise_chat_heads(Connection& c, const std::vector<std::pair<ChatId, Seq>>& heads) {
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t rows : power_of_two_chunks(heads.size(), kRowsPerStatement)) {
    const std::string sql = "INSERT INTO chat_heads (chat_id, last_seq) VALUES " + placeholder_rows(rows, 2) +
                            " ON DUPLICATE KEY UPDATE last_seq = GREATEST(last_seq, VALUES(last_seq))";
    params.clear();
    for (std::size_t i = next; i < next + rows; ++i) {
      params.emplace_back(std::string_view(heads[i].first));
      params.emplace_back(std::uint64_t{heads[i].second});
    }
    next += rows;
    if (auto done = c.query(sql.c_str(), params); !done) return done.error();
  }
  return Ok{};
}

Status raise_shard_head(Connection& c, LogOffset offset) {
  auto done = c.execute("UPDATE shard_head SET last_offset = GREATEST(last_offset, ?) WHERE id = 1", {offset});
  if (!done) return done.error();
  return Ok{};
}

}  // namespace mariadb

}  // namespace parley
