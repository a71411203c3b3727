#pragma once
// What a reaction may be: exactly one emoji, as users pick them from an
// emoji keyboard. Not full Unicode grapheme segmentation: a pictographic
// code point with its presentation selector, skin tone and tag sequence,
// such elements joined by ZERO WIDTH JOINER (families, professions), a flag
// (two regional indicators) or a keycap (0-9 # * with U+20E3). Anything else
// (text, whitespace, control characters, several emoji, invalid UTF-8) is not.

#include <cstddef>
#include <string_view>

namespace parley {

// Longer than any emoji sequence in use (the longest, a family of four with
// skin tones, takes 41 bytes).
inline constexpr std::size_t kMaxEmojiBytes = 64;

bool is_single_emoji(std::string_view s);

}  // namespace parley
