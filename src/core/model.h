#pragma once
// Plain data of the domain. Everything here is copyable and free of I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley {

using UserId = std::string;
using ChatId = std::string;
using DeviceId = std::string;
using Seq = std::uint64_t;
// Position in the server-wide commit log: every durable message gets the next
// offset, in commit order. A device's resume cursor is the newest offset it
// processed; offsets increase with seq inside every chat.
using LogOffset = std::uint64_t;
using TimeMs = std::int64_t;  // wall-clock milliseconds since the epoch

struct User {
  UserId id;
  std::string email;  // lower-cased
  std::string display_name;
  std::string password_hash;
  TimeMs created_at = 0;
  TimeMs last_active_at = 0;  // last heartbeat seen before going offline
};

// A user's last heartbeat before going offline, to be stored.
struct LastActive {
  UserId user_id;
  TimeMs at = 0;
};

struct PushRegistration {
  std::string provider;  // "webhook"
  std::string url;
};

struct Device {
  DeviceId id;
  UserId user_id;
  std::string name;
  std::string token_digest;  // empty once logged out
  TimeMs created_at = 0;
  std::optional<PushRegistration> push;
};

enum class ChatKind { direct, group };
enum class MemberRole { admin, member };

struct Member {
  UserId user_id;
  MemberRole role = MemberRole::member;
};

struct Chat {
  ChatId id;
  ChatKind kind = ChatKind::group;
  std::string name;
  std::vector<Member> members;
  TimeMs created_at = 0;
  // 1 when created; every stored change adds one. The store refuses a write
  // that does not follow on from the stored version (ErrorCode::conflict), so
  // writers on different nodes never overwrite each other's changes.
  std::uint64_t version = 1;

  bool has_member(const UserId& user) const;
  const Member* member(const UserId& user) const;
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
};

struct PushJob {
  std::uint64_t id = 0;
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
};

const char* to_string(ChatKind kind);
const char* to_string(MemberRole role);

}  // namespace parley
