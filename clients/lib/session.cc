#include "lib/session.h"

#include <algorithm>

#include <boost/json.hpp>

namespace parley::client {

namespace json = boost::json;

namespace {

std::string describe(const HttpResponse& r, const std::string& what_call) {
  std::string msg = what_call + " -> HTTP " + std::to_string(r.status);
  if (!r.error_code().empty()) msg += " " + r.error_code();
  if (!r.raw.empty()) msg += ": " + r.raw.substr(0, 300);
  return msg;
}

const json::object& object_of(const HttpResponse& r, const std::string& what_call) {
  if (!r.json.is_object()) {
    throw ApiError(r, what_call + " (expected a JSON object body)");
  }
  return r.json.as_object();
}

std::string join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out.push_back(sep);
    out += url_encode(s);
  }
  return out;
}

}  // namespace

ApiError::ApiError(HttpResponse response, const std::string& what_call)
    : std::runtime_error(describe(response, what_call)),
      response_(std::move(response)),
      code_(response_.error_code()) {}

ChatInfo ChatInfo::from_json(const json::object& o) {
  ChatInfo c;
  c.chat_id = str_field(o, "chat_id");
  c.kind = str_field(o, "kind");
  c.name = str_field(o, "name");
  c.last_seq = int_field(o, "last_seq", 0);
  c.read_seq = int_field(o, "read_seq", 0);
  c.unread = int_field(o, "unread", 0);
  c.muted_until = int_field(o, "muted_until", 0);
  if (const auto* r = o.if_contains("request"); r && r->is_bool()) c.request = r->as_bool();
  if (const auto* e = o.if_contains("ended"); e && e->is_bool()) c.ended = e->as_bool();
  c.ended_seq = int_field(o, "ended_seq", 0);
  if (const auto* m = o.if_contains("members"); m && m->is_array()) {
    for (const auto& item : m->as_array()) {
      if (!item.is_object()) continue;
      const auto& mo = item.as_object();
      c.members.push_back({str_field(mo, "user_id"), str_field(mo, "display_name"), str_field(mo, "role")});
    }
  }
  c.raw = o;
  return c;
}

bool ChatInfo::has_member(const std::string& user_id) const {
  return std::any_of(members.begin(), members.end(), [&](const MemberInfo& m) { return m.user_id == user_id; });
}

std::string ChatInfo::role_of(const std::string& user_id) const {
  for (const auto& m : members) {
    if (m.user_id == user_id) return m.role;
  }
  return {};
}

MessageInfo MessageInfo::from_json(const json::object& o) {
  MessageInfo m;
  m.chat_id = str_field(o, "chat_id");
  m.seq = int_field(o, "seq");
  m.sender_id = str_field(o, "sender_id");
  m.text = str_field(o, "text");
  m.ts = int_field(o, "ts");
  m.client_msg_id = str_field(o, "client_msg_id");
  m.cursor = str_field(o, "cursor");
  if (const auto* kind = o.if_contains("kind"); kind && kind->is_string()) m.kind = std::string(kind->get_string());
  m.target_seq = int_field(o, "target_seq", 0);
  m.reply_to = int_field(o, "reply_to", 0);
  m.edited_at = int_field(o, "edited_at", 0);
  if (const auto* deleted = o.if_contains("deleted"); deleted && deleted->is_bool()) m.deleted = deleted->get_bool();
  if (const auto* list = o.if_contains("reactions"); list && list->is_array()) {
    for (const auto& r : list->get_array()) {
      if (r.is_object())
        m.reactions.emplace_back(str_field(r.get_object(), "user_id"), str_field(r.get_object(), "emoji"));
    }
  }
  if (const auto* event = o.if_contains("event"); event && event->is_object()) {
    const json::object& e = event->get_object();
    m.event = GroupEvent{str_field(e, "type"), str_field(e, "user_id"), str_field(e, "name"), str_field(e, "role")};
  }
  return m;
}

PresenceInfo PresenceInfo::from_json(const json::object& o) {
  return {str_field(o, "user_id"), str_field(o, "status"), int_field(o, "last_active_at")};
}

// ---- Client ----

Client::Client(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port), http_(host_, port_) {}

std::string Client::signup(const std::string& email, const std::string& password, const std::string& display_name) {
  auto r =
      http_.post("/v1/signup", json::object{{"email", email}, {"password", password}, {"display_name", display_name}});
  if (!r.ok()) throw ApiError(r, "signup " + email);
  return str_field(object_of(r, "signup"), "user_id");
}

LoginResult Client::login_raw(const std::string& email, const std::string& password, const std::string& device_name) {
  auto r =
      http_.post("/v1/login", json::object{{"email", email}, {"password", password}, {"device_name", device_name}});
  if (!r.ok()) throw ApiError(r, "login " + email);
  const auto& o = object_of(r, "login");
  return {str_field(o, "token"), str_field(o, "user_id"), str_field(o, "device_id")};
}

Session Client::login(const std::string& email, const std::string& password, const std::string& device_name) {
  return Session(host_, port_, login_raw(email, password, device_name));
}

Session Client::resume(const LoginResult& login) {
  return Session(host_, port_, login);
}

// ---- Session ----

Session::Session(std::string host, std::uint16_t port, LoginResult login)
    : host_(std::move(host)), port_(port), login_(std::move(login)), http_(host_, port_) {}

HttpResponse Session::call(std::string_view method, std::string_view target, const std::optional<json::value>& body) {
  return http_.request(method, target, body, login_.token);
}

HttpResponse Session::checked(std::string_view method, std::string_view target,
                              const std::optional<json::value>& body) {
  auto r = call(method, target, body);
  if (!r.ok()) throw ApiError(r, std::string(method) + " " + std::string(target));
  return r;
}

json::object Session::me() {
  return object_of(checked("GET", "/v1/me"), "me");
}

UserRef Session::find_user_by_email(const std::string& email) {
  auto r = checked("GET", "/v1/users?email=" + url_encode(email));
  const auto& o = object_of(r, "users");
  return {str_field(o, "user_id"), str_field(o, "display_name")};
}

ChatInfo Session::create_direct(const std::string& peer_id) {
  auto r = checked("POST", "/v1/chats", json::object{{"kind", "direct"}, {"peer_id", peer_id}});
  ChatInfo c = ChatInfo::from_json(object_of(r, "create_direct"));
  c.http_status = r.status;
  return c;
}

ChatInfo Session::create_group(const std::string& name, const std::vector<std::string>& member_ids) {
  json::array ids;
  for (const auto& id : member_ids) ids.emplace_back(id);
  auto r = checked("POST", "/v1/chats", json::object{{"kind", "group"}, {"name", name}, {"member_ids", ids}});
  ChatInfo c = ChatInfo::from_json(object_of(r, "create_group"));
  c.http_status = r.status;
  return c;
}

std::vector<ChatInfo> Session::list_chats() {
  // Every page, in the server's stable order; a server without paging
  // answers everything at once and no `next`.
  std::vector<ChatInfo> out;
  std::string target = "/v1/chats?limit=" + std::to_string(kChatPageLimit);
  for (;;) {
    auto r = checked("GET", target);
    const auto& body = object_of(r, "list_chats");
    const auto* chats = body.if_contains("chats");
    if (chats == nullptr || !chats->is_array()) throw ApiError(r, "list_chats (no chats array)");
    for (const auto& c : chats->as_array()) {
      if (c.is_object()) out.push_back(ChatInfo::from_json(c.as_object()));
    }
    const auto* next = body.if_contains("next");
    if (next == nullptr || !next->is_string()) return out;
    target =
        "/v1/chats?limit=" + std::to_string(kChatPageLimit) + "&after=" + url_encode(std::string(next->get_string()));
  }
}

std::optional<ChatInfo> Session::find_chat(const std::string& chat_id) {
  auto r = call("GET", "/v1/chats/" + url_encode(chat_id));
  if (r.status == 403 || r.status == 404) return std::nullopt;
  if (!r.ok()) throw ApiError(r, "find_chat");
  return ChatInfo::from_json(object_of(r, "find_chat"));
}

void Session::add_member(const std::string& chat_id, const std::string& user_id) {
  checked("POST", "/v1/chats/" + url_encode(chat_id) + "/members", json::object{{"user_id", user_id}});
}

ChatInfo Session::rename_group(const std::string& chat_id, const std::string& name) {
  return ChatInfo::from_json(
      object_of(checked("PATCH", "/v1/chats/" + url_encode(chat_id), json::object{{"name", name}}), "rename_group"));
}

ChatInfo Session::set_role(const std::string& chat_id, const std::string& user_id, const std::string& role) {
  auto r = checked("PATCH", "/v1/chats/" + url_encode(chat_id) + "/members/" + url_encode(user_id),
                   json::object{{"role", role}});
  return ChatInfo::from_json(object_of(r, "set_role"));
}

ChatInfo Session::mute(const std::string& chat_id, std::optional<std::int64_t> until) {
  json::object body;
  if (until) body["until"] = *until;
  return ChatInfo::from_json(object_of(checked("PUT", "/v1/chats/" + url_encode(chat_id) + "/mute", body), "mute"));
}

ChatInfo Session::unmute(const std::string& chat_id) {
  return ChatInfo::from_json(object_of(checked("DELETE", "/v1/chats/" + url_encode(chat_id) + "/mute"), "unmute"));
}

ChatInfo Session::accept(const std::string& chat_id) {
  return ChatInfo::from_json(object_of(checked("POST", "/v1/chats/" + url_encode(chat_id) + "/accept"), "accept"));
}

namespace {

std::vector<UserRef> block_list(const HttpResponse& r) {
  std::vector<UserRef> out;
  const json::object& o = object_of(r, "blocks");
  if (const auto* users = o.if_contains("users"); users && users->is_array()) {
    for (const auto& u : users->as_array()) {
      if (!u.is_object()) continue;
      out.push_back({str_field(u.as_object(), "user_id"), str_field(u.as_object(), "display_name")});
    }
  }
  return out;
}

}  // namespace

std::vector<UserRef> Session::block(const std::string& user_id) {
  return block_list(checked("PUT", "/v1/blocks/" + url_encode(user_id)));
}

std::vector<UserRef> Session::unblock(const std::string& user_id) {
  return block_list(checked("DELETE", "/v1/blocks/" + url_encode(user_id)));
}

std::vector<UserRef> Session::blocked() {
  return block_list(checked("GET", "/v1/blocks"));
}

std::vector<ReceiptInfo> Session::receipts(const std::string& chat_id) {
  auto r = checked("GET", "/v1/chats/" + url_encode(chat_id) + "/receipts");
  std::vector<ReceiptInfo> out;
  const json::object& o = object_of(r, "receipts");
  if (const auto* list = o.if_contains("receipts"); list && list->is_array()) {
    for (const auto& v : list->as_array()) {
      if (!v.is_object()) continue;
      const auto& e = v.as_object();
      out.push_back({str_field(e, "user_id"), int_field(e, "read_seq", 0), int_field(e, "delivered_seq", 0),
                     int_field(e, "joined_seq", 0)});
    }
  }
  return out;
}

void Session::set_presence_visibility(const std::string& visibility) {
  checked("PATCH", "/v1/me", json::value(json::object{{"presence_visibility", visibility}}));
}

void Session::remove_member(const std::string& chat_id, const std::string& user_id) {
  checked("DELETE", "/v1/chats/" + url_encode(chat_id) + "/members/" + url_encode(user_id));
}

void Session::forget(const std::string& chat_id) {
  checked("DELETE", "/v1/chats/" + url_encode(chat_id));
}

std::vector<MessageInfo> Session::history(const std::string& chat_id, const HistoryQuery& q) {
  std::string target = "/v1/chats/" + url_encode(chat_id) + "/messages";
  char sep = '?';
  auto param = [&](const char* name, std::int64_t v) {
    target += sep;
    target += name;
    target += '=';
    target += std::to_string(v);
    sep = '&';
  };
  if (q.before) param("before", *q.before);
  if (q.after) param("after", *q.after);
  if (q.limit) param("limit", *q.limit);
  auto r = checked("GET", target);
  const auto* msgs = object_of(r, "history").if_contains("messages");
  if (msgs == nullptr || !msgs->is_array()) throw ApiError(r, "history (no messages array)");
  std::vector<MessageInfo> out;
  for (const auto& m : msgs->as_array()) {
    if (m.is_object()) out.push_back(MessageInfo::from_json(m.as_object()));
  }
  return out;
}

SearchResults Session::search(const std::string& text, const SearchOptions& options) {
  std::string target = "/v1/search?q=" + url_encode(text);
  if (options.chat_id) target += "&chat_id=" + url_encode(*options.chat_id);
  if (options.limit) target += "&limit=" + std::to_string(*options.limit);
  if (options.before) target += "&before=" + url_encode(*options.before);
  auto r = checked("GET", target);
  const auto& o = object_of(r, "search");
  const auto* results = o.if_contains("results");
  if (results == nullptr || !results->is_array()) throw ApiError(r, "search (no results array)");
  SearchResults out;
  for (const auto& m : results->as_array()) {
    if (!m.is_object()) continue;
    out.results.push_back(MessageInfo::from_json(m.as_object()));
    out.objects.push_back(m.as_object());
  }
  if (const auto* next = o.if_contains("next"); next != nullptr && next->is_string()) {
    out.next = std::string(next->as_string());
  }
  return out;
}

SendResult Session::send(const std::string& chat_id, const std::string& client_msg_id, const std::string& text) {
  return send_body(chat_id, json::object{{"client_msg_id", client_msg_id}, {"text", text}});
}

SendResult Session::send_body(const std::string& chat_id, const json::object& body) {
  auto r = checked("POST", "/v1/chats/" + url_encode(chat_id) + "/messages", body);
  const auto& o = object_of(r, "send");
  return {int_field(o, "seq"), int_field(o, "ts")};
}

std::vector<PresenceInfo> Session::presence(const std::vector<std::string>& user_ids) {
  auto r = checked("GET", "/v1/presence?user_ids=" + join(user_ids, ','));
  const auto* list = object_of(r, "presence").if_contains("presence");
  if (list == nullptr || !list->is_array()) throw ApiError(r, "presence (no presence array)");
  std::vector<PresenceInfo> out;
  for (const auto& p : list->as_array()) {
    if (p.is_object()) out.push_back(PresenceInfo::from_json(p.as_object()));
  }
  return out;
}

void Session::set_push(const std::string& url, const std::string& provider) {
  checked("PUT", "/v1/devices/current/push", json::object{{"provider", provider}, {"url", url}});
}

void Session::delete_push() {
  checked("DELETE", "/v1/devices/current/push");
}

void Session::logout() {
  checked("POST", "/v1/logout");
}

std::unique_ptr<WsConnection> Session::connect_ws(const std::optional<std::string>& cursor) {
  auto ws = WsConnection::connect(host_, port_);
  ws->hello(login_.token, cursor);
  return ws;
}

}  // namespace parley::client
