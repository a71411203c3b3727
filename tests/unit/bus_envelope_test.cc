// The Redis event bus's wire format: every kind round-trips with binary
// fields, and nothing malformed decodes: truncations at every length,
// trailing bytes, unknown versions, kinds and flags, oversized lengths,
// impossible offsets, random bytes.

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "bus/redis/envelope.h"

namespace parley::bus {
namespace {

Message binary_message() {
  Message m;
  m.chat_id = std::string("chat\0\xff", 6);
  m.seq = 7;
  m.sender_id = "user \xc3\x28";  // invalid UTF-8: ids are bytes here
  m.sender_device_id = "dev";
  m.client_msg_id = "";
  m.text = std::string(70'000, 'x');
  m.ts = -5;
  m.offset = 0x1122334455667788ULL;
  m.shard = 3;
  return m;
}

TEST(BusEnvelope, EveryKindRoundTrips) {
  Envelope message{42, MessageEnvelope{binary_message(), {std::nullopt, DeviceId("d\0x", 3)}}};
  auto back = decode(encode(message));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->origin, 42u);
  const auto& m = std::get<MessageEnvelope>(back->body);
  const Message expected = binary_message();
  EXPECT_EQ(m.message.chat_id, expected.chat_id);
  EXPECT_EQ(m.message.seq, expected.seq);
  EXPECT_EQ(m.message.sender_id, expected.sender_id);
  EXPECT_EQ(m.message.sender_device_id, expected.sender_device_id);
  EXPECT_EQ(m.message.client_msg_id, expected.client_msg_id);
  EXPECT_EQ(m.message.text, expected.text);
  EXPECT_EQ(m.message.ts, expected.ts);
  EXPECT_EQ(m.message.offset, expected.offset);
  EXPECT_EQ(m.message.shard, expected.shard);
  EXPECT_FALSE(m.target.only);
  EXPECT_EQ(m.target.except, DeviceId("d\0x", 3));

  auto frame = decode(encode({~0ULL, FrameEnvelope{R"({"type":"typing"})", {DeviceId("only"), std::nullopt}}}));
  ASSERT_TRUE(frame);
  EXPECT_EQ(std::get<FrameEnvelope>(frame->body).text, R"({"type":"typing"})");
  EXPECT_EQ(std::get<FrameEnvelope>(frame->body).target.only, DeviceId("only"));

  auto close = decode(encode({3, CloseDeviceEnvelope{DeviceId("\0dev", 4)}}));
  ASSERT_TRUE(close);
  EXPECT_EQ(std::get<CloseDeviceEnvelope>(close->body).device, DeviceId("\0dev", 4));
  EXPECT_FALSE(decode(encode({3, CloseDeviceEnvelope{""}})));

  auto notice = decode(encode({1, NoticeEnvelope{9, 100, 164}}));
  ASSERT_TRUE(notice);
  const auto& n = std::get<NoticeEnvelope>(notice->body);
  EXPECT_EQ(n.shard, 9u);
  EXPECT_EQ(n.first, 100u);
  EXPECT_EQ(n.last, 164u);

  auto stale = decode(encode({4, StaleEnvelope{StaleRecord::user, UserId("u\0\xff", 3)}}));
  ASSERT_TRUE(stale);
  EXPECT_EQ(std::get<StaleEnvelope>(stale->body).what, StaleRecord::user);
  EXPECT_EQ(std::get<StaleEnvelope>(stale->body).id, UserId("u\0\xff", 3));
  EXPECT_FALSE(decode(encode({4, StaleEnvelope{StaleRecord::chat, ""}})));
}

TEST(BusEnvelope, EveryTruncationAndAnyTrailingByteIsRejected) {
  for (const Envelope& e : {Envelope{1, MessageEnvelope{binary_message(), {}}},
                            Envelope{2, FrameEnvelope{"{}", {std::nullopt, DeviceId("d")}}},
                            Envelope{3, NoticeEnvelope{0, 1, 1}}, Envelope{4, StaleEnvelope{StaleRecord::chat, "c"}}}) {
    const std::string bytes = encode(e);
    ASSERT_TRUE(decode(bytes));
    for (std::size_t size = 0; size < bytes.size(); size += (size < 200 ? 1 : 997)) {
      EXPECT_FALSE(decode(std::string_view(bytes).substr(0, size))) << size;
    }
    EXPECT_FALSE(decode(bytes + '\0'));
  }
}

TEST(BusEnvelope, UnknownVersionsKindsAndFlagsAreRejected) {
  std::string bytes = encode({1, NoticeEnvelope{0, 1, 2}});
  std::string other_version = bytes;
  other_version[0] = 2;
  EXPECT_FALSE(decode(other_version));
  std::string other_kind = bytes;
  other_kind[1] = 9;
  EXPECT_FALSE(decode(other_kind));
  std::string frame = encode({1, FrameEnvelope{"{}", {}}});
  frame.back() = 3;  // both "only" and "except"
  EXPECT_FALSE(decode(frame));
  std::string stale = encode({1, StaleEnvelope{StaleRecord::chat, "c"}});
  stale[10] = 3;  // neither a chat nor a user
  EXPECT_FALSE(decode(stale));
}

TEST(BusEnvelope, ImpossibleValuesAreRejected) {
  EXPECT_FALSE(decode(encode({1, NoticeEnvelope{0, 0, 5}})));  // offsets start at 1
  EXPECT_FALSE(decode(encode({1, NoticeEnvelope{0, 5, 4}})));
  Message uncommitted = binary_message();
  uncommitted.offset = 0;
  EXPECT_FALSE(decode(encode({1, MessageEnvelope{uncommitted, {}}})));
  Message no_chat = binary_message();
  no_chat.chat_id.clear();
  EXPECT_FALSE(decode(encode({1, MessageEnvelope{no_chat, {}}})));
  EXPECT_FALSE(decode(encode({1, FrameEnvelope{"", {}}})));
}

TEST(BusEnvelope, LengthsPastTheDataOrTheBoundAreRejected) {
  std::string frame = encode({1, FrameEnvelope{"{}", {}}});
  // version, kind, origin (8), then the text's u32 length
  for (const std::string& length : {std::string("\xff\xff\xff\xff"), std::string("\x00\x10\x00\x01", 4)}) {
    std::string hostile = frame;
    hostile.replace(10, 4, length);
    EXPECT_FALSE(decode(hostile));
  }
  std::string huge = encode({1, FrameEnvelope{std::string(kMaxEnvelopeField + 1, 'x'), {}}});
  EXPECT_FALSE(decode(huge));
}

TEST(BusEnvelope, RandomBytesNeverDecodeNorCrash) {
  std::mt19937 random(7);
  const std::string valid = encode({5, MessageEnvelope{binary_message(), {}}});
  int decoded = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      bytes.resize(random() % 64);
      for (auto& c : bytes) c = static_cast<char>(random());
    } else {
      bytes = valid.substr(0, 200);  // a valid head with one byte flipped
      bytes[random() % bytes.size()] ^= static_cast<char>(1 + random() % 255);
    }
    if (decode(bytes)) ++decoded;
  }
  EXPECT_EQ(decoded, 0);
}

TEST(BusEnvelope, ChannelNamesKeepTheUserIdBytes) {
  EXPECT_EQ(user_channel(std::string("a\0b", 3)), std::string("u:a\0b", 5));
  EXPECT_EQ(shard_channel(12), "s:12");
}

}  // namespace
}  // namespace parley::bus
