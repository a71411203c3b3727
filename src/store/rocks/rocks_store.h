#pragma once
// RocksStore: every storage port of the core (accounts, chats, the message
// log, push jobs) on one embedded RocksDB database in a data directory.
//
// Thread-safe: any method may be called from any thread at once. Reads are
// served from RocksDB's caches; writes that the ports call durable are synced
// before returning. Owns the database: destroying it closes the files.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/keyed_serializer.h"
#include "core/ports.h"

namespace parley {

namespace rocks {
class RocksDatabase;
}

class RocksStore final : public AccountStore, public ChatStore, public MessageLog, public PushJobStore {
 public:
  // Opens or creates the store in `data_dir`. Throws std::runtime_error with
  // the reason on failure; call at start-up only.
  static std::unique_ptr<RocksStore> open(const std::string& data_dir);
  ~RocksStore() override;
  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

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
  // Count by reading every key of their index: O(users), O(chats).
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

  // PushJobStore
  // One node, one shard: shard 0 is the whole log (a store written before
  // shards existed has its planned offset there); any other shard fails with
  // invalid_request, or has no jobs.
  Result<std::optional<LogOffset>> push_planned_offset(ShardId shard) override;
  Status put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                               LogOffset up_to) override;
  Result<std::vector<PushJob>> load_push_jobs(ShardId shard) override;
  // Claims live in memory: the only node that sends this store's jobs is
  // this process, and a restart ends every claim with it.
  Result<std::vector<PushClaim>> claim_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner,
                                                 TimeMs now, TimeMs lease_until) override;
  Result<bool> reschedule_push_job(const PushJob& job, const std::string& owner) override;
  Status delete_push_job(std::uint64_t id) override;
  Status release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) override;

  // The engine's memory by name (memtables, block cache, table readers) and
  // `reopens`: how often it was closed and opened again to heal an I/O error.
  std::vector<std::pair<std::string, std::uint64_t>> stats() const;
  // Compacts the store and answers each column family's bytes on disk by
  // name ("messages", "search", …). Tools and benchmarks only: slow.
  Result<std::vector<std::pair<std::string, std::uint64_t>>> compact_and_measure();

 private:
  explicit RocksStore(std::unique_ptr<rocks::RocksDatabase> db);
  // Indexes for search the messages of a store written before the index
  // existed (once: a meta key records it). Start-up only.
  Status build_search_index();
  // Fills in last_used_at, kept apart from the device record (see .cc).
  Status add_last_used(std::vector<Device>& devices);

  std::unique_ptr<rocks::RocksDatabase> db_;
  // Makes "is this email free? then claim it" atomic per email, without a
  // lock held across the synced write. Only signup and chat writes take
  // turns; everything else relies on RocksDB's own thread safety.
  KeyedSerializer email_claims_;
  // A user record's read-modify-write (set_last_active, update_user), per
  // user id, so that neither loses the other's change.
  KeyedSerializer user_writes_;
  // put_chat's version check and write, per chat id; creating a direct chat
  // also takes its pair's turn, always after the chat's.
  KeyedSerializer chat_writes_;
  KeyedSerializer direct_pair_claims_;
  // The planned offset's compare-and-set and the job id counter, one
  // planner at a time; next_push_job_id_ is read and written in that turn.
  KeyedSerializer push_plans_;
  std::uint64_t next_push_job_id_ = 0;  // 0: not read yet
  struct Lease {
    std::string owner;
    TimeMs until = 0;
  };
  std::mutex leases_mutex_;
  std::unordered_map<std::uint64_t, Lease> leases_;
};

}  // namespace parley
