#pragma once
// The wire format of events between cluster nodes (payloads of Redis
// PUBLISH). Binary, versioned, every field length-prefixed; nothing read
// from Redis is trusted: decode() checks every length against what is left
// and rejects unknown versions, kinds, flags and trailing bytes.
//
//   envelope := version:u8 (=1) kind:u8 origin:u64 body
//   kind 1 message := shard:u32 offset:u64 seq:u64 ts:i64 chat:str sender:str
//                     sender_device:str client_msg_id:str text:str target
//   kind 2 frame   := text:str target          (a non-message event, encoded JSON)
//   kind 3 notice  := shard:u32 first:u64 last:u64
//   kind 4 close   := device:str               (the device logged out: end its connections)
//   kind 5 stale   := what:u8 (1 chat, 2 user) id:str   (a record changed: drop cached copies)
//   kind 6 message with state := kind 1's fields, then message_kind:u8
//                     target_seq:u64 reply_to:u64 edited_at:u64 deleted:u8
//                     reactions:u32 (user:str emoji:str)*   (an action, a reply,
//                     or a message acted upon; plain text messages stay kind 1)
//   target := flags:u8 (bit 0: only `device`, bit 1: all but `device`) [device:str]
//   str := length:u32 bytes
// Integers are big-endian. `origin` is the publishing bus's random instance id,
// so a node recognises its own publishes coming back.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/model.h"

namespace parley::bus {

inline constexpr std::uint8_t kEnvelopeVersion = 1;
// Texts and ids inside an envelope are bounded by this many bytes each.
inline constexpr std::size_t kMaxEnvelopeField = std::size_t{1} << 20;

// Which devices of the channel's user an event is for.
struct DeviceTarget {
  std::optional<DeviceId> only;    // deliver_to_device
  std::optional<DeviceId> except;  // deliver(..., except)
};

struct MessageEnvelope {
  Message message;  // shard and offset set
  DeviceTarget target;
};
struct FrameEnvelope {
  std::string text;  // the event's frame, as protocol::encode_event made it
  DeviceTarget target;
};
struct NoticeEnvelope {
  ShardId shard = 0;
  LogOffset first = 0;
  LogOffset last = 0;
};

struct CloseDeviceEnvelope {
  DeviceId device;
};

// A record another node changed; every node drops or reloads its cached copy.
enum class StaleRecord : std::uint8_t { chat = 1, user = 2 };
struct StaleEnvelope {
  StaleRecord what = StaleRecord::chat;
  std::string id;
};

struct Envelope {
  std::uint64_t origin = 0;
  std::variant<MessageEnvelope, FrameEnvelope, NoticeEnvelope, CloseDeviceEnvelope, StaleEnvelope> body;
};

std::string encode(const Envelope& envelope);
// nullopt for anything that is not a well-formed envelope of this version.
std::optional<Envelope> decode(std::string_view bytes);

// Channel names: "u:" + user id bytes, "s:" + decimal shard, and the one
// channel of cache invalidations every node subscribes to.
std::string user_channel(const UserId& user);
std::string shard_channel(ShardId shard);
inline constexpr const char* kStaleChannel = "stale";

}  // namespace parley::bus
