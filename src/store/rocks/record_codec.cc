#include "store/rocks/record_codec.h"

#include <algorithm>

namespace parley::rocks {
namespace {

// Bump a version when a record's layout changes; keep decoding the old one.
constexpr std::uint8_t kUserV1 = 1;     // read only: before privacy settings
constexpr std::uint8_t kUserV2 = 2;     // read only: adds presence_visibility
constexpr std::uint8_t kUserV3 = 3;     // adds disabled
constexpr std::uint8_t kDeviceV1 = 1;   // read only: before Web Push
constexpr std::uint8_t kDeviceV2 = 2;   // adds the push registration's p256dh and auth
constexpr std::uint8_t kChatV1 = 1;     // read only: before versions, every stored chat counts as version 1
constexpr std::uint8_t kChatV2 = 2;     // adds the version
constexpr std::uint8_t kChatV3 = 3;     // adds each member's joined_seq and muted_until
constexpr std::uint8_t kChatV4 = 4;     // adds each member's pending
constexpr std::uint8_t kChatV5 = 5;     // adds the former members
constexpr std::uint8_t kMessageV1 = 1;  // read only: before message actions
constexpr std::uint8_t kMessageV2 = 2;  // adds kind, target, reply, and the state actions change
constexpr std::uint8_t kMessageV3 = 3;  // adds withheld
// Guards against a corrupt count allocating gigabytes.
constexpr std::uint32_t kMaxReactions = 1u << 20;
constexpr std::uint8_t kPushJobV1 = 1;  // read only: before coalescing, a job covered one message
constexpr std::uint8_t kPushJobV2 = 2;  // adds the count of messages covered
constexpr std::uint8_t kPushJobV3 = 3;  // adds the provider and the Web Push keys

// Guards against a corrupt member count allocating gigabytes.
constexpr std::uint32_t kMaxMembers = 1u << 20;

}  // namespace

void ByteWriter::u8(std::uint8_t v) {
  out_.push_back(static_cast<char>(v));
}

void ByteWriter::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<char>((v >> shift) & 0xff));
}

void ByteWriter::u64(std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<char>((v >> shift) & 0xff));
}

void ByteWriter::str(std::string_view s) {
  u32(static_cast<std::uint32_t>(s.size()));
  out_.append(s);
}

bool ByteReader::u8(std::uint8_t& v) {
  if (in_.empty()) return false;
  v = static_cast<std::uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return true;
}

bool ByteReader::u32(std::uint32_t& v) {
  if (in_.size() < 4) return false;
  v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(in_[i]);
  in_.remove_prefix(4);
  return true;
}

bool ByteReader::u64(std::uint64_t& v) {
  if (in_.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(in_[i]);
  in_.remove_prefix(8);
  return true;
}

bool ByteReader::i64(std::int64_t& v) {
  std::uint64_t u = 0;
  if (!u64(u)) return false;
  v = static_cast<std::int64_t>(u);
  return true;
}

bool ByteReader::str(std::string& s) {
  std::uint32_t n = 0;
  if (!u32(n) || in_.size() < n) return false;
  s.assign(in_.substr(0, n));
  in_.remove_prefix(n);
  return true;
}

// ---- Records ------------------------------------------------------------------

std::string encode_user(const User& user) {
  ByteWriter out;
  out.u8(kUserV3);
  out.str(user.id);
  out.str(user.email);
  out.str(user.display_name);
  out.str(user.password_hash);
  out.i64(user.created_at);
  out.i64(user.last_active_at);
  out.u8(static_cast<std::uint8_t>(user.presence_visibility));
  out.u8(user.disabled ? 1 : 0);
  return out.take();
}

std::optional<User> decode_user(std::string_view bytes) {
  ByteReader in(bytes);
  User user;
  std::uint8_t version = 0;
  if (!in.u8(version) || (version < kUserV1 || version > kUserV3) || !in.str(user.id) || !in.str(user.email) ||
      !in.str(user.display_name) || !in.str(user.password_hash) || !in.i64(user.created_at) ||
      !in.i64(user.last_active_at)) {
    return std::nullopt;
  }
  if (version >= kUserV2) {
    std::uint8_t visibility = 0;
    if (!in.u8(visibility) || visibility > static_cast<std::uint8_t>(PresenceVisibility::nobody)) return std::nullopt;
    user.presence_visibility = static_cast<PresenceVisibility>(visibility);
  }
  if (version >= kUserV3) {
    std::uint8_t disabled = 0;
    if (!in.u8(disabled) || disabled > 1) return std::nullopt;
    user.disabled = disabled == 1;
  }
  if (!in.done()) return std::nullopt;
  return user;
}

std::string encode_device(const Device& device) {
  ByteWriter out;
  out.u8(kDeviceV2);
  out.str(device.id);
  out.str(device.user_id);
  out.str(device.name);
  out.str(device.token_digest);
  out.i64(device.created_at);
  out.u8(device.push ? 1 : 0);
  if (device.push) {
    out.str(device.push->provider);
    out.str(device.push->url);
    out.str(device.push->p256dh);
    out.str(device.push->auth);
  }
  return out.take();
}

std::optional<Device> decode_device(std::string_view bytes) {
  ByteReader in(bytes);
  Device device;
  std::uint8_t has_push = 0;
  std::uint8_t version = 0;
  if (!in.u8(version) || (version != kDeviceV1 && version != kDeviceV2) || !in.str(device.id) ||
      !in.str(device.user_id) || !in.str(device.name) || !in.str(device.token_digest) || !in.i64(device.created_at) ||
      !in.u8(has_push) || has_push > 1) {
    return std::nullopt;
  }
  if (has_push == 1) {
    PushRegistration push;
    if (!in.str(push.provider) || !in.str(push.url)) return std::nullopt;
    if (version == kDeviceV2 && (!in.str(push.p256dh) || !in.str(push.auth))) return std::nullopt;
    device.push = std::move(push);
  }
  if (!in.done()) return std::nullopt;
  return device;
}

std::string encode_chat(const Chat& chat) {
  ByteWriter out;
  out.u8(kChatV5);
  out.u64(chat.version);
  out.str(chat.id);
  out.u8(chat.kind == ChatKind::direct ? 0 : 1);
  out.str(chat.name);
  out.i64(chat.created_at);
  out.u32(static_cast<std::uint32_t>(chat.members.size()));
  for (const Member& m : chat.members) {
    out.str(m.user_id);
    out.u8(m.role == MemberRole::admin ? 0 : 1);
    out.u64(m.joined_seq);
    out.i64(m.muted_until);
    out.u8(m.pending ? 1 : 0);
  }
  out.u32(static_cast<std::uint32_t>(chat.former.size()));
  for (const FormerMember& m : chat.former) {
    out.str(m.user_id);
    out.u64(m.joined_seq);
    out.u64(m.left_seq);
  }
  return out.take();
}

std::optional<Chat> decode_chat(std::string_view bytes) {
  ByteReader in(bytes);
  Chat chat;
  std::uint8_t kind = 0;
  std::uint32_t count = 0;
  std::uint8_t format = 0;
  if (!in.u8(format) ||
      (format != kChatV1 && format != kChatV2 && format != kChatV3 && format != kChatV4 && format != kChatV5)) {
    return std::nullopt;
  }
  chat.version = 1;
  if (format != kChatV1 && (!in.u64(chat.version) || chat.version == 0)) return std::nullopt;
  if (!in.str(chat.id) || !in.u8(kind) || kind > 1 || !in.str(chat.name) || !in.i64(chat.created_at) ||
      !in.u32(count) || count > kMaxMembers) {
    return std::nullopt;
  }
  chat.kind = kind == 0 ? ChatKind::direct : ChatKind::group;
  chat.members.reserve(std::min<std::uint32_t>(count, 1024));
  for (std::uint32_t i = 0; i < count; ++i) {
    Member m;
    std::uint8_t role = 0;
    if (!in.str(m.user_id) || !in.u8(role) || role > 1) return std::nullopt;
    if (format >= kChatV3 && (!in.u64(m.joined_seq) || !in.i64(m.muted_until) || m.muted_until < 0)) {
      return std::nullopt;
    }
    if (format >= kChatV4) {
      std::uint8_t pending = 0;
      if (!in.u8(pending) || pending > 1) return std::nullopt;
      m.pending = pending == 1;
    }
    m.role = role == 0 ? MemberRole::admin : MemberRole::member;
    chat.members.push_back(std::move(m));
  }
  if (format >= kChatV5) {
    if (!in.u32(count) || count > kMaxMembers) return std::nullopt;
    chat.former.reserve(std::min<std::uint32_t>(count, 1024));
    for (std::uint32_t i = 0; i < count; ++i) {
      FormerMember m;
      if (!in.str(m.user_id) || !in.u64(m.joined_seq) || !in.u64(m.left_seq)) return std::nullopt;
      chat.former.push_back(std::move(m));
    }
  }
  if (!in.done()) return std::nullopt;
  return chat;
}

std::string encode_message(const Message& message) {
  ByteWriter out;
  out.u8(kMessageV3);
  out.str(message.chat_id);
  out.u64(message.seq);
  out.str(message.sender_id);
  out.str(message.sender_device_id);
  out.str(message.client_msg_id);
  out.str(message.text);
  out.i64(message.ts);
  out.u64(message.offset);
  out.u8(static_cast<std::uint8_t>(message.kind));
  out.u64(message.target_seq);
  out.u64(message.reply_to);
  out.i64(message.edited_at);
  out.u8(message.deleted ? 1 : 0);
  out.u32(static_cast<std::uint32_t>(message.reactions.size()));
  for (const Reaction& r : message.reactions) {
    out.str(r.user_id);
    out.str(r.emoji);
  }
  out.u32(static_cast<std::uint32_t>(message.edit_seqs.size()));
  for (Seq seq : message.edit_seqs) out.u64(seq);
  out.u8(message.withheld ? 1 : 0);
  return out.take();
}

std::optional<Message> decode_message(std::string_view bytes) {
  ByteReader in(bytes);
  Message m;
  std::uint8_t version = 0;
  if (!in.u8(version) || (version != kMessageV1 && version != kMessageV2 && version != kMessageV3) ||
      !in.str(m.chat_id) || !in.u64(m.seq) || !in.str(m.sender_id) || !in.str(m.sender_device_id) ||
      !in.str(m.client_msg_id) || !in.str(m.text) || !in.i64(m.ts) || !in.u64(m.offset)) {
    return std::nullopt;
  }
  if (version == kMessageV1) return in.done() ? std::optional<Message>(std::move(m)) : std::nullopt;
  std::uint8_t kind = 0;
  std::uint8_t deleted = 0;
  std::uint32_t count = 0;
  if (!in.u8(kind) || kind > static_cast<std::uint8_t>(MessageKind::event) || !in.u64(m.target_seq) ||
      !in.u64(m.reply_to) || !in.i64(m.edited_at) || !in.u8(deleted) || deleted > 1 || !in.u32(count) ||
      count > kMaxReactions) {
    return std::nullopt;
  }
  m.kind = static_cast<MessageKind>(kind);
  m.deleted = deleted == 1;
  for (std::uint32_t i = 0; i < count; ++i) {
    Reaction r;
    if (!in.str(r.user_id) || !in.str(r.emoji)) return std::nullopt;
    m.reactions.push_back(std::move(r));
  }
  if (!in.u32(count) || count > kMaxReactions) return std::nullopt;
  for (std::uint32_t i = 0; i < count; ++i) {
    Seq seq = 0;
    if (!in.u64(seq)) return std::nullopt;
    m.edit_seqs.push_back(seq);
  }
  if (version == kMessageV3) {
    std::uint8_t withheld = 0;
    if (!in.u8(withheld) || withheld > 1) return std::nullopt;
    m.withheld = withheld == 1;
  }
  if (!in.done()) return std::nullopt;
  return m;
}

std::string encode_push_job(const PushJob& job) {
  ByteWriter out;
  out.u8(kPushJobV3);
  out.u64(job.id);
  out.str(job.user_id);
  out.str(job.device_id);
  out.str(job.url);
  out.str(job.chat_id);
  out.u64(job.seq);
  out.str(job.sender_id);
  out.str(job.preview);
  out.u32(job.attempts);
  out.i64(job.next_attempt_at);
  out.i64(job.give_up_at);
  out.u32(job.count);
  out.str(job.provider);
  out.str(job.p256dh);
  out.str(job.auth);
  return out.take();
}

std::optional<PushJob> decode_push_job(std::string_view bytes) {
  ByteReader in(bytes);
  PushJob job;
  std::uint8_t version = 0;
  if (!in.u8(version) || version < kPushJobV1 || version > kPushJobV3 || !in.u64(job.id) || !in.str(job.user_id) ||
      !in.str(job.device_id) || !in.str(job.url) || !in.str(job.chat_id) || !in.u64(job.seq) ||
      !in.str(job.sender_id) || !in.str(job.preview) || !in.u32(job.attempts) || !in.i64(job.next_attempt_at) ||
      !in.i64(job.give_up_at)) {
    return std::nullopt;
  }
  job.count = 1;
  if (version >= kPushJobV2 && (!in.u32(job.count) || job.count == 0)) return std::nullopt;
  if (version >= kPushJobV3 && (!in.str(job.provider) || !in.str(job.p256dh) || !in.str(job.auth))) {
    return std::nullopt;
  }
  if (!in.done()) return std::nullopt;
  return job;
}

std::string encode_u64(std::uint64_t v) {
  ByteWriter out;
  out.u64(v);
  return out.take();
}

std::optional<std::uint64_t> decode_u64(std::string_view bytes) {
  ByteReader in(bytes);
  std::uint64_t v = 0;
  if (!in.u64(v) || !in.done()) return std::nullopt;
  return v;
}

// ---- Keys -----------------------------------------------------------------------

std::string id_prefix(std::string_view id) {
  ByteWriter out;
  out.str(id);
  return out.take();
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last != 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;
}

std::string pair_key(std::string_view first, std::string_view second) {
  ByteWriter out;
  out.str(first);
  out.raw(second);
  return out.take();
}

std::string direct_key(std::string_view a, std::string_view b) {
  return a <= b ? pair_key(a, b) : pair_key(b, a);
}

std::string seq_key(std::string_view chat, std::uint64_t seq_or_offset) {
  ByteWriter out;
  out.str(chat);
  out.u64(seq_or_offset);
  return out.take();
}

std::string client_msg_key(std::string_view chat, std::string_view sender, std::string_view client_msg_id) {
  ByteWriter out;
  out.str(chat);
  out.str(sender);
  out.raw(client_msg_id);
  return out.take();
}

std::optional<std::string> pair_key_second(std::string_view key) {
  ByteReader in(key);
  std::string first;
  if (!in.str(first)) return std::nullopt;
  return std::string(in.rest());
}

std::optional<std::pair<std::string, std::string>> pair_key_parts(std::string_view key) {
  ByteReader in(key);
  std::string first;
  if (!in.str(first)) return std::nullopt;
  return std::make_pair(std::move(first), std::string(in.rest()));
}

std::optional<std::uint64_t> seq_key_number(std::string_view key) {
  if (key.size() < 8) return std::nullopt;
  return decode_u64(key.substr(key.size() - 8));
}

}  // namespace parley::rocks
