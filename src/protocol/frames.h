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

namespace parley::protocol {

struct HelloFrame {
  std::string token;
  std::optional<LogOffset> cursor;
};
struct SendFrame {
  ChatId chat_id;
  std::string client_msg_id;
  std::string text;
};
struct HeartbeatFrame {};
struct PresenceSubscribeFrame {
  std::vector<UserId> user_ids;
};
struct ReadFrame {
  ChatId chat_id;
  Seq seq = 0;
};
struct TypingFrame {
  ChatId chat_id;
};

using ClientFrame = std::variant<HelloFrame, SendFrame, HeartbeatFrame, PresenceSubscribeFrame, ReadFrame, TypingFrame>;

struct FrameError {
  Error error;
  std::optional<std::string> ref;  // client_msg_id of a rejected send, when readable
};

struct ParsedFrame {
  std::optional<ClientFrame> frame;
  std::optional<FrameError> error;
};

ParsedFrame parse_client_frame(std::string_view text);

// Resume cursors are opaque to clients: "o" followed by the log offset.
std::string encode_cursor(LogOffset offset);
std::optional<LogOffset> decode_cursor(std::string_view cursor);

std::string encode_event(const Event& event);
struct WelcomeLimits {
  std::int64_t heartbeat_interval_ms = 0;
  std::size_t max_text_bytes = 0;
};
std::string encode_welcome(const AuthContext& who, const WelcomeLimits& limits, LogOffset cursor);
std::string encode_synced(LogOffset cursor);
std::string encode_ack(const SendAck& ack);
std::string encode_error_frame(const Error& error, const std::optional<std::string>& ref = std::nullopt);
// A message frame as sent live and during resume.
std::string encode_message_frame(const Message& message);

}  // namespace parley::protocol
