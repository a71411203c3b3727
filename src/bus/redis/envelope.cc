#include "bus/redis/envelope.h"

namespace parley::bus {
namespace {

enum Kind : std::uint8_t {
  kMessage = 1,
  kFrame = 2,
  kNotice = 3,
  kCloseDevice = 4,
  kStale = 5,
  kMessageWithState = 6,  // a message that is an action, a reply or was acted upon
};

// Whether a message needs kind 6: anything beyond a plain text message.
bool has_state(const Message& m) {
  return m.kind != MessageKind::text || m.target_seq != 0 || m.reply_to != 0 || m.edited_at != 0 || m.deleted ||
         !m.reactions.empty();
}
enum TargetFlag : std::uint8_t { kOnly = 1, kExcept = 2 };

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) { be(v, 4); }
  void u64(std::uint64_t v) { be(v, 8); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void target(const DeviceTarget& t) {
    if (t.only) {
      u8(kOnly);
      str(*t.only);
    } else if (t.except) {
      u8(kExcept);
      str(*t.except);
    } else {
      u8(0);
    }
  }
  std::string take() { return std::move(out_); }

 private:
  void be(std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Every read checks what is left; the first failure makes the reader bad
// and every later read a no-op, so decode() checks once at the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(be(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(be(4)); }
  std::uint64_t u64() { return be(8); }
  std::string str() {
    const std::uint32_t size = u32();
    if (!ok_ || size > kMaxEnvelopeField || size > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(0, size));
    in_.remove_prefix(size);
    return s;
  }
  DeviceTarget target() {
    DeviceTarget t;
    switch (u8()) {
      case 0:
        break;
      case kOnly:
        t.only = str();
        break;
      case kExcept:
        t.except = str();
        break;
      default:
        ok_ = false;
    }
    return t;
  }
  void fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }

 private:
  std::uint64_t be(std::size_t bytes) {
    if (!ok_ || in_.size() < bytes) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(in_[i]);
    in_.remove_prefix(bytes);
    return v;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string encode(const Envelope& envelope) {
  Writer w;
  w.u8(kEnvelopeVersion);
  if (const auto* m = std::get_if<MessageEnvelope>(&envelope.body)) {
    const Message& msg = m->message;
    const bool state = has_state(msg);
    w.u8(state ? kMessageWithState : kMessage);
    w.u64(envelope.origin);
    w.u32(msg.shard);
    w.u64(msg.offset);
    w.u64(msg.seq);
    w.u64(static_cast<std::uint64_t>(msg.ts));
    w.str(msg.chat_id);
    w.str(msg.sender_id);
    w.str(msg.sender_device_id);
    w.str(msg.client_msg_id);
    w.str(msg.text);
    w.target(m->target);
    if (state) {
      w.u8(static_cast<std::uint8_t>(msg.kind));
      w.u64(msg.target_seq);
      w.u64(msg.reply_to);
      w.u64(static_cast<std::uint64_t>(msg.edited_at));
      w.u8(msg.deleted ? 1 : 0);
      w.u32(static_cast<std::uint32_t>(msg.reactions.size()));
      for (const Reaction& r : msg.reactions) {
        w.str(r.user_id);
        w.str(r.emoji);
      }
    }
  } else if (const auto* f = std::get_if<FrameEnvelope>(&envelope.body)) {
    w.u8(kFrame);
    w.u64(envelope.origin);
    w.str(f->text);
    w.target(f->target);
  } else if (const auto* c = std::get_if<CloseDeviceEnvelope>(&envelope.body)) {
    w.u8(kCloseDevice);
    w.u64(envelope.origin);
    w.str(c->device);
  } else if (const auto* st = std::get_if<StaleEnvelope>(&envelope.body)) {
    w.u8(kStale);
    w.u64(envelope.origin);
    w.u8(static_cast<std::uint8_t>(st->what));
    w.str(st->id);
  } else {
    const auto& n = std::get<NoticeEnvelope>(envelope.body);
    w.u8(kNotice);
    w.u64(envelope.origin);
    w.u32(n.shard);
    w.u64(n.first);
    w.u64(n.last);
  }
  return w.take();
}

std::optional<Envelope> decode(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kEnvelopeVersion) return std::nullopt;
  const std::uint8_t kind = r.u8();
  Envelope envelope;
  envelope.origin = r.u64();
  switch (kind) {
    case kMessage:
    case kMessageWithState: {
      MessageEnvelope m;
      m.message.shard = r.u32();
      m.message.offset = r.u64();
      m.message.seq = r.u64();
      m.message.ts = static_cast<TimeMs>(r.u64());
      m.message.chat_id = r.str();
      m.message.sender_id = r.str();
      m.message.sender_device_id = r.str();
      m.message.client_msg_id = r.str();
      m.message.text = r.str();
      m.target = r.target();
      if (kind == kMessageWithState) {
        const std::uint8_t message_kind = r.u8();
        if (message_kind > static_cast<std::uint8_t>(MessageKind::event)) r.fail();
        m.message.kind = static_cast<MessageKind>(message_kind);
        m.message.target_seq = r.u64();
        m.message.reply_to = r.u64();
        m.message.edited_at = static_cast<TimeMs>(r.u64());
        const std::uint8_t deleted = r.u8();
        if (deleted > 1) r.fail();
        m.message.deleted = deleted == 1;
        const std::uint32_t reactions = r.u32();
        // Each takes at least 8 bytes: a count past what is left is a lie.
        if (reactions > bytes.size() / 8) r.fail();
        for (std::uint32_t i = 0; i < reactions && r.ok(); ++i) {
          Reaction reaction;
          reaction.user_id = r.str();
          reaction.emoji = r.str();
          m.message.reactions.push_back(std::move(reaction));
        }
      }
      // Offset 0 and seq 0 mean "not committed": never a message on the wire.
      if (m.message.offset == 0 || m.message.seq == 0 || m.message.chat_id.empty()) r.fail();
      envelope.body = std::move(m);
      break;
    }
    case kFrame: {
      FrameEnvelope f;
      f.text = r.str();
      f.target = r.target();
      if (f.text.empty()) r.fail();
      envelope.body = std::move(f);
      break;
    }
    case kNotice: {
      NoticeEnvelope n;
      n.shard = r.u32();
      n.first = r.u64();
      n.last = r.u64();
      if (n.first == 0 || n.last < n.first) r.fail();
      envelope.body = n;
      break;
    }
    case kCloseDevice: {
      CloseDeviceEnvelope c;
      c.device = r.str();
      if (c.device.empty()) r.fail();
      envelope.body = std::move(c);
      break;
    }
    case kStale: {
      StaleEnvelope st;
      const std::uint8_t what = r.u8();
      st.id = r.str();
      if (what != static_cast<std::uint8_t>(StaleRecord::chat) &&
          what != static_cast<std::uint8_t>(StaleRecord::user)) {
        r.fail();
      }
      st.what = static_cast<StaleRecord>(what);
      if (st.id.empty()) r.fail();
      envelope.body = std::move(st);
      break;
    }
    default:
      return std::nullopt;
  }
  if (!r.done()) return std::nullopt;
  return envelope;
}

std::string user_channel(const UserId& user) {
  return "u:" + user;
}

std::string shard_channel(ShardId shard) {
  return "s:" + std::to_string(shard);
}

}  // namespace parley::bus
