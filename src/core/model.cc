#include "core/model.h"

#include <algorithm>

#include "core/ports.h"

namespace parley {

bool Chat::has_member(const UserId& user) const {
  return member(user) != nullptr;
}

const Member* Chat::member(const UserId& user) const {
  auto it = std::find_if(members.begin(), members.end(), [&](const Member& m) { return m.user_id == user; });
  return it == members.end() ? nullptr : &*it;
}

const char* to_string(ChatKind kind) {
  return kind == ChatKind::direct ? "direct" : "group";
}

const char* to_string(MemberRole role) {
  return role == MemberRole::admin ? "admin" : "member";
}

const char* to_string(ChatEventKind kind) {
  switch (kind) {
    case ChatEventKind::created:
      return "created";
    case ChatEventKind::member_added:
      return "member_added";
    case ChatEventKind::member_removed:
      return "member_removed";
  }
  return "created";
}

}  // namespace parley
