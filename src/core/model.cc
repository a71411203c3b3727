#include "core/model.h"

#include <algorithm>

#include "core/ports.h"

namespace parley {

void LogPosition::advance(ShardId shard, LogOffset offset) {
  if (offset == 0) return;
  if (shard >= offsets_.size()) offsets_.resize(std::size_t{shard} + 1, 0);
  offsets_[shard] = std::max(offsets_[shard], offset);
}

LogPosition LogPosition::lower(const LogPosition& a, const LogPosition& b) {
  std::vector<LogOffset> out(std::max(a.offsets_.size(), b.offsets_.size()), 0);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = std::min(a.at(static_cast<ShardId>(i)), b.at(static_cast<ShardId>(i)));
  }
  return LogPosition(std::move(out));
}

bool LogPosition::operator==(const LogPosition& other) const {
  const std::size_t n = std::max(offsets_.size(), other.offsets_.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (at(static_cast<ShardId>(i)) != other.at(static_cast<ShardId>(i))) return false;
  }
  return true;
}

bool Chat::has_member(const UserId& user) const {
  return member(user) != nullptr;
}

const Member* Chat::member(const UserId& user) const {
  auto it = std::find_if(members.begin(), members.end(), [&](const Member& m) { return m.user_id == user; });
  return it == members.end() ? nullptr : &*it;
}

const FormerMember* Chat::former_member(const UserId& user) const {
  auto it = std::find_if(former.begin(), former.end(), [&](const FormerMember& m) { return m.user_id == user; });
  return it == former.end() ? nullptr : &*it;
}

const char* to_string(ChatKind kind) {
  return kind == ChatKind::direct ? "direct" : "group";
}

const char* to_string(MemberRole role) {
  return role == MemberRole::admin ? "admin" : "member";
}

const char* to_string(PresenceVisibility visibility) {
  switch (visibility) {
    case PresenceVisibility::everyone:
      return "everyone";
    case PresenceVisibility::contacts:
      return "contacts";
    case PresenceVisibility::nobody:
      return "nobody";
  }
  return "everyone";
}

std::optional<PresenceVisibility> presence_visibility_from(std::string_view name) {
  for (auto v : {PresenceVisibility::everyone, PresenceVisibility::contacts, PresenceVisibility::nobody}) {
    if (name == to_string(v)) return v;
  }
  return std::nullopt;
}

const char* to_string(MessageKind kind) {
  switch (kind) {
    case MessageKind::text:
      return "text";
    case MessageKind::edit:
      return "edit";
    case MessageKind::deletion:
      return "delete";
    case MessageKind::reaction:
      return "reaction";
    case MessageKind::event:
      return "event";
  }
  return "text";
}

std::optional<MessageKind> message_kind_from(std::string_view name) {
  // The kinds a client may send: events come from the server only.
  for (MessageKind kind : {MessageKind::text, MessageKind::edit, MessageKind::deletion, MessageKind::reaction}) {
    if (name == to_string(kind)) return kind;
  }
  return std::nullopt;
}

const char* to_string(ChatEventKind kind) {
  switch (kind) {
    case ChatEventKind::created:
      return "created";
    case ChatEventKind::member_added:
      return "member_added";
    case ChatEventKind::member_removed:
      return "member_removed";
    case ChatEventKind::member_renamed:
      return "member_renamed";
    case ChatEventKind::renamed:
      return "renamed";
    case ChatEventKind::role_changed:
      return "role_changed";
    case ChatEventKind::muted:
      return "muted";
    case ChatEventKind::accepted:
      return "accepted";
    case ChatEventKind::forgotten:
      return "forgotten";
  }
  return "created";
}

}  // namespace parley
