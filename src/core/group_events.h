#pragma once
// A line of a group's timeline ("Ann added Cy", "Bob left", "Ann renamed the
// group"; a group's creation is no line: its first entry is its first message), stored as a log entry of kind `event`
// in order with the messages, so every device shows the same lines in the same place. The entry's sender is who made
// the change; its text is the event, encoded here.

#include <optional>
#include <string>
#include <string_view>

#include "core/model.h"

namespace parley {

enum class GroupEventType { member_added, member_removed, member_left, renamed, role_changed };

struct GroupEvent {
  GroupEventType type = GroupEventType::member_added;
  UserId user_id;     // who was added, removed, left or had their role changed; empty otherwise
  std::string value;  // the group's new name (renamed) or the new role (role_changed); empty otherwise
  bool operator==(const GroupEvent&) const = default;
};

const char* to_string(GroupEventType type);
// "type\nuser_id\nvalue": ids never hold a newline and the value comes last,
// so a name may.
std::string encode_group_event(const GroupEvent& event);
// nullopt for text that is not an encoded event.
std::optional<GroupEvent> decode_group_event(std::string_view text);

}  // namespace parley
