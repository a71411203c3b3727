#include "protocol/admin_views.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <charconv>

#include "protocol/views.h"

namespace parley::protocol {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxCursorBytes = 300;

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

json::object admin_user_object(const UserSummary& summary) {
  const User& u = summary.user;
  return json::object{{"user_id", u.id},
                      {"email", u.email},
                      {"display_name", u.display_name},
                      {"created_at", u.created_at},
                      {"disabled", u.disabled},
                      {"devices", summary.logged_in_devices},
                      {"last_active_at", summary.last_active_at}};
}

json::object account_export_object(const AccountExport& account) {
  const User& u = account.user;
  json::object user{{"user_id", u.id},
                    {"email", u.email},
                    {"display_name", u.display_name},
                    {"created_at", u.created_at},
                    {"last_active_at", u.last_active_at},
                    {"presence_visibility", to_string(u.presence_visibility)},
                    {"disabled", u.disabled}};
  json::array devices;
  for (const Device& d : account.devices) {
    devices.push_back(json::object{{"device_id", d.id},
                                   {"name", d.name},
                                   {"created_at", d.created_at},
                                   {"last_active_at", std::max(d.created_at, d.last_used_at)},
                                   {"logged_in", !d.token_digest.empty()},
                                   {"push", d.push ? json::value(d.push->provider) : json::value(nullptr)}});
  }
  json::array chats;
  for (const ChatView& chat : account.chats) chats.push_back(chat_object(chat));
  json::array blocks;
  for (const UserId& id : account.blocks) blocks.emplace_back(id);
  return json::object{{"user", std::move(user)},
                      {"devices", std::move(devices)},
                      {"chats", std::move(chats)},
                      {"blocks", std::move(blocks)}};
}

json::object sent_message_object(const Message& m) {
  json::object o{
      {"chat_id", m.chat_id}, {"seq", m.seq}, {"ts", m.ts}, {"text", m.text}, {"client_msg_id", m.client_msg_id}};
  if (m.reply_to != 0) o.emplace("reply_to", m.reply_to);
  if (m.edited_at != 0) o.emplace("edited_at", m.edited_at);
  return o;
}

std::string encode_sent_cursor(const SentCursor& cursor) {
  return std::to_string(cursor.after) + "." + cursor.chat_id;
}

Result<SentCursor> parse_sent_cursor(std::string_view text) {
  const Error bad = make_error(ErrorCode::invalid_request, "after must be the next of the previous page");
  const auto dot = text.find('.');
  if (text.size() > kMaxCursorBytes || dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) return bad;
  SentCursor cursor;
  const char* end = text.data() + dot;
  auto [ptr, ec] = std::from_chars(text.data(), end, cursor.after);
  if (ec != std::errc() || ptr != end) return bad;
  const std::string_view chat = text.substr(dot + 1);
  for (char c : chat) {
    if (!is_id_char(c)) return bad;
  }
  cursor.chat_id = std::string(chat);
  return cursor;
}

}  // namespace parley::protocol
