#include "store/mariadb/mariadb_sequencer.h"

#include <algorithm>
#include <future>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_map>

#include "core/message_actions.h"
#include "store/mariadb/mariadb_message_log.h"
#include "store/mariadb/pooled_calls.h"

namespace parley {

using mariadb::Connection;
using mariadb::Param;

namespace {

constexpr int kDeadlockRetries = 3;
// Keys per lookup statement at most (power-of-two chunks, see message_shards.h).
constexpr std::size_t kKeysPerLookup = 128;

// What one shard's transaction decided, before it is known to have committed.
struct ShardCommit {
  std::vector<CommitOutcome> outcomes;        // one per index of the shard's part, in order
  std::vector<bool> stale;                    // per outcome: refused, validated against an old chat version
  std::vector<std::optional<Error>> refused;  // per outcome: an action or reply its target did not allow
  LogOffset head_before = 0;                  // committed by others: seen under the lock
  LogOffset head_after = 0;
  bool wrote = false;
};

// The messages stored under these (chat, sender, client_msg_id) keys, by key.
Result<std::unordered_map<std::string, Message>> stored_resends(Connection& c, ShardId shard,
                                                                const std::vector<const NewMessage*>& keyed) {
  std::unordered_map<std::string, Message> found;
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t keys : mariadb::power_of_two_chunks(keyed.size(), kKeysPerLookup)) {
    std::string sql = std::string("SELECT ") + mariadb::kMessageColumns + " FROM messages WHERE ";
    params.clear();
    for (std::size_t i = next; i < next + keys; ++i) {
      sql += i == next ? "" : " OR ";
      sql += "(chat_id = ? AND sender_id = ? AND client_msg_id = ?)";
      params.emplace_back(std::string_view(keyed[i]->chat_id));
      params.emplace_back(std::string_view(keyed[i]->sender_id));
      params.emplace_back(std::string_view(keyed[i]->client_msg_id));
    }
    next += keys;
    auto rows = c.query(sql.c_str(), params);
    if (!rows) return rows.error();
    for (const auto& row : *rows) {
      auto message = mariadb::message_from(row, shard);
      if (!message) return message.error();
      found.emplace(resend_key(message->chat_id, message->sender_id, message->client_msg_id), std::move(*message));
    }
  }
  return found;
}

// A chat's head as the transaction found it, locked.
struct ChatHead {
  Seq last_seq = 0;
  std::uint64_t members_version = 0;
};

// Locks the heads of these chats (FOR UPDATE) and answers them; a chat
// without a head row has no message and no members change yet.
Result<std::map<ChatId, ChatHead>> lock_chat_heads(Connection& c, const std::vector<ChatId>& chats) {
  std::map<ChatId, ChatHead> heads;
  for (const ChatId& chat : chats) heads[chat] = {};
  std::size_t next = 0;
  std::vector<Param> params;
  for (std::size_t count : mariadb::power_of_two_chunks(chats.size(), kKeysPerLookup)) {
    const std::string sql = "SELECT chat_id, last_seq, members_version FROM chat_heads WHERE chat_id IN " +
                            mariadb::placeholder_rows(1, count) + " FOR UPDATE";
    params.clear();
    for (std::size_t i = next; i < next + count; ++i) params.emplace_back(std::string_view(chats[i]));
    next += count;
    auto rows = c.query(sql.c_str(), params);
    if (!rows) return rows.error();
    for (const auto& row : *rows) {
      ChatId chat = row.text(0);
      const ChatHead head{row.u64(1), row.u64(2)};
      if (row.bad()) return make_error(ErrorCode::internal, "mariadb: a chat head does not decode");
      heads[chat] = head;
    }
  }
  return heads;
}

// A stored message, read inside the shard's transaction: under the shard
// head lock every writer of the shard holds, so it is the committed state
// (sessions are READ COMMITTED).
Result<std::optional<Message>> find_message(Connection& c, ShardId shard, const ChatId& chat, Seq seq) {
  static const std::string sql =
      std::string("SELECT ") + mariadb::kMessageColumns + " FROM messages WHERE chat_id = ? AND seq = ?";
  auto rows = c.query(sql.c_str(), {std::string_view(chat), std::uint64_t{seq}});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Message>{};
  auto message = mariadb::message_from(rows->front(), shard);
  if (!message) return message.error();
  return std::optional<Message>(std::move(*message));
}

// The body of one shard's transaction, between START TRANSACTION and COMMIT.
Result<ShardCommit> assign_and_insert(Connection& c, ShardId shard, const std::vector<NewMessage>& batch,
                                      const std::vector<std::size_t>& indexes) {
  ShardCommit result;
  auto head = mariadb::lock_shard_head(c);
  if (!head) return head.error();
  result.head_before = result.head_after = *head;

  // Earlier in the batch: index into `indexes` of the first with the key.
  std::unordered_map<std::string, std::size_t> first_with_key;
  std::vector<const NewMessage*> keyed;
  std::vector<ChatId> chats;
  std::unordered_map<std::size_t, std::size_t> index_in_shard;  // batch index -> position in `indexes`
  for (std::size_t i : indexes) {
    index_in_shard.emplace(i, index_in_shard.size());
    const NewMessage& r = batch[i];
    if (!r.client_msg_id.empty() &&
        first_with_key.emplace(resend_key(r.chat_id, r.sender_id, r.client_msg_id), i).second) {
      keyed.push_back(&r);
    }
    chats.push_back(r.chat_id);
  }
  std::sort(chats.begin(), chats.end());
  chats.erase(std::unique(chats.begin(), chats.end()), chats.end());
  auto stored = stored_resends(c, shard, keyed);
  if (!stored) return stored.error();
  auto heads = lock_chat_heads(c, chats);
  if (!heads) return heads.error();

  std::vector<Message> fresh;
  std::unordered_map<std::size_t, std::size_t> fresh_of_index;  // batch index -> into `fresh`
  ActionBatch actions([&](const ChatId& chat, Seq seq) { return find_message(c, shard, chat, seq); });
  auto refuse = [&](Error error) {
    result.outcomes.emplace_back();
    result.stale.push_back(false);
    result.refused.emplace_back(std::move(error));
  };
  for (std::size_t i : indexes) {
    const NewMessage& r = batch[i];
    if (!r.client_msg_id.empty()) {
      const std::string key = resend_key(r.chat_id, r.sender_id, r.client_msg_id);
      if (auto it = stored->find(key); it != stored->end()) {
        result.outcomes.push_back(CommitOutcome{it->second, true});
        result.stale.push_back(false);
        result.refused.emplace_back();
        continue;
      }
      if (const std::size_t first = first_with_key.at(key); first != i) {
        // Resent before the first was stored: the same message (or refused like it).
        auto it = fresh_of_index.find(first);
        const bool refused = it == fresh_of_index.end();
        if (refused) {
          // Like the first: stale, or refused by its target (checked again below).
          if (auto error = result.refused[index_in_shard.at(first)]; error) {
            refuse(*error);
            continue;
          }
        }
        result.outcomes.push_back(refused ? CommitOutcome{} : CommitOutcome{fresh[it->second], true});
        result.stale.push_back(refused);
        result.refused.emplace_back();
        continue;
      }
    }
    ChatHead& head = heads->at(r.chat_id);
    if (r.chat_version != 0 && r.chat_version < head.members_version) {
      result.outcomes.emplace_back();
      result.stale.push_back(true);
      result.refused.emplace_back();
      continue;
    }
    if (auto allowed = actions.check(r); !allowed) {
      if (!is_action_refusal(allowed.error())) return allowed.error();  // a failed read fails the transaction
      refuse(allowed.error());
      continue;
    }
    Message m{r.chat_id, ++head.last_seq,     r.sender_id, r.sender_device_id, r.client_msg_id, r.text,
              r.ts,      ++result.head_after, shard};
    m.kind = r.kind;
    m.target_seq = r.target_seq;
    m.reply_to = r.reply_to;
    m.withheld = r.withheld;
    actions.apply(m);
    fresh_of_index.emplace(i, fresh.size());
    result.outcomes.push_back(CommitOutcome{m, false});
    result.stale.push_back(false);
    result.refused.emplace_back();
    fresh.push_back(std::move(m));
  }
  if (fresh.empty()) return result;  // only resends and refusals: nothing to write
  // Entries acted upon in this batch are stored (and delivered) as they end it.
  const std::vector<Message> changed = actions.finish(fresh);
  for (const auto& [index, at] : fresh_of_index) result.outcomes[index_in_shard.at(index)].message = fresh[at];

  std::vector<std::pair<ChatId, Seq>> chat_heads;
  chat_heads.reserve(heads->size());
  for (const auto& [chat, head] : *heads) chat_heads.emplace_back(chat, head.last_seq);
  if (auto done = mariadb::insert_messages(c, fresh); !done) return done.error();
  if (auto done = mariadb::update_messages(c, changed); !done) return done.error();
  if (auto done = mariadb::raise_chat_heads(c, chat_heads); !done) return done.error();
  if (auto done = mariadb::raise_shard_head(c, result.head_after); !done) return done.error();
  result.wrote = true;
  return result;
}

}  // namespace

MariaDbSequencer::MariaDbSequencer(std::shared_ptr<MessageShards> shards)
    : shards_(std::move(shards)), committed_(shards_->count()) {}

void MariaDbSequencer::start() {
  if (auto read = refresh_committed_head(); !read) {
    throw std::runtime_error("cannot read the message shards' heads: " + read.error().message);
  }
}

Status MariaDbSequencer::refresh_committed_head() {
  MariaDbMessageLog log(shards_);
  for (ShardId shard = 0; shard < shards_->count(); ++shard) {
    auto head = log.shard_head(shard);
    if (!head) return head.error();
    advance(shard, *head);
  }
  return Ok{};
}

LogPosition MariaDbSequencer::committed_head() const {
  std::vector<LogOffset> offsets;
  offsets.reserve(committed_.size());
  for (const auto& offset : committed_) offsets.push_back(offset.load(std::memory_order_acquire));
  return LogPosition(std::move(offsets));
}

void MariaDbSequencer::advance(ShardId shard, LogOffset offset) {
  auto& committed = committed_[shard];
  LogOffset seen = committed.load(std::memory_order_relaxed);
  while (seen < offset && !committed.compare_exchange_weak(seen, offset, std::memory_order_release)) {
  }
}

std::vector<Result<CommitOutcome>> MariaDbSequencer::commit(const std::vector<NewMessage>& batch) {
  std::vector<Result<CommitOutcome>> outcomes(batch.size(),
                                              Result<CommitOutcome>(make_error(ErrorCode::internal, "not committed")));
  std::map<ShardId, std::vector<std::size_t>> by_shard;
  for (std::size_t i = 0; i < batch.size(); ++i) by_shard[shards_->shard_of(batch[i].chat_id)].push_back(i);
  // The shards' transactions run at once, each on its own connection and
  // thread (the first on this one): a batch takes about one transaction's
  // time, not one per shard. Each holds one shard's head lock only, so nodes
  // never wait on each other in a cycle; each writes its own outcomes.
  if (by_shard.empty()) return outcomes;
  std::vector<std::future<void>> others;
  for (auto it = std::next(by_shard.begin()); it != by_shard.end(); ++it) {
    try {
      others.push_back(
          std::async(std::launch::async, [this, &batch, &outcomes, shard = it->first, &indexes = it->second] {
            commit_shard(shard, batch, indexes, outcomes);
          }));
    } catch (const std::system_error&) {
      commit_shard(it->first, batch, it->second, outcomes);  // no thread to be had: on this one
    }
  }
  commit_shard(by_shard.begin()->first, batch, by_shard.begin()->second, outcomes);
  for (auto& other : others) other.get();
  return outcomes;
}

Status MariaDbSequencer::chat_changed(const ChatId& chat, std::uint64_t version) {
  return mariadb::pooled_write<Ok>(shards_->pool(shards_->shard_of(chat)), [&](Connection& c) {
    return mariadb::in_transaction(c, [&]() -> Status {
      if (auto head = mariadb::lock_shard_head(c); !head) return head.error();
      auto raised = c.execute(
          "INSERT INTO chat_heads (chat_id, last_seq, members_version) VALUES (?, 0, ?)"
          " ON DUPLICATE KEY UPDATE members_version = GREATEST(members_version, VALUES(members_version))",
          {std::string_view(chat), version});
      if (!raised) return raised.error();
      return Ok{};
    });
  });
}

void MariaDbSequencer::commit_shard(ShardId shard, const std::vector<NewMessage>& batch,
                                    const std::vector<std::size_t>& indexes,
                                    std::vector<Result<CommitOutcome>>& outcomes) {
  auto fail_all = [&](const Error& error) {
    for (std::size_t i : indexes) outcomes[i] = error;
  };
  int deadlocks = 0;
  bool retried_lost = false;
  for (;;) {
    auto lease = shards_->pool(shard).acquire();
    if (!lease) return fail_all(lease.error());
    Connection& c = **lease;
    Result<ShardCommit> done = [&]() -> Result<ShardCommit> {
      if (auto begun = c.run("START TRANSACTION"); !begun) return begun.error();
      auto body = assign_and_insert(c, shard, batch, indexes);
      if (!body) {
        if (!c.broken()) (void)c.run("ROLLBACK");
        return body;
      }
      // Only resends: nothing was written, nothing to make durable.
      if (auto ended = c.run(body->wrote ? "COMMIT" : "ROLLBACK"); !ended) return ended.error();
      return body;
    }();
    if (done) {
      // Seen under the lock: committed by others before this transaction.
      advance(shard, done->head_before);
      if (done->wrote) advance(shard, done->head_after);
      for (std::size_t k = 0; k < indexes.size(); ++k) {
        if (done->refused[k]) {
          outcomes[indexes[k]] = *done->refused[k];
        } else if (done->stale[k]) {
          outcomes[indexes[k]] = stale_chat_error();
        } else {
          outcomes[indexes[k]] = std::move(done->outcomes[k]);
        }
      }
      return;
    }
    // Run again only when nothing of it can have been applied.
    if (c.deadlocked() && ++deadlocks <= kDeadlockRetries) continue;
    if (c.lost_before_sending() && !lease->fresh() && !retried_lost) {
      retried_lost = true;
      continue;
    }
    return fail_all(done.error());
  }
}

}  // namespace parley
