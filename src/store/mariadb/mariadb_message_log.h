#pragma once
// MariaDbMessageLog: the cluster's message log, read side, on the MyRocks
// shards of a MessageShards map. Each chat's messages, its head and its
// offsets live on shard_of(chat); every message read carries its `shard`.
//
// In the cluster MariaDbSequencer writes the messages (seq and offsets are
// assigned in each shard's transaction). append() stores messages whose seq
// and offset are already assigned (tests, migrating a single node's log): it
// is one synced transaction on the batch's shard, and refuses a batch that
// spans shards, which could not be all-or-nothing.
//
// Thread-safe and blocking: any method from any thread, off the I/O threads.
// No lock of this class is held during a query. A call fails with
// unavailable when its shard cannot be reached, and works again once it can.

#include <memory>

#include "core/ports.h"
#include "store/mariadb/message_shards.h"

namespace parley {

class MariaDbMessageLog final : public MessageLog {
 public:
  explicit MariaDbMessageLog(std::shared_ptr<MessageShards> shards) : shards_(std::move(shards)) {}

  Result<Seq> last_seq(const ChatId& chat) override;
  // Shard 0's head, for callers that know one shard only; read_log and the
  // sequencer's committed_head() know each shard's.
  Result<LogOffset> last_offset() override;
  // The head of one shard: the last offset committed on it.
  Result<LogOffset> shard_head(ShardId shard) override;
  Result<std::optional<Message>> find_by_client_msg_id(const ChatId& chat, const UserId& sender,
                                                       const std::string& client_msg_id) override;
  using MessageLog::append;
  // Refuses read markers: they live in the chat store, not on the shards.
  Status append(const std::vector<Message>& batch, const std::vector<Message>& changed,
                std::span<const ReadMarker> read_markers) override;
  Result<std::optional<Message>> find(const ChatId& chat, Seq seq) override;
  Result<std::vector<Message>> read_before(const ChatId& chat, Seq before, std::size_t limit) override;
  Result<std::vector<Message>> read_after(const ChatId& chat, Seq after, std::size_t limit) override;
  Result<std::vector<Message>> read_offset_range(const ChatId& chat, LogOffset after, LogOffset up_to,
                                                 std::size_t limit) override;
  // Fails with invalid_request for a shard the map does not have.
  Result<std::vector<Message>> read_log(ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit) override;
  Result<std::vector<SearchPosting>> search_postings(const ChatId& chat, const std::string& term, SearchPosting below,
                                                     std::size_t limit) override;
  ShardId shard_of(const ChatId& chat) const override { return shards_->shard_of(chat); }

  const std::shared_ptr<MessageShards>& shards() const { return shards_; }

 private:
  Result<std::vector<Message>> read_messages(ShardId shard, const char* sql,
                                             std::initializer_list<mariadb::Param> params);

  std::shared_ptr<MessageShards> shards_;
};

}  // namespace parley
