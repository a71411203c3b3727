#include "fakes/faulty_store.h"

namespace parley {

const char* to_string(StoreMethod method) {
  switch (method) {
    case StoreMethod::create_user:
      return "create_user";
    case StoreMethod::find_user:
      return "find_user";
    case StoreMethod::find_user_by_email:
      return "find_user_by_email";
    case StoreMethod::set_last_active:
      return "set_last_active";
    case StoreMethod::update_user:
      return "update_user";
    case StoreMethod::set_devices_last_used:
      return "set_devices_last_used";
    case StoreMethod::put_device:
      return "put_device";
    case StoreMethod::find_device:
      return "find_device";
    case StoreMethod::find_device_by_token:
      return "find_device_by_token";
    case StoreMethod::devices_of_user:
      return "devices_of_user";
    case StoreMethod::set_blocked:
      return "set_blocked";
    case StoreMethod::blocked_users:
      return "blocked_users";
    case StoreMethod::list_users:
      return "list_users";
    case StoreMethod::count_users:
      return "count_users";
    case StoreMethod::delete_user:
      return "delete_user";
    case StoreMethod::put_chat:
      return "put_chat";
    case StoreMethod::find_chat:
      return "find_chat";
    case StoreMethod::find_direct_chat:
      return "find_direct_chat";
    case StoreMethod::chats_of_user:
      return "chats_of_user";
    case StoreMethod::ended_chats_of_user:
      return "ended_chats_of_user";
    case StoreMethod::read_marker:
      return "read_marker";
    case StoreMethod::raise_read_markers:
      return "raise_read_markers";
    case StoreMethod::count_chats:
      return "count_chats";
    case StoreMethod::raise_delivered_markers:
      return "raise_delivered_markers";
    case StoreMethod::markers_of_chat:
      return "markers_of_chat";
    case StoreMethod::last_seq:
      return "last_seq";
    case StoreMethod::last_offset:
      return "last_offset";
    case StoreMethod::find_by_client_msg_id:
      return "find_by_client_msg_id";
    case StoreMethod::append:
      return "append";
    case StoreMethod::find:
      return "find";
    case StoreMethod::read_before:
      return "read_before";
    case StoreMethod::read_after:
      return "read_after";
    case StoreMethod::read_offset_range:
      return "read_offset_range";
    case StoreMethod::read_log:
      return "read_log";
    case StoreMethod::shard_head:
      return "shard_head";
    case StoreMethod::search_postings:
      return "search_postings";
    case StoreMethod::push_planned_offset:
      return "push_planned_offset";
    case StoreMethod::put_planned_push_jobs:
      return "put_planned_push_jobs";
    case StoreMethod::load_push_jobs:
      return "load_push_jobs";
    case StoreMethod::claim_push_jobs:
      return "claim_push_jobs";
    case StoreMethod::reschedule_push_job:
      return "reschedule_push_job";
    case StoreMethod::release_push_jobs:
      return "release_push_jobs";
    case StoreMethod::delete_push_job:
      return "delete_push_job";
  }
  return "?";
}

void FaultyStore::fail(StoreMethod method, ErrorCode code) {
  std::lock_guard lock(mutex_);
  faults_[static_cast<std::size_t>(method)] = code;
}

void FaultyStore::heal(StoreMethod method) {
  std::lock_guard lock(mutex_);
  faults_[static_cast<std::size_t>(method)].reset();
}

void FaultyStore::heal_all() {
  std::lock_guard lock(mutex_);
  faults_.fill(std::nullopt);
}

void FaultyStore::set_hook(StoreMethod method, std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  hooks_[static_cast<std::size_t>(method)] =
      hook ? std::make_shared<const std::function<void()>>(std::move(hook)) : nullptr;
}

std::size_t FaultyStore::calls(StoreMethod method) const {
  std::lock_guard lock(mutex_);
  return calls_[static_cast<std::size_t>(method)];
}

std::optional<Error> FaultyStore::enter(StoreMethod method) {
  std::shared_ptr<const std::function<void()>> hook;
  {
    std::lock_guard lock(mutex_);
    auto i = static_cast<std::size_t>(method);
    ++calls_[i];
    if (faults_[i]) return make_error(*faults_[i], std::string("injected fault in ") + to_string(method));
    hook = hooks_[i];
  }
  // Outside the lock: a hook may block or call back into the store.
  if (hook) (*hook)();
  return std::nullopt;
}

// Each method: fail if told to, else forward.
#define PARLEY_FAULT_POINT(method) \
  if (auto fault = enter(StoreMethod::method)) return *fault

Status FaultyStore::create_user(const User& user) {
  PARLEY_FAULT_POINT(create_user);
  return accounts_.create_user(user);
}
Result<std::optional<User>> FaultyStore::find_user(const UserId& id) {
  PARLEY_FAULT_POINT(find_user);
  return accounts_.find_user(id);
}
Result<std::optional<User>> FaultyStore::find_user_by_email(const std::string& email) {
  PARLEY_FAULT_POINT(find_user_by_email);
  return accounts_.find_user_by_email(email);
}
Status FaultyStore::set_last_active(const std::vector<LastActive>& updates) {
  PARLEY_FAULT_POINT(set_last_active);
  return accounts_.set_last_active(updates);
}
Status FaultyStore::update_user(const UserId& id, const UserUpdate& update) {
  PARLEY_FAULT_POINT(update_user);
  return accounts_.update_user(id, update);
}
Status FaultyStore::set_devices_last_used(const std::vector<DeviceUse>& uses) {
  PARLEY_FAULT_POINT(set_devices_last_used);
  return accounts_.set_devices_last_used(uses);
}
Status FaultyStore::put_device(const Device& device) {
  PARLEY_FAULT_POINT(put_device);
  return accounts_.put_device(device);
}
Result<std::optional<Device>> FaultyStore::find_device(const DeviceId& id) {
  PARLEY_FAULT_POINT(find_device);
  return accounts_.find_device(id);
}
Result<std::optional<Device>> FaultyStore::find_device_by_token(const std::string& token_digest) {
  PARLEY_FAULT_POINT(find_device_by_token);
  return accounts_.find_device_by_token(token_digest);
}
Result<std::vector<Device>> FaultyStore::devices_of_user(const UserId& id) {
  PARLEY_FAULT_POINT(devices_of_user);
  return accounts_.devices_of_user(id);
}

Status FaultyStore::set_blocked(const UserId& user, const UserId& other, bool blocked) {
  PARLEY_FAULT_POINT(set_blocked);
  return accounts_.set_blocked(user, other, blocked);
}

Result<std::vector<UserId>> FaultyStore::blocked_users(const UserId& user) {
  PARLEY_FAULT_POINT(blocked_users);
  return accounts_.blocked_users(user);
}

Status FaultyStore::put_chat(const Chat& chat) {
  PARLEY_FAULT_POINT(put_chat);
  return chats_.put_chat(chat);
}
Result<std::optional<Chat>> FaultyStore::find_chat(const ChatId& id) {
  PARLEY_FAULT_POINT(find_chat);
  return chats_.find_chat(id);
}
Result<std::optional<ChatId>> FaultyStore::find_direct_chat(const UserId& a, const UserId& b) {
  PARLEY_FAULT_POINT(find_direct_chat);
  return chats_.find_direct_chat(a, b);
}
Result<std::vector<ChatId>> FaultyStore::chats_of_user(const UserId& id) {
  PARLEY_FAULT_POINT(chats_of_user);
  return chats_.chats_of_user(id);
}

Result<std::vector<ChatId>> FaultyStore::ended_chats_of_user(const UserId& id) {
  PARLEY_FAULT_POINT(ended_chats_of_user);
  return chats_.ended_chats_of_user(id);
}
Result<Seq> FaultyStore::read_marker(const ChatId& chat, const UserId& user) {
  PARLEY_FAULT_POINT(read_marker);
  return chats_.read_marker(chat, user);
}
Status FaultyStore::raise_read_markers(std::span<const ReadMarker> markers) {
  PARLEY_FAULT_POINT(raise_read_markers);
  return chats_.raise_read_markers(markers);
}
Status FaultyStore::raise_delivered_markers(std::span<const ReadMarker> markers) {
  PARLEY_FAULT_POINT(raise_delivered_markers);
  return chats_.raise_delivered_markers(markers);
}
Result<std::vector<MemberMarkers>> FaultyStore::markers_of_chat(const ChatId& chat) {
  PARLEY_FAULT_POINT(markers_of_chat);
  return chats_.markers_of_chat(chat);
}

Result<std::uint64_t> FaultyStore::count_chats() {
  PARLEY_FAULT_POINT(count_chats);
  return chats_.count_chats();
}

Result<std::vector<User>> FaultyStore::list_users(const std::string& email_prefix, const std::string& after_email,
                                                  std::size_t limit) {
  PARLEY_FAULT_POINT(list_users);
  return accounts_.list_users(email_prefix, after_email, limit);
}

Result<std::uint64_t> FaultyStore::count_users() {
  PARLEY_FAULT_POINT(count_users);
  return accounts_.count_users();
}

Result<std::vector<UserId>> FaultyStore::delete_user(const UserId& id) {
  PARLEY_FAULT_POINT(delete_user);
  return accounts_.delete_user(id);
}

Result<Seq> FaultyStore::last_seq(const ChatId& chat) {
  PARLEY_FAULT_POINT(last_seq);
  return log_.last_seq(chat);
}
Result<LogOffset> FaultyStore::last_offset() {
  PARLEY_FAULT_POINT(last_offset);
  return log_.last_offset();
}
Result<std::optional<Message>> FaultyStore::find_by_client_msg_id(const ChatId& chat, const UserId& sender,
                                                                  const std::string& client_msg_id) {
  PARLEY_FAULT_POINT(find_by_client_msg_id);
  return log_.find_by_client_msg_id(chat, sender, client_msg_id);
}
Status FaultyStore::append(const std::vector<Message>& batch, const std::vector<Message>& changed,
                           std::span<const ReadMarker> read_markers) {
  PARLEY_FAULT_POINT(append);
  return log_.append(batch, changed, read_markers);
}
Result<std::optional<Message>> FaultyStore::find(const ChatId& chat, Seq seq) {
  PARLEY_FAULT_POINT(find);
  return log_.find(chat, seq);
}
Result<std::vector<Message>> FaultyStore::read_before(const ChatId& chat, Seq before, std::size_t limit) {
  PARLEY_FAULT_POINT(read_before);
  return log_.read_before(chat, before, limit);
}
Result<std::vector<Message>> FaultyStore::read_after(const ChatId& chat, Seq after, std::size_t limit) {
  PARLEY_FAULT_POINT(read_after);
  return log_.read_after(chat, after, limit);
}
Result<std::vector<Message>> FaultyStore::read_offset_range(const ChatId& chat, LogOffset after, LogOffset up_to,
                                                            std::size_t limit) {
  PARLEY_FAULT_POINT(read_offset_range);
  return log_.read_offset_range(chat, after, up_to, limit);
}
Result<LogOffset> FaultyStore::shard_head(ShardId shard) {
  PARLEY_FAULT_POINT(shard_head);
  return log_.shard_head(shard);
}
Result<std::vector<SearchPosting>> FaultyStore::search_postings(const ChatId& chat, const std::string& term,
                                                                SearchPosting below, std::size_t limit) {
  PARLEY_FAULT_POINT(search_postings);
  return log_.search_postings(chat, term, below, limit);
}
Result<std::vector<Message>> FaultyStore::read_log(ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit) {
  PARLEY_FAULT_POINT(read_log);
  return log_.read_log(shard, after, up_to, limit);
}

Result<std::optional<LogOffset>> FaultyStore::push_planned_offset(ShardId shard) {
  PARLEY_FAULT_POINT(push_planned_offset);
  return push_jobs_.push_planned_offset(shard);
}
Status FaultyStore::put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                                          LogOffset up_to) {
  PARLEY_FAULT_POINT(put_planned_push_jobs);
  return push_jobs_.put_planned_push_jobs(jobs, shard, from, up_to);
}
Result<std::vector<PushJob>> FaultyStore::load_push_jobs(ShardId shard) {
  PARLEY_FAULT_POINT(load_push_jobs);
  return push_jobs_.load_push_jobs(shard);
}
Result<std::vector<PushClaim>> FaultyStore::claim_push_jobs(const std::vector<std::uint64_t>& ids,
                                                            const std::string& owner, TimeMs now, TimeMs lease_until) {
  PARLEY_FAULT_POINT(claim_push_jobs);
  return push_jobs_.claim_push_jobs(ids, owner, now, lease_until);
}
Status FaultyStore::release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) {
  PARLEY_FAULT_POINT(release_push_jobs);
  return push_jobs_.release_push_jobs(ids, owner);
}

Result<bool> FaultyStore::reschedule_push_job(const PushJob& job, const std::string& owner) {
  PARLEY_FAULT_POINT(reschedule_push_job);
  return push_jobs_.reschedule_push_job(job, owner);
}
Status FaultyStore::delete_push_job(std::uint64_t id) {
  PARLEY_FAULT_POINT(delete_push_job);
  return push_jobs_.delete_push_job(id);
}

#undef PARLEY_FAULT_POINT

}  // namespace parley
