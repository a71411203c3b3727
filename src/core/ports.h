#pragma once
// The ports: everything the core needs from the outside world. Adapters
// (store/rocks, bus/local, push, crypto) implement them; tests use fakes.
//
// Store ports are called from many threads at once and must be thread-safe.
// The core serialises conflicting writes itself (per chat, per user), so an
// adapter needs no locking beyond what its engine gives.
//
// Every read can fail, and says so in its type: a lookup answers
// Result<std::optional<T>> (nullopt: the record does not exist), a scan or a
// counter Result<...>. A failed engine read or a record that does not decode
// is an error, never "absent", "0" or a skipped record: the core must not
// assign a seq, accept a resend as new or answer "not found" from a read that
// did not happen. Engine failures that may heal (I/O, no space, no file
// descriptors) carry ErrorCode::unavailable; corruption carries internal.

#include <compare>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace parley {

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  // Durable. Fails with email_taken when a user already has that email.
  virtual Status create_user(const User& user) = 0;
  virtual Result<std::optional<User>> find_user(const UserId& id) = 0;
  virtual Result<std::optional<User>> find_user_by_email(const std::string& email) = 0;
  // Durable, in one write for all of them: all or nothing. Users that do not
  // exist are skipped (users are never deleted, so only a bug names one).
  virtual Status set_last_active(const std::vector<LastActive>& updates) = 0;
  // Durable. Changes the given fields of one user and nothing else (not
  // last_active_at, even when set_last_active runs at the same moment).
  // not_found when there is no such user.
  virtual Status update_user(const UserId& id, const UserUpdate& update) = 0;
  // Durable, in one write for all of them. Moves each device's last_used_at
  // forward (never back) and touches nothing else of it; unknown devices are
  // skipped.
  virtual Status set_devices_last_used(const std::vector<DeviceUse>& uses) = 0;
  // Creates or replaces a device and keeps the token index in step: an empty
  // token_digest means the device is logged out and no token finds it.
  virtual Status put_device(const Device& device) = 0;
  virtual Result<std::optional<Device>> find_device(const DeviceId& id) = 0;
  // nullopt also for an empty digest (logged-out devices have no token).
  virtual Result<std::optional<Device>> find_device_by_token(const std::string& token_digest) = 0;
  // In device id order.
  virtual Result<std::vector<Device>> devices_of_user(const UserId& id) = 0;
  // Durable. `user` blocks (or, with blocked == false, unblocks) `other`;
  // doing what is already so changes nothing. No read first: two devices of
  // the user blocking two users at once both hold.
  virtual Status set_blocked(const UserId& user, const UserId& other, bool blocked) = 0;
  // The users `user` blocks, in id order.
  virtual Result<std::vector<UserId>> blocked_users(const UserId& user) = 0;

  // For operators (rare, not on any hot path).
  // Up to `limit` users whose e-mail starts with `email_prefix` (empty: all)
  // and sorts after `after_email` (empty: from the first), in e-mail byte
  // order: a page, the last e-mail of which is the next page's after_email.
  virtual Result<std::vector<User>> list_users(const std::string& email_prefix, const std::string& after_email,
                                               std::size_t limit) = 0;
  // How many users there are (an exact count; reads every e-mail key).
  virtual Result<std::uint64_t> count_users() = 0;
  // Durable, ONE atomic write: the user's record and e-mail (free to sign up
  // again at once), its devices with their tokens, last uses and push
  // registrations, and the blocks it made and the blocks of it. Chats,
  // memberships and messages are the core's to erase first. Answers the
  // users who blocked it (their blocks of it are gone: cached ones must go
  // too), in id order. Deleting a user that does not exist changes nothing
  // and succeeds (a retry).
  virtual Result<std::vector<UserId>> delete_user(const UserId& id) = 0;
};

class ChatStore {
 public:
  virtual ~ChatStore() = default;
  // Durable. Creates or replaces the chat, keeps the user -> chats indexes
  // (members' and former members') and,
  // for a direct chat, the pair -> chat index in step with its members.
  // Compare-and-set on Chat::version: version 1 creates the chat and fails with
  // `conflict` if the id exists or, for a direct chat, the pair already has
  // one; version v > 1 replaces the chat only if the stored version is v - 1,
  // and fails with `conflict` otherwise (or when there is no such chat).
  virtual Status put_chat(const Chat& chat) = 0;
  virtual Result<std::optional<Chat>> find_chat(const ChatId& id) = 0;
  virtual Result<std::optional<ChatId>> find_direct_chat(const UserId& a, const UserId& b) = 0;
  // The chats the user is a member of, in chat id order.
  virtual Result<std::vector<ChatId>> chats_of_user(const UserId& id) = 0;
  // The chats the user is a former member of (Chat::former), in chat id order.
  virtual Result<std::vector<ChatId>> ended_chats_of_user(const UserId& id) = 0;
  // 0 when the user has read nothing.
  virtual Result<Seq> read_marker(const ChatId& chat, const UserId& user) = 0;
  // Moves each marker up to its seq, never back: a lower seq than the stored
  // one changes nothing, so writers need no lock and no read first (a read
  // receipt and the sender's own send may race, on any node). One write for
  // all of them. Survives a crash of the process; may be lost with the
  // machine's power.
  virtual Status raise_read_markers(std::span<const ReadMarker> markers) = 0;
  // How many chats there are (an exact count, for operators).
  virtual Result<std::uint64_t> count_chats() = 0;
  // The same for delivery positions (ReadMarker::seq: the newest seq a device
  // of the user received): never back, no read first, one write.
  virtual Status raise_delivered_markers(std::span<const ReadMarker> markers) = 0;
  // Every stored read and delivery position in the chat, in user id order;
  // users with neither are left out.
  virtual Result<std::vector<MemberMarkers>> markers_of_chat(const ChatId& chat) = 0;
};

// Where a message stands in its chat's search index: by time, then seq.
struct SearchPosting {
  TimeMs ts = 0;
  Seq seq = 0;
  auto operator<=>(const SearchPosting&) const = default;
};

// The append-only message log, partitioned by chat and ordered by seq, with
// its search index: per chat, the index terms of each text message
// (core/search_terms.h, index_terms) in its current state.
class MessageLog {
 public:
  virtual ~MessageLog() = default;
  // Highest durable seq of the chat, 0 when it has none.
  virtual Result<Seq> last_seq(const ChatId& chat) = 0;
  // Highest durable offset of the whole log, 0 when empty.
  virtual Result<LogOffset> last_offset() = 0;
  // The message a sender stored earlier with this client_msg_id, if any.
  virtual Result<std::optional<Message>> find_by_client_msg_id(const ChatId& chat, const UserId& sender,
                                                               const std::string& client_msg_id) = 0;
  // Writes every message with its idempotency key and offset indexes, and
  // replaces each of `changed` (messages stored before, in their new state:
  // see ActionBatch) in ONE atomic write that is synced to stable storage
  // before returning (this is the group commit). Either all of it is durable
  // or none. A changed message keeps its seq, offset and idempotency key.
  // The search index changes in the same write: each new message's
  // index_terms are added; a changed message's terms as stored before are
  // removed and its new ones added (a deleted message has none), so no
  // word of an old or deleted text can find it.
  // A log that keeps_read_markers() also raises each of `read_markers`
  // (merged by max, as ChatStore::raise_read_markers) in that one write;
  // any other log refuses them.
  virtual Status append(const std::vector<Message>& batch, const std::vector<Message>& changed,
                        std::span<const ReadMarker> read_markers) = 0;
  Status append(const std::vector<Message>& batch, const std::vector<Message>& changed) {
    return append(batch, changed, {});
  }
  Status append(const std::vector<Message>& batch) { return append(batch, {}, {}); }
  // Whether the chats' read markers live in this log's store, so that
  // append() can raise them in the messages' own write (a single node).
  virtual bool keeps_read_markers() const { return false; }
  virtual Result<std::optional<Message>> find(const ChatId& chat, Seq seq) = 0;
  // Messages with seq < before (before == 0: the newest), newest first.
  virtual Result<std::vector<Message>> read_before(const ChatId& chat, Seq before, std::size_t limit) = 0;
  // Messages with seq > after, oldest first.
  virtual Result<std::vector<Message>> read_after(const ChatId& chat, Seq after, std::size_t limit) = 0;
  // Messages of the chat with after < offset <= up_to, in seq order.
  virtual Result<std::vector<Message>> read_offset_range(const ChatId& chat, LogOffset after, LogOffset up_to,
                                                         std::size_t limit) = 0;
  // Messages of every chat of the shard with after < offset <= up_to, in
  // offset (commit) order. Messages stored before this index existed are not found.
  virtual Result<std::vector<Message>> read_log(ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit) = 0;
  // The search index: the messages of `chat` indexed under `term`, with
  // (ts, seq) below `below`, newest first, at most `limit`.
  virtual Result<std::vector<SearchPosting>> search_postings(const ChatId& chat, const std::string& term,
                                                             SearchPosting below, std::size_t limit) = 0;
  // The last offset committed on the shard, 0 when it has none. A log that is
  // not sharded has only shard 0 (any other shard is empty).
  virtual Result<LogOffset> shard_head(ShardId shard) {
    if (shard != 0) return LogOffset{0};
    return last_offset();
  }
  // The shard whose offsets count the chat's messages. A log that is not
  // sharded has only shard 0.
  virtual ShardId shard_of(const ChatId& /*chat*/) const { return 0; }
};

// A message to store, before it has a seq and an offset.
struct NewMessage {
  ChatId chat_id;
  UserId sender_id;
  DeviceId sender_device_id;
  std::string client_msg_id;
  std::string text;
  TimeMs ts = 0;
  // The version of the chat the send was validated and its recipients chosen
  // against (0: not checked). See MessageSequencer::chat_changed.
  std::uint64_t chat_version = 0;
  MessageKind kind = MessageKind::text;
  Seq target_seq = 0;  // an action's target
  Seq reply_to = 0;    // a text message's quoted message
  // The sender was an admin of the (group) chat at validation: it may delete
  // other members' messages. Checked against chat_version like membership.
  bool may_delete_any = false;
  // Stored as Message::withheld (the recipient of a direct chat blocks the sender).
  bool withheld = false;
  // The sender has read the chat up to this message (see
  // ChatDirectory::sender_reads): a sequencer that raises_read_markers()
  // raises the sender's read marker to it in the commit's write.
  bool sender_reads = false;
};

struct CommitOutcome {
  Message message;         // as stored: seq, offset and shard assigned
  bool duplicate = false;  // stored before under the same (chat, sender, client_msg_id): `message` is that one
};

// What a sequencer recognises a resend by, as one map key: (chat, sender,
// client_msg_id), NUL-separated (chat and user ids never hold a NUL).
inline std::string resend_key(const ChatId& chat, const UserId& sender, const std::string& client_msg_id) {
  std::string key;
  key.reserve(chat.size() + sender.size() + client_msg_id.size() + 2);
  key.append(chat).push_back('\0');
  key.append(sender).push_back('\0');
  key.append(client_msg_id);
  return key;
}

// A message validated against an older version of its chat than the
// sequencer knows: not stored; validate it again and resend.
inline Error stale_chat_error() {
  return make_error(ErrorCode::conflict, "the chat's members changed since the message was validated");
}

// Where seq and offsets come from: the group commit. A single node's is the
// core's LocalSequencer over its MessageLog. A cluster's assigns them in each
// shard's transaction, because several nodes commit to one chat.
// Called from one thread per node (the commit thread); several nodes call
// theirs at once.
class MessageSequencer {
 public:
  virtual ~MessageSequencer() = default;
  // For each message of the batch, in order: what was stored, or why it was
  // not. A new message gets its chat's next seq and its shard's next offset;
  // every new message of one shard is durable (synced), with its idempotency
  // key, in ONE write that happens wholly or not at all, and before this
  // returns. A message that is not stored takes no seq, so every chat stays
  // gap-free, and offsets follow commit order on every shard. A message whose
  // (chat, sender, client_msg_id) is stored already, or came earlier in the
  // batch, is not stored again: its outcome is that message, `duplicate`.
  // A new message whose chat_version is older than the version last passed
  // to chat_changed() is not stored and fails with `conflict`. An action, or
  // a reply, is checked against its target as committed (ActionBatch) and
  // applied to it in the same write, or refused (not stored, no seq taken)
  // with ActionBatch::check's error.
  virtual std::vector<Result<CommitOutcome>> commit(const std::vector<NewMessage>& batch) = 0;
  // Per shard, every message at or below this is durable and readable. Read
  // by resumes on any thread.
  virtual LogPosition committed_head() const = 0;
  // The chat's members changed and `version` is durable. When this returns,
  // every commit that may have checked an older version has finished, and
  // every later one refuses messages validated against an older version: a
  // member removed never gets a message committed after the removal, and a
  // member added gets every one, whatever version of the chat each node had
  // cached. Any thread; idempotent (a lower version than one seen changes
  // nothing).
  virtual Status chat_changed(const ChatId& chat, std::uint64_t version) = 0;
  // Whether commit() raises the read marker of each new message's sender
  // whose NewMessage::sender_reads is set, in the same write as the
  // messages. When not, the caller raises them after the commit.
  virtual bool raises_read_markers() const { return false; }
};

// The durable queue of push jobs, planned per log shard. Several nodes may
// share one store (a cluster): planning a shard's range is a compare-and-set
// on the shard's planned offset, and sending a job needs a claim, so no range
// is planned twice and no job is sent by two nodes at once.
class PushJobStore {
 public:
  virtual ~PushJobStore() = default;
  // How far the shard's messages have been planned: every message with offset
  // <= this has its jobs stored. nullopt before the shard's first plan.
  virtual Result<std::optional<LogOffset>> push_planned_offset(ShardId shard) = 0;
  // Durable, ONE atomic write, a compare-and-set: if the shard's planned offset
  // is `from` (nullopt: the shard was never planned), stores the jobs, giving
  // each a fresh id (unique in the store, never reused) and `shard`, and moves
  // the planned offset to `up_to`. Fails with `conflict`, storing nothing, when
  // the planned offset is not `from` (another planner got there first), and
  // with invalid_request when up_to < from. A crash leaves all or nothing, so
  // no message is planned twice or skipped.
  virtual Status put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                                       LogOffset up_to) = 0;
  // The shard's stored jobs (sent or not, claimed or not), in id order.
  virtual Result<std::vector<PushJob>> load_push_jobs(ShardId shard) = 0;
  // Claims each job for `owner` until `lease_until`, if no other owner holds a
  // lease on it beyond `now` (an owner may renew its own claim). Atomic per
  // job: of several owners claiming one job at once, one gets it. Answers one
  // PushClaim per id, in order.
  virtual Result<std::vector<PushClaim>> claim_push_jobs(const std::vector<std::uint64_t>& ids,
                                                         const std::string& owner, TimeMs now, TimeMs lease_until) = 0;
  // Durable. After a failed attempt: stores the job's attempts and
  // next_attempt_at and keeps `owner`'s claim until next_attempt_at, if
  // `owner` still holds it. false (nothing changed): the job is gone or
  // another owner claimed it since.
  virtual Result<bool> reschedule_push_job(const PushJob& job, const std::string& owner) = 0;
  // Durable. An absent job is fine.
  virtual Status delete_push_job(std::uint64_t id) = 0;
  // Ends `owner`'s claims on these jobs now, so that any owner may claim
  // them; a job another owner holds, or an absent one, is left alone. For a
  // node that stops while sending: its jobs need not wait for the lease.
  virtual Status release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) = 0;
};

// Which log shards this node plans and sends pushes for, and the name its
// claims on push jobs carry. A cluster backs it with the hash ring (the node
// owning "push-shard:<n>"); a single node owns its only shard, 0.
// Thread-safe and cheap (no I/O): asked on every planning pass.
class PushPlacement {
 public:
  virtual ~PushPlacement() = default;
  // Unique among the nodes sharing the push job store, stable across restarts
  // (a restarted node takes its own claims back at once).
  virtual std::string node_id() const = 0;
  // Ascending. May change at any time; may be empty (not in the ring yet).
  virtual std::vector<ShardId> owned_push_shards() const = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() const = 0;
};

// Password hashing, tokens and identifiers. Thread-safe.
class Credentials {
 public:
  virtual ~Credentials() = default;
  // Slow on purpose: call off the I/O threads.
  virtual std::string hash_password(const std::string& password) = 0;
  virtual bool verify_password(const std::string& hash, const std::string& password) = 0;
  // A fresh bearer token (256 random bits, printable).
  virtual std::string new_token() = 0;
  // The digest stored in place of a token.
  virtual std::string digest_token(const std::string& token) = 0;
  // A fresh random identifier, printable, unique with overwhelming probability.
  virtual std::string new_id() = 0;
};

// ---- Events delivered to connected devices ---------------------------------

struct MemberView {
  UserId user_id;
  std::string display_name;
  MemberRole role = MemberRole::member;
};

// A chat as clients see it.
struct ChatView {
  ChatId chat_id;
  ChatKind kind = ChatKind::group;
  std::string name;
  std::vector<MemberView> members;
  Seq last_seq = 0;
  std::optional<Seq> read_seq;  // set only when the view is for one user
  // Set only when the view is for one user who muted the chat (and the mute has not ended).
  std::optional<TimeMs> muted_until;
  // Set only when the view is for one user: text messages of others after
  // their read marker (and after they joined).
  std::optional<std::uint64_t> unread;
  // Set only when the view is for one user: a direct chat the other member
  // opened that this one has not accepted (Member::pending).
  bool request = false;
  // Set only when the view is for a former member (Chat::former): the chat
  // has ended for them at this seq (last_seq is at most this).
  std::optional<Seq> ended_seq;
  std::optional<Message> last_message;
  TimeMs created_at = 0;
};

struct MessageEvent {
  Message message;
};
struct ReceiptEvent {
  ChatId chat_id;
  UserId user_id;
  Seq read_seq = 0;
};
// Members' delivery positions raised together (DeliveryReceipts gathers
// them): one event per chat, however many members moved.
struct DeliveredMarker {
  UserId user_id;
  Seq seq = 0;
  bool operator==(const DeliveredMarker&) const = default;
};
struct DeliveredEvent {
  ChatId chat_id;
  std::vector<DeliveredMarker> markers;
};
struct TypingEvent {
  ChatId chat_id;
  UserId user_id;
};
struct PresenceEvent {
  UserId user_id;
  bool online = false;
  TimeMs last_active_at = 0;
};
// member_renamed: a member changed its display name (the chat's view has the new one).
// muted, accepted: to the member's own devices only.
enum class ChatEventKind {
  created,
  member_added,
  member_removed,
  member_renamed,
  renamed,
  role_changed,
  muted,
  accepted,
  forgotten,  // a former member forgot the ended chat (to their own devices)
};
struct ChatEvent {
  ChatEventKind kind = ChatEventKind::created;
  ChatView chat;
};

using Event = std::variant<MessageEvent, ReceiptEvent, DeliveredEvent, TypingEvent, PresenceEvent, ChatEvent>;
using EventPtr = std::shared_ptr<const Event>;

const char* to_string(ChatEventKind kind);

// One message's fan-out: its event to every connected device of the
// recipients. The messages of one chat in a batch share one list.
struct FanOutItem {
  std::shared_ptr<const std::vector<UserId>> recipients;
  EventPtr event;
};

// A batch's distinct recipient lists (the messages of a chat share one), in
// order of first use, and each item's index into them.
struct FanOutLists {
  std::vector<const std::vector<UserId>*> lists;
  std::vector<std::size_t> list_of_item;
};
FanOutLists distinct_lists(const std::vector<FanOutItem>& items);

// A committed batch's fan-out in two steps: prepared before the acks (who
// is connected then is who gets no push), delivered after them.
class PreparedFanOut {
 public:
  virtual ~PreparedFanOut() = default;
  // Whether the item's recipient at index `recipient` had a connected
  // device when the fan-out was prepared.
  virtual bool connected(std::size_t item, std::size_t recipient) const = 0;
  // Hands each item's event to its recipients' devices, in item order.
  virtual void deliver() = 0;
};

// Routes events to connected devices (the seed's message_sync_queue).
// Thread-safe; never blocks on a slow device.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // A batch's fan-out. A bus that keeps the connections itself looks each
  // recipient up once for both steps; this one asks connected_users() once
  // for every distinct list and deliver()s each item.
  virtual std::unique_ptr<PreparedFanOut> prepare_fan_out(std::vector<FanOutItem> items);
  // To every connected device of each user, except the device `except` if set.
  virtual void deliver(std::span<const UserId> users, const EventPtr& event,
                       const std::optional<DeviceId>& except = std::nullopt) = 0;
  virtual void deliver_to_device(const UserId& user, const DeviceId& device, const EventPtr& event) = 0;
  virtual bool has_connected_device(const UserId& user) = 0;
  // For each user, in order, whether it has a connected device: one question
  // for many users. A bus that asks another process asks once for all of
  // them; the default asks has_connected_device for each.
  virtual std::vector<bool> connected_users(std::span<const UserId> users) {
    std::vector<bool> out;
    out.reserve(users.size());
    for (const UserId& user : users) out.push_back(has_connected_device(user));
    return out;
  }
  // After the messages of one committed batch of a shard, with offsets
  // first..last, have all been delivered (in offset order). A bus that
  // carries messages between nodes uses it to order them and to notice ones
  // it lost; an in-process bus needs nothing.
  virtual void batch_committed(ShardId /*shard*/, LogOffset /*first*/, LogOffset /*last*/) {}
  // A chat's members, or a user's devices, were changed by this process:
  // other processes that cache them must reload them. A single process
  // needs nothing.
  virtual void chat_changed(const ChatId& /*chat*/) {}
  virtual void user_changed(const UserId& /*user*/) {}
};

// ---- Presence ----------------------------------------------------------------

// What a registry knows of one user now.
struct PresenceStatus {
  bool online = false;
  // The user's latest heartbeat as the registry knows it; 0: unknown (an
  // offline user the registry keeps nothing of: the core asks the store).
  TimeMs last_active_at = 0;
};

// A change of a user's presence that reached this node.
struct PresenceChange {
  PresenceEvent event;
  // True: this registry decided it (exactly one registry in the cluster
  // decides each transition), so the core announces it to the user's
  // contacts (through the EventSink, which reaches every node) and to its
  // own subscribers, and stores last_active_at when it is an offline. False:
  // another node decided it and the core hands it to its own subscribers only.
  bool decided_here = false;
};

// Where device heartbeats are kept and who is online is decided: in process
// memory on a single node (the core's LocalPresenceRegistry), in a shared
// store in a cluster, so that a user is online while any of its devices
// heartbeats on ANY node, and offline once none has for the presence timeout
// or when its last device logs out.
//
// Time: `now` is the core's clock (ms since the epoch). The nodes of a
// cluster must agree on it well within the timeout (NTP does).
//
// Threads: every method may be called from any thread. heartbeat() is on the
// hot path (I/O threads, every few seconds per device): it never blocks,
// never does I/O. collect() is called by one thread at a time (the core's
// presence thread).
class PresenceRegistry {
 public:
  virtual ~PresenceRegistry() = default;

  // The device heartbeated at `now`. The transition to online when this call
  // decided it; nullopt when the user was online already, or when the
  // registry decides later (a shared registry: collect() returns it).
  virtual std::optional<PresenceEvent> heartbeat(const UserId& user, const DeviceId& device, TimeMs now) = 0;
  // The device logged out: it no longer keeps the user online. The
  // transition to offline (last_active_at: the user's latest heartbeat) when
  // this call decided it; nullopt otherwise (as for heartbeat).
  virtual std::optional<PresenceEvent> logged_out(const UserId& user, const DeviceId& device, TimeMs now) = 0;
  // Every connection of the device closed cleanly at `since` (the client
  // said goodbye: a reload, a closed tab) and the core's offline grace has
  // passed: unless the device heartbeated after `since` (it came back, on any
  // node), it no longer keeps the user online. Unlike logged_out it leaves no
  // tombstone: a later heartbeat counts again. The transition to offline when
  // this call decided it; nullopt otherwise (as for heartbeat).
  virtual std::optional<PresenceEvent> released(const UserId& user, const DeviceId& device, TimeMs since,
                                                TimeMs now) = 0;
  // The changes that reached this node since the previous call, oldest
  // first: offline for users none of whose devices heartbeated after
  // `now - timeout` (decided here), changes a shared registry decided
  // asynchronously, and changes of watched users decided on other nodes.
  // Each user's changes come in the order they were decided. The core calls
  // it every sweep interval and soon after `wake`. Never blocks for long.
  virtual std::vector<PresenceChange> collect(TimeMs now) = 0;
  // The status of each user, in order, in one batch. May wait for a shared
  // store (bounded); fails `unavailable` when it cannot be read.
  virtual Result<std::vector<PresenceStatus>> status(std::span<const UserId> users) = 0;
  // The core wants changes of `user` decided on other nodes (its devices
  // subscribed). Counted: each watch() is undone by one unwatch(). Called
  // under the core's subscription lock (to keep their order): never block.
  virtual void watch(const UserId& /*user*/) {}
  virtual void unwatch(const UserId& /*user*/) {}
  // `wake` asks the core to call collect() soon (something arrived). The
  // registry may call it on any thread; it is cheap and never calls back into
  // the registry. An empty function detaches it: once set_wake returns, the
  // previous one is no longer being called.
  virtual void set_wake(const std::function<void()>& /*wake*/) {}
};

// What became of one attempt to send a push.
enum class PushOutcome {
  delivered,  // the provider accepted it
  retry,      // a failure worth retrying (timeout, 429, 5xx, refused connection)
  rejected,   // the provider refused it for good (a 4xx other than 404/410): give up
  gone,       // the subscription no longer exists (404/410): give up, drop the registration
};

// Sends one push notification and calls `done` once with the outcome. May
// call `done` on any thread.
class PushSender {
 public:
  virtual ~PushSender() = default;
  virtual void send(const PushJob& job, std::function<void(PushOutcome)> done) = 0;
};

}  // namespace parley
