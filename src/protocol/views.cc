#include "protocol/views.h"

#include <boost/json/serialize.hpp>

#include "core/group_events.h"
#include "protocol/errors.h"

namespace parley::protocol {
namespace json = boost::json;

namespace {

// A timeline line as clients read it: {"type", "user_id"?, "name"?, "role"?}.
json::object group_event_object(const Message& m) {
  auto event = decode_group_event(m.text);
  if (!event) return json::object{{"type", "unknown"}};
  json::object o{{"type", to_string(event->type)}};
  if (!event->user_id.empty()) o.emplace("user_id", event->user_id);
  if (event->type == GroupEventType::renamed) o.emplace("name", event->value);
  if (event->type == GroupEventType::role_changed) o.emplace("role", event->value);
  return o;
}

}  // namespace

json::object message_object(const Message& m) {
  if (m.kind == MessageKind::event) {
    return json::object{{"chat_id", m.chat_id},
                        {"seq", m.seq},
                        {"sender_id", m.sender_id},
                        {"text", ""},
                        {"ts", m.ts},
                        {"client_msg_id", m.client_msg_id},
                        {"kind", "event"},
                        {"event", group_event_object(m)}};
  }
  json::object o{{"chat_id", m.chat_id}, {"seq", m.seq}, {"sender_id", m.sender_id},
                 {"text", m.text},       {"ts", m.ts},   {"client_msg_id", m.client_msg_id}};
  // Each only when it says something, so a plain text message reads as before.
  if (m.kind != MessageKind::text) {
    o.emplace("kind", to_string(m.kind));
    o.emplace("target_seq", m.target_seq);
  }
  if (m.reply_to != 0) o.emplace("reply_to", m.reply_to);
  if (m.edited_at != 0) o.emplace("edited_at", m.edited_at);
  if (m.deleted) o.emplace("deleted", true);
  if (!m.reactions.empty()) {
    json::array reactions;
    reactions.reserve(m.reactions.size());
    for (const Reaction& r : m.reactions) reactions.push_back(json::object{{"user_id", r.user_id}, {"emoji", r.emoji}});
    o.emplace("reactions", std::move(reactions));
  }
  return o;
}

json::object chat_object(const ChatView& chat) {
  json::array members;
  members.reserve(chat.members.size());
  for (const auto& m : chat.members) {
    json::object member{{"user_id", m.user_id}, {"display_name", m.display_name}, {"role", to_string(m.role)}};
    // Every account has a name of 1 to 200 bytes: none means it was deleted.
    if (m.display_name.empty()) member.emplace("deleted", true);
    members.push_back(std::move(member));
  }
  json::object o{{"chat_id", chat.chat_id},       {"kind", to_string(chat.kind)}, {"name", chat.name},
                 {"members", std::move(members)}, {"last_seq", chat.last_seq},    {"created_at", chat.created_at}};
  if (chat.read_seq) o.emplace("read_seq", *chat.read_seq);
  if (chat.muted_until) o.emplace("muted_until", *chat.muted_until);
  if (chat.request) o.emplace("request", true);
  if (chat.unread) o.emplace("unread", *chat.unread);
  if (chat.ended_seq) {
    o.emplace("ended", true);
    o.emplace("ended_seq", *chat.ended_seq);
  }
  o.emplace("last_message", chat.last_message ? json::value(message_object(*chat.last_message)) : json::value(nullptr));
  return o;
}

json::object presence_object(const PresenceEvent& p) {
  return json::object{
      {"user_id", p.user_id}, {"status", p.online ? "online" : "offline"}, {"last_active_at", p.last_active_at}};
}

json::object user_object(const User& user) {
  return json::object{{"user_id", user.id}, {"display_name", user.display_name}};
}

json::object device_object(const Device& device, bool current) {
  return json::object{{"device_id", device.id},
                      {"name", device.name},
                      {"created_at", device.created_at},
                      {"last_active_at", device.last_used_at},
                      {"current", current},
                      // The provider the device is registered with for pushes; null: none.
                      {"push", device.push ? json::value(device.push->provider) : json::value(nullptr)}};
}

std::string encode_error_body(const Error& error) {
  return json::serialize(
      json::object{{"error", json::object{{"code", wire_name(error.code)}, {"message", wire_message(error)}}}});
}

}  // namespace parley::protocol
