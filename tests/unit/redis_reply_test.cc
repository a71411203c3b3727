// RedisReplyParser and format_command: RESP2 bytes to typed replies and back,
// binary-safe, bounded, and never a crash on bytes that are not RESP.

#include <gtest/gtest.h>

#include <string>

#include "redis/redis_reply.h"

namespace parley::redis {
namespace {

using Type = RedisReply::Type;
constexpr std::size_t kMax = std::size_t{1} << 20;

// Feeds `bytes` and returns every complete reply; fails the test on an error.
std::vector<RedisReply> parse_all(RedisReplyParser& parser, std::string_view bytes) {
  EXPECT_TRUE(parser.feed(bytes).ok());
  std::vector<RedisReply> out;
  for (;;) {
    auto next = parser.next();
    EXPECT_TRUE(next.ok()) << next.error().message;
    if (!next.ok() || !next->has_value()) return out;
    out.push_back(std::move(**next));
  }
}

// The parser's verdict on a whole stream: the error message, or "" if none.
std::string error_of(std::string_view bytes, std::size_t max = kMax) {
  RedisReplyParser parser(max);
  if (auto fed = parser.feed(bytes); !fed) return fed.error().message;
  for (;;) {
    auto next = parser.next();
    if (!next) return next.error().message;
    if (!next->has_value()) return "";
  }
}

TEST(RedisReplyParser, ParsesEveryRespTwoType) {
  RedisReplyParser parser(kMax);
  const auto replies = parse_all(parser, "+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n$0\r\n\r\n");
  ASSERT_EQ(replies.size(), 8u);
  EXPECT_TRUE(replies[0].is_ok());
  EXPECT_EQ(replies[1], RedisReply::of_error("ERR wrong"));
  EXPECT_EQ(replies[2], RedisReply::of_integer(42));
  EXPECT_EQ(replies[3], RedisReply::of_integer(-7));
  EXPECT_EQ(replies[4], RedisReply::of_string("hello"));
  EXPECT_TRUE(replies[5].is_nil());
  EXPECT_TRUE(replies[6].is_nil());
  EXPECT_EQ(replies[7], RedisReply::of_string(""));
}

TEST(RedisReplyParser, ParsesNestedArrays) {
  RedisReplyParser parser(kMax);
  const auto replies = parse_all(parser, "*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n*0\r\n");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], RedisReply::of_array({RedisReply::of_integer(1),
                                              RedisReply::of_array({RedisReply::of_string("a"), RedisReply::nil()}),
                                              RedisReply::of_array({})}));
}

TEST(RedisReplyParser, AssemblesARepliesFedOneByteAtATime) {
  const std::string stream = "*2\r\n$3\r\nfoo\r\n:12345\r\n+PONG\r\n";
  RedisReplyParser parser(kMax);
  std::vector<RedisReply> replies;
  for (const char c : stream) {
    auto part = parse_all(parser, std::string_view(&c, 1));
    for (auto& r : part) replies.push_back(std::move(r));
  }
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0], RedisReply::of_array({RedisReply::of_string("foo"), RedisReply::of_integer(12345)}));
  EXPECT_EQ(replies[1], RedisReply::of_status("PONG"));
}

TEST(RedisReplyParser, BulkStringsKeepNulAndInvalidUtf8Bytes) {
  const std::string payload("a\0b\xff\xfe\r\n\x80", 8);
  RedisReplyParser parser(kMax);
  const auto replies = parse_all(parser, "$8\r\n" + payload + "\r\n");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].str, payload);
}

TEST(RedisReplyParser, RejectsBytesThatAreNotResp) {
  EXPECT_NE(error_of("!garbage\r\n"), "");
  EXPECT_NE(error_of("HTTP/1.1 200 OK\r\n\r\n"), "");
  EXPECT_NE(error_of(":12x\r\n"), "");
  EXPECT_NE(error_of("$abc\r\n"), "");
  EXPECT_NE(error_of("$-5\r\n"), "");
  EXPECT_NE(error_of("*-5\r\n"), "");
  // hiredis allows 7 levels of nesting; deeper is an error, not a stack overflow.
  std::string deep;
  for (int i = 0; i < 9; ++i) deep += "*1\r\n";
  EXPECT_NE(error_of(deep + ":1\r\n"), "");
}

TEST(RedisReplyParser, StaysFailedAfterAnError) {
  RedisReplyParser parser(kMax);
  ASSERT_TRUE(parser.feed("?\r\n").ok());
  EXPECT_FALSE(parser.next().ok());
  EXPECT_FALSE(parser.feed("+OK\r\n").ok());
  EXPECT_FALSE(parser.next().ok());
}

TEST(RedisReplyParser, RejectsRepliesPastTheLimitBeforeBufferingThem) {
  // A claimed bulk length past the limit fails once that many bytes wait.
  RedisReplyParser bulk(1024);
  ASSERT_TRUE(bulk.feed("$1000000\r\n").ok());
  ASSERT_TRUE(bulk.next().ok());
  ASSERT_TRUE(bulk.feed(std::string(2000, 'x')).ok());
  EXPECT_FALSE(bulk.next().ok());
  // A claimed element count past the limit fails before anything is allocated.
  EXPECT_NE(error_of("*2000000000\r\n", 1024), "");
  EXPECT_NE(error_of("*100\r\n", 1024), "");
  // Many small elements add up.
  std::string many = "*50\r\n";
  for (int i = 0; i < 50; ++i) many += "$30\r\n" + std::string(30, 'y') + "\r\n";
  EXPECT_NE(error_of(many, 4096), "");
  EXPECT_EQ(error_of(many, 64 * 1024), "");
}

TEST(RedisReplyParser, BudgetIsPerReply) {
  // Each reply fits; together they exceed the limit many times over.
  RedisReplyParser parser(1024);
  std::string stream;
  for (int i = 0; i < 200; ++i) stream += "$100\r\n" + std::string(100, 'z') + "\r\n";
  EXPECT_EQ(parse_all(parser, stream).size(), 200u);
}

TEST(FormatCommand, SendsEveryArgumentAsABulkString) {
  const std::string binary("k\0\xff", 3);
  EXPECT_EQ(format_command({"SET", binary, ""}), std::string("*3\r\n$3\r\nSET\r\n$3\r\nk\0\xff\r\n$0\r\n\r\n", 28));
}

TEST(RedisReplyToString, EscapesBytes) {
  EXPECT_EQ(to_string(RedisReply::of_array({RedisReply::of_string(std::string("a\0", 2)), RedisReply::nil(),
                                            RedisReply::of_integer(3), RedisReply::of_error("ERR x")})),
            "[\"a\\x00\", (nil), (integer) 3, (error) ERR x]");
}

}  // namespace
}  // namespace parley::redis
