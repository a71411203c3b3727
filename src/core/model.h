#pragma once
// Plain data of the domain. Everything here is copyable and free of I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley {

using UserId = std::string;
using ChatId = std::string;
using DeviceId = std::string;
using Seq = std::uint64_t;
// Position in a shard of the commit log: every durable message gets its
// shard's next offset, in commit order; offsets increase with seq inside every
// chat. A single node has one shard; a cluster several, each chat on one.
using LogOffset = std::uint64_t;
using ShardId = std::uint32_t;

// Where a device is in the log: for each shard, the newest offset it has
// processed (0: nothing). Its resume cursor.
class LogPosition {
 public:
  LogPosition() = default;
  explicit LogPosition(std::vector<LogOffset> offsets) : offsets_(std::move(offsets)) {}

  // 0 for a shard it has never seen.
  LogOffset at(ShardId shard) const { return shard < offsets_.size() ? offsets_[shard] : 0; }
  // Moves the shard's offset forward to `offset` (never back).
  void advance(ShardId shard, LogOffset offset);
  // Whether the message at (shard, offset) is at or below this position.
  bool covers(ShardId shard, LogOffset offset) const { return offset != 0 && offset <= at(shard); }
  // Per shard, the lower of the two.
  static LogPosition lower(const LogPosition& a, const LogPosition& b);
  const std::vector<LogOffset>& offsets() const { return offsets_; }
  bool operator==(const LogPosition& other) const;

 private:
  std::vector<LogOffset> offsets_;  // by shard; trailing zeros are insignificant
};
using TimeMs = std::int64_t;  // wall-clock milliseconds since the epoch

// Who may see a user's online status and last seen (its own setting). Chat
// partners only ever: a stranger sharing no chat sees nothing whatever it says.
enum class PresenceVisibility : std::uint8_t {
  everyone = 0,  // anyone sharing a chat with the user (not a direct chat it has not accepted)
  contacts = 1,  // only people it has chatted with: an accepted direct chat
  nobody = 2,
};

struct User {
  UserId id;
  std::string email;  // lower-cased
  std::string display_name;
  std::string password_hash;
  TimeMs created_at = 0;
  TimeMs last_active_at = 0;  // last heartbeat seen before going offline
  PresenceVisibility presence_visibility = PresenceVisibility::everyone;
  // Disabled by the operator: cannot log in, and has no logged-in device.
  bool disabled = false;
};

// A user's last heartbeat before going offline, to be stored.
struct LastActive {
  UserId user_id;
  TimeMs at = 0;
};

struct PushRegistration {
  std::string provider;  // "webhook" or "webpush"
  std::string url;       // the webhook's URL, or the Web Push subscription's endpoint
  // webpush only, base64url as the browser gave them: the subscription's
  // P-256 public key and its 16-byte auth secret (RFC 8291).
  std::string p256dh = {};
  std::string auth = {};
};

struct Device {
  DeviceId id;
  UserId user_id;
  std::string name;
  std::string token_digest;  // empty once logged out
  TimeMs created_at = 0;
  // When its token was last used (a request or a heartbeat), as stored: the
  // store hears of uses in batches (DeviceUseWriter), so this may lag a few
  // seconds behind. 0: never recorded (use created_at). Written only by
  // AccountStore::set_devices_last_used, never by put_device.
  TimeMs last_used_at = 0;
  std::optional<PushRegistration> push;
};

// A device's latest use, to be stored.
struct DeviceUse {
  DeviceId device_id;
  TimeMs at = 0;
};

// A member's read position in a chat: the newest seq they have read. The
// same shape keeps a delivery position: the newest seq one of their devices
// has received.
struct ReadMarker {
  ChatId chat_id;
  UserId user_id;
  Seq seq = 0;
};

// A member's positions in a chat. Reading implies receiving: what clients are
// shown as delivered is max(read_seq, delivered_seq).
struct MemberMarkers {
  UserId user_id;
  Seq read_seq = 0;
  Seq delivered_seq = 0;
  bool operator==(const MemberMarkers&) const = default;
};

// Fields of a user to change; those left empty stay as stored.
struct UserUpdate {
  std::optional<std::string> display_name = {};
  std::optional<std::string> password_hash = {};
  std::optional<PresenceVisibility> presence_visibility = {};
  std::optional<bool> disabled = {};
};

enum class ChatKind { direct, group };
enum class MemberRole { admin, member };

struct Member {
  UserId user_id;
  MemberRole role = MemberRole::member;
  // The chat's last seq when the member was added: they see the messages
  // after it, not the ones said before they joined. 0: since the start.
  Seq joined_seq = 0;
  // The member's pushes for this chat are muted until then (ms since the
  // epoch; kMutedForever: until unmuted). 0: not muted. The member's own
  // setting: shown to nobody else.
  TimeMs muted_until = 0;
  // A message request: a direct chat the other member opened that this one
  // has not accepted yet (by replying or accepting). Until then the opener
  // sees none of its presence, read receipts or typing.
  bool pending = false;
};

// Someone who was a member of a group and was removed or left: they keep
// reading what was said while they were a member, (joined_seq, left_seq],
// and see the chat as ended, until they forget it (or are added again, as a
// new member).
struct FormerMember {
  UserId user_id;
  Seq joined_seq = 0;
  Seq left_seq = 0;
  bool operator==(const FormerMember&) const = default;
};

// Muted until unmuted: the last millisecond of the year 9999.
inline constexpr TimeMs kMutedForever = 253'402'300'799'999;

struct Chat {
  ChatId id;
  ChatKind kind = ChatKind::group;
  std::string name;
  std::vector<Member> members;
  TimeMs created_at = 0;
  // Never a current member too.
  std::vector<FormerMember> former{};
  // 1 when created; every stored change adds one. The store refuses a write
  // that does not follow on from the stored version (ErrorCode::conflict), so
  // writers on different nodes never overwrite each other's changes.
  std::uint64_t version = 1;

  bool has_member(const UserId& user) const;
  const Member* member(const UserId& user) const;
  const FormerMember* former_member(const UserId& user) const;
};

// What a log entry is. A text message is what users send; edit, deletion
// and reaction are actions on an earlier text message of the chat
// (`Message::target_seq`), entries of the log like any message (they take
// the next seq), whose commit also changes the target's stored state. An
// event is a line of a group's timeline ("Ann added Cy") that the server
// writes after a change of the group; clients never send one.
enum class MessageKind : std::uint8_t {
  text = 0,
  edit = 1,      // text: the target's new text
  deletion = 2,  // for everyone: the target's text is removed from storage
  reaction = 3,  // text: the sender's emoji on the target; empty: removed
  event = 4,     // text: the GroupEvent (core/group_events.h); sender: who made the change
};

// One user's reaction on a message (at most one per user: a new one replaces it).
struct Reaction {
  UserId user_id;
  std::string emoji;
  bool operator==(const Reaction&) const = default;
};

struct Message {
  ChatId chat_id;
  Seq seq = 0;
  UserId sender_id;
  DeviceId sender_device_id;
  std::string client_msg_id;
  std::string text;
  TimeMs ts = 0;
  LogOffset offset = 0;
  ShardId shard = 0;  // where `offset` counts; not stored: the log knows each chat's shard
  MessageKind kind = MessageKind::text;
  Seq target_seq = 0;  // an action's target; 0 for a text message
  Seq reply_to = 0;    // a text message quoting an earlier one of its chat; 0: none
  // The current state of a text message, changed by the actions on it.
  TimeMs edited_at = 0;                  // ts of its latest edit; 0: never edited
  bool deleted = false;                  // deleted for everyone: text empty, reactions gone
  std::vector<Reaction> reactions = {};  // in the order first given
  // Stored, never on the wire: the seqs of the edit entries of this message,
  // whose texts a deletion removes too.
  std::vector<Seq> edit_seqs = {};
  // Sent into a direct chat whose other member had blocked the sender (or an
  // action on such a message): stored and shown to its sender only, never
  // delivered, pushed or listed to anyone else, also after an unblock.
  bool withheld = false;
};

// Whether `user` may ever see the log entry (see Message::withheld).
inline bool visible_to(const Message& message, const UserId& user) {
  return !message.withheld || message.sender_id == user;
}

struct PushJob {
  std::uint64_t id = 0;  // given by the PushJobStore; the provider's idempotency key
  ShardId shard = 0;     // of the messages it was planned from
  UserId user_id;
  DeviceId device_id;
  std::string url;
  ChatId chat_id;
  Seq seq = 0;
  UserId sender_id;
  std::string preview;      // of the newest message it covers
  std::uint32_t count = 1;  // messages it covers (pushes to one device are coalesced)
  std::uint32_t attempts = 0;
  TimeMs next_attempt_at = 0;
  TimeMs give_up_at = 0;
  // The device's registration when planned: "webhook" (also when empty:
  // jobs stored before Web Push) or "webpush" with the subscription's keys.
  std::string provider = {};
  std::string p256dh = {};
  std::string auth = {};
};

// What claiming a push job before sending it found.
enum class PushClaimState {
  claimed,  // this owner holds it now: send it
  held,     // another owner's lease runs until `held_until`
  gone,     // no such job (sent and deleted, or given up)
};
struct PushClaim {
  std::uint64_t id = 0;
  PushClaimState state = PushClaimState::gone;
  TimeMs held_until = 0;  // held only
  PushJob job;            // claimed only: the job as stored (attempts, give-up time)
};

const char* to_string(ChatKind kind);
const char* to_string(MessageKind kind);
// nullopt for a name that is not a kind a client may send (not "event").
std::optional<MessageKind> message_kind_from(std::string_view name);
const char* to_string(MemberRole role);
const char* to_string(PresenceVisibility visibility);
std::optional<PresenceVisibility> presence_visibility_from(std::string_view name);

}  // namespace parley
