#include "cli/event_text.h"

#include <algorithm>

#include <boost/json.hpp>

#include "cli/output.h"

namespace parley::cli {

namespace json = boost::json;
using client::int_field;
using client::str_field;

namespace {

std::string stamp(std::int64_t ts_ms) {
  return "[" + format_time(ts_ms) + "] ";
}

std::string chat_prefix(const ChatRoster& roster, const std::string& chat_id, bool with_chat) {
  return with_chat ? roster.label(chat_id) + " " : std::string();
}

// At most `max_bytes` of `text` on one line, cut on a UTF-8 boundary.
std::string preview(std::string_view text, std::size_t max_bytes = 60) {
  std::string out(text.substr(0, max_bytes));
  if (text.size() > max_bytes) {
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80) != 0) out.pop_back();
    out += "…";
  }
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

std::string name_list(const ChatRoster& roster, const std::vector<std::string>& user_ids) {
  std::string out;
  for (const auto& id : user_ids) {
    if (!out.empty()) out += ", ";
    out += id == roster.self() ? "you" : roster.display_name(id);
  }
  return out;
}

std::vector<std::string> member_ids(const client::ChatInfo& chat) {
  std::vector<std::string> ids;
  for (const auto& m : chat.members) ids.push_back(m.user_id);
  return ids;
}

// Members of `a` that are not in `b`.
std::vector<std::string> minus(const client::ChatInfo& a, const client::ChatInfo* b) {
  std::vector<std::string> out;
  for (const auto& m : a.members) {
    if (b == nullptr || !b->has_member(m.user_id)) out.push_back(m.user_id);
  }
  return out;
}

// A group timeline line, said as what happened.
std::string group_event_text(const ChatRoster& roster, const std::string& actor,
                             const client::MessageInfo::GroupEvent& e) {
  const std::string who = e.user_id == roster.self() ? "you" : roster.display_name(e.user_id);
  if (e.type == "member_added") return actor + " added " + who;
  if (e.type == "member_removed") return actor + " removed " + who;
  if (e.type == "member_left") return who + " left";
  if (e.type == "renamed") return actor + " renamed the group to \"" + e.name + "\"";
  if (e.type == "role_changed") {
    return e.role == "admin" ? actor + " made " + who + " an admin" : who + " is no longer an admin";
  }
  return actor + " changed the group";
}

}  // namespace

std::string message_text(const ChatRoster& roster, const client::MessageInfo& m, MessageStyle style) {
  std::string out;
  if (style.with_seq) out += "#" + std::to_string(m.seq) + " ";
  out += stamp(m.ts) + chat_prefix(roster, m.chat_id, style.with_chat);
  const std::string sender = roster.display_name(m.sender_id);
  const std::string target = "#" + std::to_string(m.target_seq);
  if (m.kind == "event")
    return out + group_event_text(roster, sender, m.event.value_or(client::MessageInfo::GroupEvent{}));
  // An action on an earlier message: said as what happened to it.
  if (m.kind == "edit") return out + sender + " edited " + target + ": " + indent_continuation(m.text);
  if (m.kind == "delete") return out + sender + " deleted " + target;
  if (m.kind == "reaction") {
    if (m.text.empty()) return out + sender + " removed their reaction to " + target;
    return out + sender + " reacted " + m.text + " to " + target;
  }
  out += sender + ": ";
  if (m.reply_to > 0) out += "(reply to #" + std::to_string(m.reply_to) + ") ";
  if (m.deleted) return out + "(deleted)";
  out += indent_continuation(m.text);
  if (m.edited_at > 0) out += " (edited)";
  if (!m.reactions.empty()) {
    out += "  [";
    for (std::size_t i = 0; i < m.reactions.size(); ++i) {
      const auto& [user, emoji] = m.reactions[i];
      out += (i ? ", " : "") + emoji + " " + (user == roster.self() ? "you" : roster.display_name(user));
    }
    out += "]";
  }
  return out;
}

std::string presence_text(const ChatRoster& roster, const json::object& frame) {
  std::string out = stamp(now_ms()) + roster.display_name(str_field(frame, "user_id"));
  if (str_field(frame, "status") == "online") return out + " is online";
  out += " is offline";
  if (const std::int64_t seen = int_field(frame, "last_active_at", 0); seen > 0) {
    out += " (last seen " + format_time(seen) + ")";
  }
  return out;
}

std::string receipt_text(const ChatRoster& roster, const json::object& frame, bool with_chat) {
  return stamp(now_ms()) + chat_prefix(roster, str_field(frame, "chat_id"), with_chat) +
         roster.display_name(str_field(frame, "user_id")) + " read up to #" +
         std::to_string(int_field(frame, "read_seq", 0));
}

std::string delivered_text(const ChatRoster& roster, const json::object& frame, bool with_chat) {
  std::string who;
  if (const auto* list = frame.if_contains("receipts"); list && list->is_array()) {
    for (const auto& r : list->as_array()) {
      if (!r.is_object()) continue;
      who += (who.empty() ? "" : ", ") + roster.display_name(str_field(r.as_object(), "user_id")) + " up to #" +
             std::to_string(int_field(r.as_object(), "delivered_seq", 0));
    }
  }
  return stamp(now_ms()) + chat_prefix(roster, str_field(frame, "chat_id"), with_chat) + "received: " + who;
}

std::string typing_text(const ChatRoster& roster, const json::object& frame, bool with_chat) {
  return stamp(now_ms()) + chat_prefix(roster, str_field(frame, "chat_id"), with_chat) +
         roster.display_name(str_field(frame, "user_id")) + " is typing…";
}

std::string chat_event_text(const ChatRoster& roster, const std::string& event, const client::ChatInfo& after,
                            const client::ChatInfo* before) {
  std::string out = stamp(now_ms());
  const std::string label = after.kind == "group" ? "#" + after.name : roster.label(after.chat_id);
  if (event == "created") {
    if (after.kind == "direct") return out + "new direct chat " + label + " (" + after.chat_id + ")";
    return out + "new group " + label + " (" + after.chat_id + ") with " + name_list(roster, member_ids(after));
  }
  if (event == "member_added") {
    auto added = minus(after, before);
    if (added.empty()) return out + label + ": members are now " + name_list(roster, member_ids(after));
    return out + label + ": " + name_list(roster, added) + (added.size() == 1 ? " was" : " were") + " added";
  }
  if (event == "member_removed") {
    if (!after.has_member(roster.self())) return out + label + ": you are no longer a member";
    std::vector<std::string> removed;
    if (before != nullptr) {
      for (const auto& m : before->members) {
        if (!after.has_member(m.user_id)) removed.push_back(m.user_id);
      }
    }
    if (removed.empty()) return out + label + ": members are now " + name_list(roster, member_ids(after));
    return out + label + ": " + name_list(roster, removed) + (removed.size() == 1 ? " is" : " are") +
           " no longer a member";
  }
  return out + label + ": " + event;
}

std::int64_t last_activity(const client::ChatInfo& chat) {
  if (const auto* last = chat.raw.if_contains("last_message"); last != nullptr && last->is_object()) {
    return int_field(last->as_object(), "ts", 0);
  }
  return int_field(chat.raw, "created_at", 0);
}

std::string chat_row_text(const ChatRoster& roster, const client::ChatInfo& chat) {
  std::string out = chat.chat_id + "  " + roster.label(chat.chat_id);
  if (chat.kind == "group") out += " (" + std::to_string(chat.members.size()) + " members)";
  if (chat.unread > 0) out += "  " + std::to_string(chat.unread) + " unread";
  if (chat.muted_until > 0) out += "  (muted)";
  if (chat.request) out += "  (request: reply or `parley accept` it)";
  if (chat.ended) out += "  (ended: you are no longer a member; read-only until `parley forget`)";
  if (const auto* last = chat.raw.if_contains("last_message"); last != nullptr && last->is_object()) {
    const auto m = client::MessageInfo::from_json(last->as_object());
    out += "  " + stamp(m.ts) + roster.display_name(m.sender_id) + ": " + (m.deleted ? "(deleted)" : preview(m.text));
  } else {
    out += "  (no messages)";
  }
  return out;
}

}  // namespace parley::cli
