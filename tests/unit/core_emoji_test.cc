// What a reaction may be: exactly one emoji (core/emoji.h), including the
// sequences emoji keyboards produce, and nothing else.
#include "core/emoji.h"

#include <gtest/gtest.h>

#include <string>

namespace parley {
namespace {

TEST(SingleEmoji, AcceptsWhatEmojiKeyboardsProduce) {
  for (const char* emoji : {
           "👍",
           "❤",
           "❤️",
           "😂",
           "👍🏽",  // with presentation selector, skin tone
           "🇫🇷",
           "🇺🇦",  // flags
           "1️⃣",
           "#⃣",
           "*️⃣",  // keycaps
           "👨‍👩‍👧‍👦",
           "🏳️‍🌈",
           "👩🏽‍💻",
           "🧑‍🤝‍🧑",                                                      // ZWJ sequences
           "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",  // a subdivision flag (tags)
           "©",
           "™",
           "☕",
           "⭐",
       }) {
    EXPECT_TRUE(is_single_emoji(emoji)) << emoji;
  }
}

TEST(SingleEmoji, RefusesTextSeveralEmojiAndHostileBytes) {
  for (const std::string& s : {
           std::string(),
           std::string("a"),
           std::string("ok"),
           std::string("1"),
           std::string(" "),
           std::string("👍👍"),
           std::string("👍 "),
           std::string(" 👍"),
           std::string("👍\n"),
           std::string("\x01"),
           std::string("\x7f"),
           std::string("\u200d"),
           std::string("👍\u200d"),
           std::string("\u200d👍"),
           std::string("\xef\xb8\x8f"),
           std::string("🏽"),
           std::string("🇫"),
           std::string("🇫🇷🇩🇪"),
           std::string("🇫🇷🇩"),
           std::string("1️⃣2"),
           std::string("#"),
           std::string("\xf0\x9f\x91"),                    // cut in the middle
           std::string("\xc0\xaf"),                        // overlong
           std::string("\xed\xa0\x80"),                    // a surrogate
           std::string("\xf4\x90\x80\x80"),                // past U+10FFFF
           std::string("👍\0", 5),                          // a NUL after it
           std::string("\U0001F3F4\U000E0067\U000E0062"),  // tags without CANCEL TAG
           std::string("\u0301"),                          // a combining mark alone
       }) {
    EXPECT_FALSE(is_single_emoji(s)) << s;
  }
  std::string long_zwj = "👨";
  while (long_zwj.size() <= kMaxEmojiBytes) long_zwj += "\u200d👨";
  EXPECT_FALSE(is_single_emoji(long_zwj)) << "longer than any emoji";
}

}  // namespace
}  // namespace parley
