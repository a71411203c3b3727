// Error frames and bodies quote client input only as bounded, valid UTF-8.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <random>

#include "core/text.h"
#include "protocol/errors.h"
#include "protocol/frames.h"
#include "protocol/views.h"

namespace parley::protocol {
namespace {

TEST(Utf8Sanitize, KeepsValidTextAndReplacesEveryIllFormedByte) {
  EXPECT_EQ(utf8_sanitize("plain", 100), "plain");
  EXPECT_EQ(utf8_sanitize("caf\xC3\xA9", 100), "caf\xC3\xA9");
  EXPECT_EQ(utf8_sanitize("a\xFF"
                          "b",
                          100),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(utf8_sanitize("\xC3\x28", 100), "\xEF\xBF\xBD(");                             // broken pair
  EXPECT_EQ(utf8_sanitize("\xED\xA0\x80", 100), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(utf8_sanitize("\xC0\xAF", 100), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong "/"
}

TEST(Utf8Sanitize, CutsBetweenCharactersWithinTheLimit) {
  std::string euros;
  for (int i = 0; i < 10; ++i) euros += "\xE2\x82\xAC";
  for (std::size_t limit = 0; limit <= euros.size(); ++limit) {
    auto out = utf8_sanitize(euros, limit);
    EXPECT_LE(out.size(), limit);
    EXPECT_EQ(out.size(), limit / 3 * 3);
    EXPECT_TRUE(is_valid_utf8(out));
  }
}

bool frame_is_valid(const std::string& frame) {
  boost::system::error_code ec;
  boost::json::parse(frame, ec);  // strict: rejects invalid UTF-8
  return !ec && is_valid_utf8(frame);
}

// Frames of random bytes and random types (many cut mid-character): every
// error frame the server would answer is valid JSON and valid UTF-8.
TEST(ErrorFrames, AreValidUtf8ForAnyClientInput) {
  std::mt19937 rng(20261201);
  const std::string pieces[] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x92\xAC", "\"", "\\\\", "x"};
  std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
  std::uniform_int_distribution<int> length(1, 90);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 20000; ++i) {
    std::string type;
    for (int n = length(rng); n > 0; --n) type += pieces[pick(rng)];
    std::string frame = "{\"type\":\"" + type + "\"}";
    if (i % 2) frame[static_cast<std::size_t>(byte(rng)) % frame.size()] = static_cast<char>(byte(rng));
    auto parsed = parse_client_frame(frame);
    if (!parsed.error) continue;
    auto out = encode_error_frame(parsed.error->error, parsed.error->ref);
    ASSERT_TRUE(frame_is_valid(out)) << "input " << frame;
  }
}

TEST(ErrorFrames, BoundTheMessageAndDropRefsNoSendCouldCarry) {
  auto long_message = make_error(ErrorCode::forbidden, "no: " + std::string(5000, 'z') + "\xFF");
  auto frame = encode_error_frame(long_message, std::string(200, 'r'));
  ASSERT_TRUE(frame_is_valid(frame));
  auto o = boost::json::parse(frame).as_object();
  EXPECT_LE(o.at("message").as_string().size(), kMaxErrorMessageBytes);
  EXPECT_FALSE(o.contains("ref"));
  EXPECT_FALSE(
      boost::json::parse(encode_error_frame(long_message, std::string("bad\xFF"))).as_object().contains("ref"));
  auto kept = boost::json::parse(encode_error_frame(long_message, std::string("m-1"))).as_object();
  EXPECT_EQ(kept.at("ref").as_string(), "m-1");
  auto body = encode_error_body(make_error(ErrorCode::not_found, "no such user: \xC3"));
  EXPECT_TRUE(frame_is_valid(body)) << body;
}

}  // namespace
}  // namespace parley::protocol
