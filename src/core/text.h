#pragma once
// Validation of user-supplied text.

#include <cstddef>
#include <string>
#include <string_view>

namespace parley {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);

// The first `max_chars` code points of valid UTF-8 text.
std::string utf8_prefix(std::string_view s, std::size_t max_chars);

// Lower-cases ASCII letters; e-mail addresses compare case-insensitively.
std::string ascii_lower(std::string_view s);

}  // namespace parley
