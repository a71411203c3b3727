#pragma once
// MemoryStore: every storage port in memory, for fast core tests. Behaves
// like RocksStore in everything a caller can observe: the same error codes,
// the same orders (ids in byte order, messages by seq), the same indexes. The
// store contract tests run against both to keep it so.
//
// Thread-safe: one mutex guards everything. Nothing is durable.

#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <utility>

#include "core/ports.h"

namespace parley {

class MemoryStore final : public AccountStore, public ChatStore, public MessageLog, public PushJobStore {
 public:
  // AccountStore
  Status create_user(const User& user) override;
  Result<std::optional<User>> find_user(const UserId& id) override;
  Result<std::optional<User>> find_user_by_email(const std::string& email) override;
  Status set_last_active(const std::vector<LastActive>& updates) override;
  Status update_user(const UserId& id, const UserUpdate& update) override;
  Status set_devices_last_used(const std::vector<DeviceUse>& uses) override;
  Status put_device(const Device& device) override;
  Result<std::optional<Device>> find_device(const DeviceId& id) override;
  Result<std::optional<Device>> find_device_by_token(const std::string& token_digest) override;
  Result<std::vector<Device>> devices_of_user(const UserId& id) override;
  Status set_blocked(const UserId& user, const UserId& other, bool blocked) override;
  Result<std::vector<UserId>> blocked_users(const UserId& user) override;
  Result<std::vector<User>> list_users(const std::string& email_prefix, const std::string& after_email,
                                       std::size_t limit) override;
  Result<std::uint64_t> count_users() override;
  Result<std::vector<UserId>> delete_user(const UserId& id) override;

  // ChatStore
  Status put_chat(const Chat& chat) override;
  Result<std::optional<Chat>> find_chat(const ChatId& id) override;
  Result<std::optional<ChatId>> find_direct_chat(const UserId& a, const UserId& b) override;
  Result<std::vector<ChatId>> chats_of_user(const UserId& id) override;
  Result<std::vector<ChatId>> ended_chats_of_user(const UserId& id) override;
  Result<Seq> read_marker(const ChatId& chat, const UserId& user) override;
  Status raise_read_markers(std::span<const ReadMarker> markers) override;
  Result<std::uint64_t> count_chats() override;
  Status raise_delivered_markers(std::span<const ReadMarker> markers) override;
  Result<std::vector<MemberMarkers>> markers_of_chat(const ChatId& chat) override;

  // MessageLog
  Result<Seq> last_seq(const ChatId& chat) override;
  Result<LogOffset> last_offset() override;
  Result<LogOffset> shard_head(ShardId shard) override;
  Result<std::optional<Message>> find_by_client_msg_id(const ChatId& chat, const UserId& sender,
                                                       const std::string& client_msg_id) override;
  using MessageLog::append;
  Status append(const std::vector<Message>& batch, const std::vector<Message>& changed,
                std::span<const ReadMarker> read_markers) override;
  bool keeps_read_markers() const override { return true; }
  Result<std::optional<Message>> find(const ChatId& chat, Seq seq) override;
  Result<std::vector<Message>> read_before(const ChatId& chat, Seq before, std::size_t limit) override;
  Result<std::vector<Message>> read_after(const ChatId& chat, Seq after, std::size_t limit) override;
  Result<std::vector<Message>> read_offset_range(const ChatId& chat, LogOffset after, LogOffset up_to,
                                                 std::size_t limit) override;
  Result<std::vector<Message>> read_log(ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit) override;
  Result<std::vector<SearchPosting>> search_postings(const ChatId& chat, const std::string& term, SearchPosting below,
                                                     std::size_t limit) override;
  ShardId shard_of(const ChatId& chat) const override;
  // Spreads chats over `count` shards by a hash of the chat id (1: unsharded).
  void set_shard_count(ShardId count) { shard_count_ = count == 0 ? 1 : count; }

  // PushJobStore
  // Any shard (the planners of a sharded log's shards share it, like MariaDB's).
  Result<std::optional<LogOffset>> push_planned_offset(ShardId shard) override;
  Status put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                               LogOffset up_to) override;
  Result<std::vector<PushJob>> load_push_jobs(ShardId shard) override;
  Result<std::vector<PushClaim>> claim_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner,
                                                 TimeMs now, TimeMs lease_until) override;
  Result<bool> reschedule_push_job(const PushJob& job, const std::string& owner) override;
  Status delete_push_job(std::uint64_t id) override;
  Status release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) override;
  // Every stored job, whatever its shard (tests).
  std::vector<PushJob> all_push_jobs() const;

  // For tests: how many append() calls (group commits) succeeded.
  std::size_t append_count() const;
  // For tests: every stored record as text, in a fixed order, so that a test
  // can assert that an operation changed nothing.
  std::string dump() const;

 private:
  using UserPair = std::pair<UserId, UserId>;  // (min, max)

  std::optional<Device> find_device_locked(const DeviceId& id) const;
  std::optional<Message> find_locked(const ChatId& chat, Seq seq) const;

  mutable std::mutex mutex_;
  // std::string orders bytes like RocksDB's bytewise comparator (char_traits
  // compares as unsigned char), so iteration orders match RocksStore's.
  std::map<UserId, User> users_;
  std::map<std::string, UserId> emails_;
  std::map<DeviceId, Device> devices_;
  std::map<std::string, DeviceId> tokens_;
  std::map<UserId, std::set<DeviceId>> user_devices_;
  std::map<UserId, std::set<UserId>> blocked_;
  std::map<ChatId, Chat> chats_;
  std::map<UserId, std::set<ChatId>> user_chats_;
  std::map<UserId, std::set<ChatId>> ended_chats_;
  std::map<UserPair, ChatId> direct_;
  std::map<std::pair<ChatId, UserId>, Seq> read_markers_;
  std::map<std::pair<ChatId, UserId>, Seq> delivered_markers_;
  std::map<ChatId, std::map<Seq, Message>> messages_;
  std::map<std::tuple<ChatId, UserId, std::string>, Seq> client_ids_;
  std::map<ChatId, std::map<LogOffset, Seq>> offsets_;
  std::map<LogOffset, std::pair<ChatId, Seq>> log_;
  // The search index: chat, term, ts, seq.
  std::set<std::tuple<ChatId, std::string, TimeMs, Seq>> search_;
  LogOffset last_offset_ = 0;
  struct PushLease {
    std::string owner;
    TimeMs until = 0;
  };
  std::map<ShardId, LogOffset> push_planned_;
  std::map<std::uint64_t, PushJob> push_jobs_;
  std::map<std::uint64_t, PushLease> push_leases_;
  std::uint64_t next_push_job_id_ = 1;
  std::size_t append_count_ = 0;
  ShardId shard_count_ = 1;
};

}  // namespace parley
