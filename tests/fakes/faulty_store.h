#pragma once
// FaultyStore: every store port, forwarded to another store (a MemoryStore in
// the core tests) except for the methods a test told to fail. A failing
// method returns an error and does not reach the inner store, so a test can
// prove that the core answers an error and changes nothing when any single
// read or write of any port fails. A hook per method runs before the call is
// forwarded (to block it, count it, or let another thread act meanwhile).
//
// Thread-safe: faults and hooks may be changed while the core runs.

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "core/ports.h"

namespace parley {

enum class StoreMethod {
  // AccountStore
  create_user,
  find_user,
  find_user_by_email,
  set_last_active,
  update_user,
  set_devices_last_used,
  put_device,
  find_device,
  find_device_by_token,
  devices_of_user,
  set_blocked,
  blocked_users,
  list_users,
  count_users,
  delete_user,
  // ChatStore
  put_chat,
  find_chat,
  find_direct_chat,
  chats_of_user,
  ended_chats_of_user,
  read_marker,
  raise_read_markers,
  count_chats,
  raise_delivered_markers,
  markers_of_chat,
  // MessageLog
  last_seq,
  last_offset,
  find_by_client_msg_id,
  append,
  find,
  read_before,
  read_after,
  read_offset_range,
  read_log,
  shard_head,
  search_postings,
  // PushJobStore
  push_planned_offset,
  put_planned_push_jobs,
  load_push_jobs,
  claim_push_jobs,
  reschedule_push_job,
  release_push_jobs,
  delete_push_job,
};
inline constexpr std::size_t kStoreMethodCount = static_cast<std::size_t>(StoreMethod::delete_push_job) + 1;
const char* to_string(StoreMethod method);

class FaultyStore final : public AccountStore, public ChatStore, public MessageLog, public PushJobStore {
 public:
  template <typename S>
  explicit FaultyStore(S& inner) : accounts_(inner), chats_(inner), log_(inner), push_jobs_(inner) {}

  // Every later call of `method` fails with `code` until healed.
  void fail(StoreMethod method, ErrorCode code = ErrorCode::unavailable);
  void heal(StoreMethod method);
  void heal_all();
  // Runs before each forwarded call of `method` (not for failing calls); an
  // empty function removes it.
  void set_hook(StoreMethod method, std::function<void()> hook);
  // Calls of `method` so far, failed ones included.
  std::size_t calls(StoreMethod method) const;

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
  Result<std::optional<Message>> find_by_client_msg_id(const ChatId& chat, const UserId& sender,
                                                       const std::string& client_msg_id) override;
  using MessageLog::append;
  Status append(const std::vector<Message>& batch, const std::vector<Message>& changed,
                std::span<const ReadMarker> read_markers) override;
  bool keeps_read_markers() const override { return log_.keeps_read_markers(); }
  Result<std::optional<Message>> find(const ChatId& chat, Seq seq) override;
  Result<std::vector<Message>> read_before(const ChatId& chat, Seq before, std::size_t limit) override;
  Result<std::vector<Message>> read_after(const ChatId& chat, Seq after, std::size_t limit) override;
  Result<std::vector<Message>> read_offset_range(const ChatId& chat, LogOffset after, LogOffset up_to,
                                                 std::size_t limit) override;
  Result<std::vector<Message>> read_log(ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit) override;
  Result<LogOffset> shard_head(ShardId shard) override;
  Result<std::vector<SearchPosting>> search_postings(const ChatId& chat, const std::string& term, SearchPosting below,
                                                     std::size_t limit) override;
  ShardId shard_of(const ChatId& chat) const override { return log_.shard_of(chat); }

  // PushJobStore
  Result<std::optional<LogOffset>> push_planned_offset(ShardId shard) override;
  Status put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                               LogOffset up_to) override;
  Result<std::vector<PushJob>> load_push_jobs(ShardId shard) override;
  Result<std::vector<PushClaim>> claim_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner,
                                                 TimeMs now, TimeMs lease_until) override;
  Result<bool> reschedule_push_job(const PushJob& job, const std::string& owner) override;
  Status delete_push_job(std::uint64_t id) override;
  Status release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) override;

 private:
  // The injected error if `method` is failing; otherwise runs its hook.
  std::optional<Error> enter(StoreMethod method);

  AccountStore& accounts_;
  ChatStore& chats_;
  MessageLog& log_;
  PushJobStore& push_jobs_;

  mutable std::mutex mutex_;
  std::array<std::optional<ErrorCode>, kStoreMethodCount> faults_{};
  std::array<std::shared_ptr<const std::function<void()>>, kStoreMethodCount> hooks_{};
  std::array<std::size_t, kStoreMethodCount> calls_{};
};

}  // namespace parley
