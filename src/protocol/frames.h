#pragma once
// WebSocket frames: parsing what clients send and encoding what the server
// sends. Parsing never throws; every malformed input maps to an Error.
// Free functions, thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/accounts.h"
#include "core/message_pipeline.h"
#include "core/ports.h"
#include "protocol/bodies.h"

namespace parley::protocol {

struct HelloFrame {
  std::string token;
  std::optional<LogPosition> cursor;
};
struct SendFrame {
  ChatId chat_id;
  SendBody body;  // the same fields as POST /v1/chats/{id}/messages
};
struct HeartbeatFrame {};
struct PresenceSubscribeFrame {
  std::vector<UserId> user_ids;
};
struct ReadFrame {
  ChatId chat_id;
  Seq seq = 0;
};
// The device has received the chat's messages up to seq.
struct DeliveredFrame {
  ChatId chat_id;
  Seq seq = 0;
};
struct TypingFrame {
  ChatId chat_id;
};

using ClientFrame =
    std::variant<HelloFrame, SendFrame, HeartbeatFrame, PresenceSubscribeFrame, ReadFrame, DeliveredFrame, TypingFrame>;

struct FrameError {
  Error error;
  std::optional<std::string> ref;  // client_msg_id of a rejected send, when readable
};

struct ParsedFrame {
  std::optional<ClientFrame> frame;
  std::optional<FrameError> error;
};

ParsedFrame parse_client_frame(std::string_view text);

// Resume cursors are opaque to clients: "o" followed by the offset of each log
// shard, separated by dots ("o1041" on a single node, "o1041.17.0" on three
// shards). Anything else, more than kMaxCursorShards shards or an offset that
// does not fit 64 bits is refused.
inline constexpr std::size_t kMaxCursorShards = 64;
inline constexpr std::size_t kMaxCursorBytes = 1 + kMaxCursorShards * 21;
std::string encode_cursor(const LogPosition& position);
std::optional<LogPosition> decode_cursor(std::string_view cursor);

std::string encode_event(const Event& event);
// Whether a server frame (as encode_event made it, here or on another node)
// is a `presence` frame. Parses it: for the rare moments it matters, not per frame.
bool is_presence_frame(std::string_view text);
struct WelcomeLimits {
  std::int64_t heartbeat_interval_ms = 0;
  std::size_t max_text_bytes = 0;
};
std::string encode_welcome(const AuthContext& who, const WelcomeLimits& limits, const LogPosition& cursor);
std::string encode_synced(const LogPosition& cursor);
// Asks the device to reconnect to another node of the cluster: {"type":"move","url":URL}.
std::string encode_move(const std::string& url);
std::string encode_ack(const SendAck& ack);
std::string encode_error_frame(const Error& error, const std::optional<std::string>& ref = std::nullopt);
// A message frame as sent live and during resume, with the cursor that
// includes it. Live frames are encoded once for every recipient up to the
// cursor's value (start), and each connection adds its own cursor (end).
std::string encode_message_frame(const Message& message, const LogPosition& cursor);
std::string encode_message_frame_start(const Message& message);
std::string encode_message_frame_end(const LogPosition& cursor);

}  // namespace parley::protocol
