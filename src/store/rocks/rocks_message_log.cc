// RocksStore's MessageLog. Layout (see record_codec.h):
//   messages   chat|be64 seq     -> Message   one chat's messages are contiguous, in seq order
//   client_ids chat|sender|cmid  -> be64 seq  idempotency of resent messages
//   offsets    chat|be64 offset  -> be64 seq  a chat's messages in commit-log order
//   log        be64 offset       -> chat|be64 seq  the whole log in commit order
//   meta       "last_offset"     -> be64      merged by max
//   search     chat|term|be64 ts|be64 seq -> ""  the search index: one chat's
//              postings of a term are contiguous, in (ts, seq) order
//
// A read that fails, or meets a record or index entry that does not decode or
// names a missing message, is an error: never a shorter page, never 0.
#include <algorithm>
#include <limits>

#include "core/search_terms.h"
#include "store/rocks/record_codec.h"
#include "store/rocks/rocks_database.h"
#include "store/rocks/rocks_store.h"

namespace parley {

using rocks::Column;
using rocks::Direction;
using rocks::Durability;
using rocks::WriteSet;

namespace {

constexpr std::string_view kLastOffsetKey = "last_offset";
constexpr std::uint64_t kMaxNumber = std::numeric_limits<std::uint64_t>::max();

// Decodes up to `limit` messages of a range scan of the messages column.
Result<std::vector<Message>> scan_messages(rocks::RocksDatabase& db, std::string_view lower, std::string_view upper,
                                           Direction direction, std::size_t limit) {
  std::vector<Message> out;
  if (limit == 0) return out;
  bool undecodable = false;
  auto ok = db.scan(Column::messages, lower, upper, direction, [&](std::string_view, std::string_view value) {
    auto message = rocks::decode_message(value);
    if (!message) {
      undecodable = true;
      return false;
    }
    out.push_back(std::move(*message));
    return out.size() < limit;
  });
  if (!ok) return ok.error();
  if (undecodable) return rocks::undecodable(Column::messages);
  return out;
}

// The messages under `keys` (read from `index`), in order. A key with no
// message is damage in the index, never a message to skip.
Result<std::vector<Message>> messages_at(rocks::RocksDatabase& db, const std::vector<std::string>& keys, Column index) {
  auto records = db.multi_get(Column::messages, keys);
  if (!records) return records.error();
  std::vector<Message> out;
  out.reserve(records->size());
  for (auto& bytes : *records) {
    if (!bytes) return rocks::dangling_index(index);
    auto message = rocks::decode_message(*bytes);
    if (!message) return rocks::undecodable(Column::messages);
    out.push_back(std::move(*message));
  }
  return out;
}

// chat|term, the prefix of every posting of the term in the chat.
std::string postings_prefix(std::string_view chat, std::string_view term) {
  return rocks::id_prefix(chat) + rocks::id_prefix(term);
}

// Sign bit flipped: big-endian bytes then sort like the signed number.
std::string search_key(std::string_view chat, std::string_view term, SearchPosting at) {
  return postings_prefix(chat, term) + rocks::encode_u64(static_cast<std::uint64_t>(at.ts) ^ (std::uint64_t{1} << 63)) +
         rocks::encode_u64(at.seq);
}

std::optional<SearchPosting> posting_of(std::string_view key) {
  if (key.size() < 16) return std::nullopt;
  auto ts = rocks::decode_u64(key.substr(key.size() - 16, 8));
  auto seq = rocks::decode_u64(key.substr(key.size() - 8));
  if (!ts || !seq) return std::nullopt;
  return SearchPosting{static_cast<TimeMs>(*ts ^ (std::uint64_t{1} << 63)), *seq};
}

void add_search_postings(WriteSet& writes, const Message& message) {
  for (const std::string& term : index_terms(message)) {
    writes.put(Column::search, search_key(message.chat_id, term, {message.ts, message.seq}), std::string());
  }
}

void remove_search_postings(WriteSet& writes, const Message& message) {
  for (const std::string& term : index_terms(message)) {
    writes.erase(Column::search, search_key(message.chat_id, term, {message.ts, message.seq}));
  }
}

constexpr std::string_view kSearchIndexKey = "search_index";
constexpr std::size_t kIndexBuildBatch = 4096;

}  // namespace

Status RocksStore::build_search_index() {
  auto built = db_->get(Column::meta, kSearchIndexKey);
  if (!built) return built.error();
  if (built->has_value()) return Ok{};
  // A store written before the index existed: index every message once, in
  // batches. Interrupted, it starts again (the postings are idempotent); the
  // marker is written last, synced.
  WriteSet writes;
  std::size_t pending = 0;
  Status flushed = Ok{};
  bool undecodable = false;
  auto ok = db_->scan(Column::messages, "", "", Direction::forward, [&](std::string_view, std::string_view value) {
    auto message = rocks::decode_message(value);
    if (!message) {
      undecodable = true;
      return false;
    }
    add_search_postings(writes, *message);
    if (++pending < kIndexBuildBatch) return true;
    flushed = db_->write(writes, Durability::wal_only);
    writes = WriteSet();
    pending = 0;
    return flushed.ok();
  });
  if (!ok) return ok.error();
  if (undecodable) return rocks::undecodable(Column::messages);
  if (!flushed) return flushed;
  writes.put(Column::meta, std::string(kSearchIndexKey), rocks::encode_u64(1));
  return db_->write(writes, Durability::synced);
}

Result<Seq> RocksStore::last_seq(const ChatId& chat) {
  // Derived from the data rather than a counter, so it is right after a crash.
  const std::string prefix = rocks::id_prefix(chat);
  std::optional<Seq> last = Seq{0};
  auto ok = db_->scan(Column::messages, prefix, rocks::prefix_end(prefix), Direction::backward,
                      [&](std::string_view key, std::string_view) {
                        last = rocks::seq_key_number(key);
                        return false;
                      });
  if (!ok) return ok.error();
  if (!last) return rocks::undecodable(Column::messages);
  return *last;
}

Result<LogOffset> RocksStore::last_offset() {
  auto value = db_->get(Column::meta, kLastOffsetKey);
  if (!value) return value.error();
  if (!value->has_value()) return LogOffset{0};
  auto offset = rocks::decode_u64(**value);
  if (!offset) return rocks::undecodable(Column::meta);
  return *offset;
}

Result<std::optional<Message>> RocksStore::find_by_client_msg_id(const ChatId& chat, const UserId& sender,
                                                                 const std::string& client_msg_id) {
  if (client_msg_id.empty()) return std::nullopt;  // never indexed
  auto seq = db_->get(Column::client_ids, rocks::client_msg_key(chat, sender, client_msg_id));
  if (!seq) return seq.error();
  if (!seq->has_value()) return std::nullopt;
  auto number = rocks::decode_u64(**seq);
  if (!number) return rocks::undecodable(Column::client_ids);
  auto message = find(chat, *number);
  // Written in the same batch as the message: a miss is damage, and reading
  // it as "new" would store the resend twice.
  if (message && !message->has_value()) return rocks::dangling_index(Column::client_ids);
  return message;
}

Status RocksStore::append(const std::vector<Message>& batch, const std::vector<Message>& changed,
                          std::span<const ReadMarker> read_markers) {
  if (batch.empty() && changed.empty() && read_markers.empty()) return Ok{};
  WriteSet writes;
  // Acted upon (edited, deleted, reacted to): the new state replaces the
  // record; its indexes (idempotency key, offset) stay as they are, its
  // search postings follow its text: the stored text's go, the new one's come.
  // Reading the stored record here is safe: one commit thread appends, and
  // actions are rare beside messages.
  if (!changed.empty()) {
    std::vector<std::string> keys;
    keys.reserve(changed.size());
    for (const Message& m : changed) keys.push_back(rocks::seq_key(m.chat_id, m.seq));
    auto stored = messages_at(*db_, keys, Column::messages);
    if (!stored) return stored.error();
    for (const Message& before : *stored) remove_search_postings(writes, before);
  }
  for (const Message& m : changed) {
    writes.put(Column::messages, rocks::seq_key(m.chat_id, m.seq), rocks::encode_message(m));
    add_search_postings(writes, m);
  }
  LogOffset newest = 0;
  for (const Message& m : batch) {
    writes.put(Column::messages, rocks::seq_key(m.chat_id, m.seq), rocks::encode_message(m));
    add_search_postings(writes, m);
    // A message without a client id has no idempotency key to find it by.
    if (!m.client_msg_id.empty()) {
      writes.put(Column::client_ids, rocks::client_msg_key(m.chat_id, m.sender_id, m.client_msg_id),
                 rocks::encode_u64(m.seq));
    }
    writes.put(Column::offsets, rocks::seq_key(m.chat_id, m.offset), rocks::encode_u64(m.seq));
    writes.put(Column::log, rocks::encode_u64(m.offset), rocks::seq_key(m.chat_id, m.seq));
    newest = std::max(newest, m.offset);
  }
  if (!batch.empty()) writes.merge_max_u64(Column::meta, std::string(kLastOffsetKey), rocks::encode_u64(newest));
  for (const ReadMarker& m : read_markers) {
    writes.merge_max_u64(Column::read_markers, rocks::pair_key(m.chat_id, m.user_id), rocks::encode_u64(m.seq));
  }
  // One batch, one fsync: the whole group commits or none of it does.
  return db_->write(writes, Durability::synced);
}

Result<std::optional<Message>> RocksStore::find(const ChatId& chat, Seq seq) {
  return rocks::load(*db_, Column::messages, rocks::seq_key(chat, seq), rocks::decode_message);
}

Result<std::vector<Message>> RocksStore::read_before(const ChatId& chat, Seq before, std::size_t limit) {
  const std::string prefix = rocks::id_prefix(chat);
  const std::string upper = before == 0 ? rocks::prefix_end(prefix) : rocks::seq_key(chat, before);
  return scan_messages(*db_, prefix, upper, Direction::backward, limit);
}

Result<std::vector<Message>> RocksStore::read_after(const ChatId& chat, Seq after, std::size_t limit) {
  if (after == kMaxNumber) return std::vector<Message>{};
  const std::string prefix = rocks::id_prefix(chat);
  return scan_messages(*db_, rocks::seq_key(chat, after + 1), rocks::prefix_end(prefix), Direction::forward, limit);
}

Result<std::vector<Message>> RocksStore::read_offset_range(const ChatId& chat, LogOffset after, LogOffset up_to,
                                                           std::size_t limit) {
  if (after >= up_to || limit == 0) return std::vector<Message>{};
  const std::string prefix = rocks::id_prefix(chat);
  const std::string upper = up_to == kMaxNumber ? rocks::prefix_end(prefix) : rocks::seq_key(chat, up_to + 1);
  std::vector<std::string> message_keys;
  bool undecodable = false;
  auto ok = db_->scan(Column::offsets, rocks::seq_key(chat, after + 1), upper, Direction::forward,
                      [&](std::string_view, std::string_view value) {
                        auto seq = rocks::decode_u64(value);
                        if (!seq) {
                          undecodable = true;
                          return false;
                        }
                        message_keys.push_back(rocks::seq_key(chat, *seq));
                        return message_keys.size() < limit;
                      });
  if (!ok) return ok.error();
  if (undecodable) return rocks::undecodable(Column::offsets);
  // Offsets grow with seq inside a chat, so offset order is seq order.
  return messages_at(*db_, message_keys, Column::offsets);
}

Result<std::vector<Message>> RocksStore::read_log(ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit) {
  if (shard != 0) return std::vector<Message>();  // one shard
  if (after >= up_to || limit == 0) return std::vector<Message>{};
  const std::string upper = up_to == kMaxNumber ? std::string() : rocks::encode_u64(up_to + 1);
  std::vector<std::string> message_keys;
  auto ok = db_->scan(Column::log, rocks::encode_u64(after + 1), upper, Direction::forward,
                      [&](std::string_view, std::string_view value) {
                        message_keys.emplace_back(value);
                        return message_keys.size() < limit;
                      });
  if (!ok) return ok.error();
  return messages_at(*db_, message_keys, Column::log);
}

Result<std::vector<SearchPosting>> RocksStore::search_postings(const ChatId& chat, const std::string& term,
                                                               SearchPosting below, std::size_t limit) {
  std::vector<SearchPosting> out;
  if (limit == 0) return out;
  bool undecodable = false;
  auto ok = db_->scan(Column::search, postings_prefix(chat, term), search_key(chat, term, below), Direction::backward,
                      [&](std::string_view key, std::string_view) {
                        auto posting = posting_of(key);
                        if (!posting) {
                          undecodable = true;
                          return false;
                        }
                        out.push_back(*posting);
                        return out.size() < limit;
                      });
  if (!ok) return ok.error();
  if (undecodable) return rocks::undecodable(Column::search);
  return out;
}

}  // namespace parley
