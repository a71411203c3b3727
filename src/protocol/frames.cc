#include "protocol/frames.h"

#include <boost/json/serialize.hpp>
#include <charconv>

#include "core/text.h"
#include "protocol/bodies.h"
#include "protocol/errors.h"
#include "protocol/json_fields.h"
#include "protocol/views.h"

namespace parley::protocol {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxPresenceSubscribe = 1000;

ParsedFrame fail(Error e, std::optional<std::string> ref = std::nullopt) {
  return ParsedFrame{std::nullopt, FrameError{std::move(e), std::move(ref)}};
}

template <typename T>
ParsedFrame ok(T frame) {
  return ParsedFrame{ClientFrame{std::move(frame)}, std::nullopt};
}

ParsedFrame parse_send(const json::object& o) {
  // Read client_msg_id first so any later error can name the send it refers to.
  std::optional<std::string> ref;
  if (auto* v = o.if_contains("client_msg_id"); v && v->is_string()) ref = std::string(v->get_string());
  auto chat = required_string(o, "chat_id");
  if (!chat) return fail(chat.error(), ref);
  // The same fields, checked the same way, as POST /v1/chats/{id}/messages.
  auto body = parse_send_body(o);
  if (!body) return fail(body.error(), ref);
  return ok(SendFrame{std::move(*chat), std::move(*body)});
}

}  // namespace

ParsedFrame parse_client_frame(std::string_view text) {
  auto parsed = parse_object(text);
  if (!parsed) return fail(parsed.error());
  const json::object& o = *parsed;
  auto type = required_string(o, "type");
  if (!type) return fail(type.error());
  const std::string& t = *type;
  if (t == "send") return parse_send(o);
  if (t == "heartbeat") return ok(HeartbeatFrame{});
  if (t == "typing") {
    auto chat = required_string(o, "chat_id");
    if (!chat) return fail(chat.error());
    return ok(TypingFrame{std::move(*chat)});
  }
  if (t == "read") {
    auto chat = required_string(o, "chat_id");
    if (!chat) return fail(chat.error());
    auto seq = required_uint(o, "seq");
    if (!seq) return fail(seq.error());
    return ok(ReadFrame{std::move(*chat), *seq});
  }
  if (t == "delivered") {
    auto chat = required_string(o, "chat_id");
    if (!chat) return fail(chat.error());
    auto seq = required_uint(o, "seq");
    if (!seq) return fail(seq.error());
    return ok(DeliveredFrame{std::move(*chat), *seq});
  }
  if (t == "presence_subscribe") {
    auto ids = required_string_array(o, "user_ids", kMaxPresenceSubscribe);
    if (!ids) return fail(ids.error());
    return ok(PresenceSubscribeFrame{std::move(*ids)});
  }
  if (t == "hello") {
    auto token = required_string(o, "token");
    if (!token) return fail(token.error());
    auto cursor = optional_string(o, "cursor");
    if (!cursor) return fail(cursor.error());
    HelloFrame hello{std::move(*token), std::nullopt};
    if (*cursor) {
      hello.cursor = decode_cursor(**cursor);
      if (!hello.cursor) return fail(make_error(ErrorCode::invalid_request, "cursor is not one this server issued"));
    }
    return ok(std::move(hello));
  }
  return fail(make_error(ErrorCode::unknown_type, "unknown frame type: " + utf8_sanitize(t, 64)));
}

std::string encode_cursor(const LogPosition& position) {
  const auto& offsets = position.offsets();
  std::size_t shards = offsets.size();
  while (shards > 1 && offsets[shards - 1] == 0) --shards;  // trailing zeros say nothing
  std::string out = "o";
  if (shards == 0) return out + "0";
  for (std::size_t i = 0; i < shards; ++i) {
    if (i > 0) out += '.';
    out += std::to_string(offsets[i]);
  }
  return out;
}

std::optional<LogPosition> decode_cursor(std::string_view cursor) {
  if (cursor.size() < 2 || cursor.size() > kMaxCursorBytes || cursor[0] != 'o') return std::nullopt;
  std::vector<LogOffset> offsets;
  const char* at = cursor.data() + 1;
  const char* const end = cursor.data() + cursor.size();
  for (;;) {
    if (offsets.size() == kMaxCursorShards) return std::nullopt;
    // from_chars takes no sign or space, so "+1", "-1", " 1" and "" fail here.
    LogOffset value = 0;
    auto [next, ec] = std::from_chars(at, end, value);
    if (ec != std::errc{} || next == at) return std::nullopt;
    offsets.push_back(value);
    if (next == end) break;
    if (*next != '.') return std::nullopt;
    at = next + 1;
  }
  return LogPosition(std::move(offsets));
}

std::string encode_message_frame_start(const Message& m) {
  json::object o = message_object(m);
  o.emplace("type", "message");
  std::string out = json::serialize(o);
  out.pop_back();  // the closing brace: the cursor comes last
  out += R"(,"cursor":")";
  return out;
}

std::string encode_message_frame_end(const LogPosition& cursor) {
  return encode_cursor(cursor) + "\"}";
}

std::string encode_message_frame(const Message& m, const LogPosition& cursor) {
  return encode_message_frame_start(m) + encode_message_frame_end(cursor);
}

namespace {
struct EventEncoder {
  std::string operator()(const MessageEvent& e) const {
    LogPosition at;
    at.advance(e.message.shard, e.message.offset);
    return encode_message_frame(e.message, at);
  }
  std::string operator()(const ReceiptEvent& e) const {
    return json::serialize(
        json::object{{"type", "receipt"}, {"chat_id", e.chat_id}, {"user_id", e.user_id}, {"read_seq", e.read_seq}});
  }
  std::string operator()(const DeliveredEvent& e) const {
    json::array markers;
    markers.reserve(e.markers.size());
    for (const auto& m : e.markers) markers.push_back(json::object{{"user_id", m.user_id}, {"delivered_seq", m.seq}});
    return json::serialize(
        json::object{{"type", "delivered"}, {"chat_id", e.chat_id}, {"receipts", std::move(markers)}});
  }
  std::string operator()(const TypingEvent& e) const {
    return json::serialize(json::object{{"type", "typing"}, {"chat_id", e.chat_id}, {"user_id", e.user_id}});
  }
  std::string operator()(const PresenceEvent& e) const {
    json::object o = presence_object(e);
    o.emplace("type", "presence");
    return json::serialize(o);
  }
  std::string operator()(const ChatEvent& e) const {
    return json::serialize(json::object{{"type", "chat"}, {"event", to_string(e.kind)}, {"chat", chat_object(e.chat)}});
  }
};
}  // namespace

std::string encode_event(const Event& event) {
  return std::visit(EventEncoder{}, event);
}

bool is_presence_frame(std::string_view text) {
  auto parsed = parse_object(text);
  if (!parsed) return false;
  const auto* type = parsed->if_contains("type");
  return type != nullptr && type->is_string() && type->get_string() == "presence";
}

std::string encode_welcome(const AuthContext& who, const WelcomeLimits& limits, const LogPosition& cursor) {
  return json::serialize(json::object{{"type", "welcome"},
                                      {"user_id", who.user_id},
                                      {"device_id", who.device_id},
                                      {"heartbeat_interval_ms", limits.heartbeat_interval_ms},
                                      {"max_text_bytes", limits.max_text_bytes},
                                      {"cursor", encode_cursor(cursor)}});
}

std::string encode_synced(const LogPosition& cursor) {
  return json::serialize(json::object{{"type", "synced"}, {"cursor", encode_cursor(cursor)}});
}

std::string encode_move(const std::string& url) {
  return json::serialize(json::object{{"type", "move"}, {"url", url}});
}

std::string encode_ack(const SendAck& ack) {
  return json::serialize(json::object{{"type", "ack"},
                                      {"client_msg_id", ack.client_msg_id},
                                      {"chat_id", ack.chat_id},
                                      {"seq", ack.seq},
                                      {"ts", ack.ts}});
}

std::string encode_error_frame(const Error& error, const std::optional<std::string>& ref) {
  json::object o{{"type", "error"}, {"code", wire_name(error.code)}, {"message", wire_message(error)}};
  // A ref no send could carry (too long, not UTF-8) names nothing: leave it out.
  if (ref && ref->size() <= kMaxErrorRefBytes && is_valid_utf8(*ref)) o.emplace("ref", *ref);
  return json::serialize(o);
}

}  // namespace parley::protocol
