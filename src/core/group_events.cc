#include "core/group_events.h"

#include <array>

namespace parley {

namespace {
constexpr std::array kTypes{GroupEventType::member_added, GroupEventType::member_removed, GroupEventType::member_left,
                            GroupEventType::renamed, GroupEventType::role_changed};
}  // namespace

const char* to_string(GroupEventType type) {
  switch (type) {
    case GroupEventType::member_added:
      return "member_added";
    case GroupEventType::member_removed:
      return "member_removed";
    case GroupEventType::member_left:
      return "member_left";
    case GroupEventType::renamed:
      return "renamed";
    case GroupEventType::role_changed:
      return "role_changed";
  }
  return "member_added";
}

std::string encode_group_event(const GroupEvent& event) {
  std::string out = to_string(event.type);
  out += '\n';
  out += event.user_id;
  out += '\n';
  out += event.value;
  return out;
}

std::optional<GroupEvent> decode_group_event(std::string_view text) {
  const auto first = text.find('\n');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = text.find('\n', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const std::string_view type = text.substr(0, first);
  for (GroupEventType t : kTypes) {
    if (type == to_string(t)) {
      return GroupEvent{t, UserId(text.substr(first + 1, second - first - 1)), std::string(text.substr(second + 1))};
    }
  }
  return std::nullopt;
}

}  // namespace parley
