#include "core/emoji.h"

#include <optional>
#include <vector>

#include "core/text.h"

namespace parley {
namespace {

// Decodes valid UTF-8 (checked before) into code points.
std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

// Unicode's Extended_Pictographic property, in the ranges emoji keyboards use.
bool is_pictographic(char32_t c) {
  static constexpr char32_t kRanges[][2] = {
      {0x00A9, 0x00A9},   {0x00AE, 0x00AE}, {0x203C, 0x203C}, {0x2049, 0x2049}, {0x2122, 0x2122},   {0x2139, 0x2139},
      {0x2194, 0x2199},   {0x21A9, 0x21AA}, {0x231A, 0x231B}, {0x2328, 0x2328}, {0x23CF, 0x23CF},   {0x23E9, 0x23F3},
      {0x23F8, 0x23FA},   {0x24C2, 0x24C2}, {0x25AA, 0x25AB}, {0x25B6, 0x25B6}, {0x25C0, 0x25C0},   {0x25FB, 0x25FE},
      {0x2600, 0x27BF},   {0x2934, 0x2935}, {0x2B05, 0x2B07}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50},   {0x2B55, 0x2B55},
      {0x3030, 0x3030},   {0x303D, 0x303D}, {0x3297, 0x3297}, {0x3299, 0x3299}, {0x1F000, 0x1F1E5}, {0x1F200, 0x1F3FA},
      {0x1F400, 0x1FAFF},
  };
  for (const auto& r : kRanges) {
    if (c >= r[0] && c <= r[1]) return true;
  }
  return false;
}

constexpr char32_t kZwj = 0x200D;
constexpr char32_t kKeycap = 0x20E3;
bool is_selector(char32_t c) {
  return c == 0xFE0F || c == 0xFE0E;
}
bool is_skin_tone(char32_t c) {
  return c >= 0x1F3FB && c <= 0x1F3FF;
}
bool is_regional(char32_t c) {
  return c >= 0x1F1E6 && c <= 0x1F1FF;
}
bool is_tag(char32_t c) {
  return c >= 0xE0020 && c <= 0xE007E;
}

// One element of a ZWJ sequence from `i`: where it ends, or nullopt.
std::optional<std::size_t> element_end(const std::vector<char32_t>& cps, std::size_t i) {
  if (i >= cps.size() || !is_pictographic(cps[i])) return std::nullopt;
  ++i;
  if (i < cps.size() && is_selector(cps[i])) ++i;
  if (i < cps.size() && is_skin_tone(cps[i])) ++i;
  if (i < cps.size() && is_tag(cps[i])) {  // a subdivision flag: tags, then CANCEL TAG
    while (i < cps.size() && is_tag(cps[i])) ++i;
    if (i >= cps.size() || cps[i] != 0xE007F) return std::nullopt;
    ++i;
  }
  return i;
}

}  // namespace

bool is_single_emoji(std::string_view s) {
  if (s.empty() || s.size() > kMaxEmojiBytes || !is_valid_utf8(s)) return false;
  const std::vector<char32_t> cps = code_points(s);
  if (cps.size() == 2 && is_regional(cps[0]) && is_regional(cps[1])) return true;
  const char32_t first = cps[0];
  if ((first >= '0' && first <= '9') || first == '#' || first == '*') {
    return (cps.size() == 2 && cps[1] == kKeycap) || (cps.size() == 3 && cps[1] == 0xFE0F && cps[2] == kKeycap);
  }
  std::size_t i = 0;
  for (;;) {
    auto end = element_end(cps, i);
    if (!end) return false;
    if (*end == cps.size()) return true;
    if (cps[*end] != kZwj) return false;
    i = *end + 1;
  }
}

}  // namespace parley
