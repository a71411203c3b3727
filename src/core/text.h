#pragma once
// Validation of user-supplied text.

#include <cstddef>
#include <string>
#include <string_view>

namespace parley {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);

// `s` made safe to show: every ill-formed byte replaced by U+FFFD, cut at a
// character boundary to at most `max_bytes`. For echoing client input.
std::string utf8_sanitize(std::string_view s, std::size_t max_bytes);

// The first `max_chars` code points of valid UTF-8 text.
std::string utf8_prefix(std::string_view s, std::size_t max_chars);

// Lower-cases ASCII letters; e-mail addresses compare case-insensitively.
std::string ascii_lower(std::string_view s);

}  // namespace parley
