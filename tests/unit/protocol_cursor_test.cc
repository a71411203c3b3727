// Resume cursors: what the server issues decodes to the same position, and
// anything a client could make up instead is refused, never misread.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "protocol/frames.h"

namespace parley::protocol {
namespace {

TEST(Cursor, SingleShardKeepsItsFormerSpelling) {
  EXPECT_EQ(encode_cursor(LogPosition({1041})), "o1041");
  EXPECT_EQ(encode_cursor(LogPosition()), "o0");
  auto decoded = decode_cursor("o1041");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->at(0), 1041u);
  EXPECT_EQ(decoded->at(1), 0u);
}

TEST(Cursor, ShardsRoundTripAndTrailingZerosAreDropped) {
  LogPosition position({17, 0, 4});
  EXPECT_EQ(encode_cursor(position), "o17.0.4");
  EXPECT_EQ(decode_cursor("o17.0.4"), position);
  EXPECT_EQ(encode_cursor(LogPosition({5, 0, 0})), "o5");
  const LogOffset max = ~LogOffset{0};
  LogPosition big({max, max});
  EXPECT_EQ(decode_cursor(encode_cursor(big)), big);
}

TEST(Cursor, HostileSpellingsAreRefused) {
  const std::string too_many_shards = [] {
    std::string s = "o1";
    for (std::size_t i = 1; i < kMaxCursorShards + 1; ++i) s += ".1";
    return s;
  }();
  for (const std::string& bad : std::vector<std::string>{"",
                                                         "o",
                                                         "x1",
                                                         "O1",
                                                         "o-1",
                                                         "o+1",
                                                         "o 1",
                                                         "o1 ",
                                                         "o1.",
                                                         "o.1",
                                                         "o1..2",
                                                         "o1.-2",
                                                         "o1,2",
                                                         "o0x10",
                                                         "o1e3",
                                                         "o18446744073709551616",
                                                         "o1.18446744073709551616",
                                                         std::string("o1\0", 3),
                                                         "o\xff",
                                                         "o1.2.3\xe2\x80\x8b",
                                                         too_many_shards,
                                                         "o" + std::string(kMaxCursorBytes, '1')}) {
    EXPECT_FALSE(decode_cursor(bad).has_value()) << bad;
  }
  std::string max_shards = "o1";
  for (std::size_t i = 1; i < kMaxCursorShards; ++i) max_shards += ".1";
  EXPECT_TRUE(decode_cursor(max_shards).has_value());
}

TEST(Cursor, LiveMessageFrameIsItsStartAndTheConnectionsEnd) {
  Message m{"chat-1", 7, "ann", "dev-1", "cm-1", "hi \"there\"", 1234, 42, 1};
  LogPosition position({10, 42});
  const std::string whole = encode_message_frame(m, position);
  EXPECT_EQ(whole, encode_message_frame_start(m) + encode_message_frame_end(position));
  auto parsed = boost::json::parse(whole).as_object();
  EXPECT_EQ(parsed.at("type").as_string(), "message");
  EXPECT_EQ(parsed.at("cursor").as_string(), "o10.42");
  EXPECT_EQ(parsed.at("text").as_string(), "hi \"there\"");
  EXPECT_EQ(parsed.at("seq").as_int64(), 7);
}

TEST(Cursor, HelloWithABadCursorIsAnError) {
  auto parsed = parse_client_frame(R"({"type":"hello","token":"t","cursor":"o1..2"})");
  ASSERT_TRUE(parsed.error.has_value());
  EXPECT_EQ(parsed.error->error.code, ErrorCode::invalid_request);
  auto good = parse_client_frame(R"({"type":"hello","token":"t","cursor":"o3.4"})");
  ASSERT_TRUE(good.frame.has_value());
  const auto& hello = std::get<HelloFrame>(*good.frame);
  ASSERT_TRUE(hello.cursor.has_value());
  EXPECT_EQ(*hello.cursor, LogPosition({3, 4}));
}

}  // namespace
}  // namespace parley::protocol
