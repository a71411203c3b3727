// Parley protocol helpers of WsConnection; no Beast here, only frames.
#include <boost/json.hpp>

#include "lib/ws_connection.h"

namespace parley::client {

namespace json = boost::json;

std::string str_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->as_string());
}

std::int64_t int_field(const json::object& o, std::string_view key, std::int64_t def) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return def;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return def;
}

std::string frame_type(const json::value& v) {
  if (!v.is_object()) return {};
  return str_field(v.as_object(), "type");
}

json::object WsConnection::hello(const std::string& token, const std::optional<std::string>& cursor, Ms timeout) {
  json::object frame{{"type", "hello"}, {"token", token}};
  if (cursor) frame["cursor"] = *cursor;
  send(frame);
  auto reply = next_matching(
      [](const json::object& o) {
        const std::string t = str_field(o, "type");
        return t == "welcome" || t == "error";
      },
      timeout);
  if (!reply) {
    if (auto code = wait_closed(Ms(0))) {
      throw WsError("hello: connection closed with code " + std::to_string(*code));
    }
    throw WsError("hello: no welcome within timeout");
  }
  if (str_field(*reply, "type") == "error") {
    throw WsError("hello: error frame " + json::serialize(*reply));
  }
  welcome_ = *reply;
  return *reply;
}

void WsConnection::send_message(const std::string& chat_id, const std::string& client_msg_id, const std::string& text) {
  send(json::object{{"type", "send"}, {"chat_id", chat_id}, {"client_msg_id", client_msg_id}, {"text", text}});
}

SendOutcome WsConnection::send_and_wait(const std::string& chat_id, const std::string& client_msg_id,
                                        const std::string& text, Ms timeout) {
  return send_frame_and_wait(
      json::object{{"type", "send"}, {"chat_id", chat_id}, {"client_msg_id", client_msg_id}, {"text", text}}, timeout);
}

SendOutcome WsConnection::send_frame_and_wait(const json::object& frame, Ms timeout) {
  const std::string chat_id = str_field(frame, "chat_id");
  const std::string client_msg_id = str_field(frame, "client_msg_id");
  send(frame);
  auto reply = next_matching(
      [&](const json::object& o) {
        const std::string t = str_field(o, "type");
        if (t == "ack") {
          return str_field(o, "client_msg_id") == client_msg_id && str_field(o, "chat_id") == chat_id;
        }
        return t == "error" && str_field(o, "ref") == client_msg_id;
      },
      timeout);
  if (!reply) {
    throw WsError("send " + client_msg_id + ": no ack or error within timeout" +
                  (is_open() ? "" : " (connection closed)"));
  }
  SendOutcome out;
  out.frame = *reply;
  if (str_field(*reply, "type") == "ack") {
    out.ack = Ack{str_field(*reply, "chat_id"), str_field(*reply, "client_msg_id"), int_field(*reply, "seq"),
                  int_field(*reply, "ts")};
  } else {
    out.error_code = str_field(*reply, "code");
  }
  return out;
}

std::optional<json::object> WsConnection::next_message(Ms timeout, std::optional<std::string> chat_id) {
  return next_matching(
      [&](const json::object& o) {
        return str_field(o, "type") == "message" && (!chat_id || str_field(o, "chat_id") == *chat_id);
      },
      timeout);
}

std::optional<WsConnection::Backlog> WsConnection::collect_backlog(Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Backlog backlog;
  for (;;) {
    const auto left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now());
    auto frame = next_matching(
        [](const json::object& o) {
          const std::string t = str_field(o, "type");
          return t == "message" || t == "synced";
        },
        std::max(left, Ms(0)));
    if (!frame) return std::nullopt;
    if (str_field(*frame, "type") == "synced") {
      backlog.synced = std::move(*frame);
      return backlog;
    }
    backlog.messages.push_back(std::move(*frame));
  }
}

}  // namespace parley::client
