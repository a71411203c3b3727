#include "core/search_terms.h"

#include <algorithm>
#include <set>

#include "core/text.h"

namespace parley {

namespace {

constexpr char32_t kNotACharacter = 0xFFFFFFFF;

// Decodes the code point at `i` and moves `i` past it; kNotACharacter (and
// one byte) for an ill-formed sequence.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    length = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return kNotACharacter;
  }
  if (i + length > s.size()) {
    ++i;
    return kNotACharacter;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return kNotACharacter;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return kNotACharacter;
  }
  i += length;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Spaces, punctuation and symbols that separate words: ASCII but letters
// and digits, and the Unicode blocks that hold punctuation and spaces.
bool is_separator(char32_t cp) {
  if (cp == kNotACharacter) return true;
  if (cp < 0x80) {
    const bool alnum = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    return !alnum;
  }
  return cp <= 0xBF                         // C1 controls, no-break space, Latin-1 punctuation («, », ¿)
         || cp == 0xD7 || cp == 0xF7        // × ÷
         || (cp >= 0x2000 && cp <= 0x206F)  // general punctuation, spaces, zero-width joiners
         || (cp >= 0x2E00 && cp <= 0x2E7F)  // supplemental punctuation
         || (cp >= 0x3000 && cp <= 0x303F)  // CJK spaces and punctuation
         || (cp >= 0xFE30 && cp <= 0xFE4F)  // CJK compatibility forms
         || (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
         (cp >= 0xFF5B && cp <= 0xFF65)  // fullwidth punctuation
         || cp == 0xFEFF;                // byte order mark
}

// Lower case for the capitals of ASCII, Latin-1, Greek and Cyrillic.
char32_t fold(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 0x20;
  if (cp < 0xC0) return cp;
  if (cp <= 0xDE && cp != 0xD7) return cp + 0x20;                   // À..Þ
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;  // Α..Ω
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;                 // А..Я
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;                 // Ѐ..Џ
  return cp;
}

// Calls `word(folded)` for every word of `text`, in order.
template <typename F>
void for_each_word(std::string_view text, F&& word) {
  std::string current;
  std::size_t i = 0;
  const auto flush = [&] {
    if (!current.empty()) word(std::move(current));
    current.clear();
  };
  while (i < text.size()) {
    const char32_t cp = next_code_point(text, i);
    if (is_separator(cp)) {
      flush();
      continue;
    }
    std::string encoded;
    append_utf8(encoded, fold(cp));
    // Cut at a character boundary: the rest of a long word is not indexed.
    if (current.size() + encoded.size() <= kMaxWordBytes) current += encoded;
  }
  flush();
}

}  // namespace

std::vector<std::string> search_words(std::string_view text) {
  std::vector<std::string> out;
  for_each_word(text, [&](std::string word) { out.push_back(std::move(word)); });
  return out;
}

std::vector<std::string> index_terms(const Message& message) {
  if (message.kind != MessageKind::text || message.deleted) return {};
  std::set<std::string> terms;
  for_each_word(message.text, [&](std::string word) {
    for (std::size_t chars = 1; chars <= kIndexedPrefixChars; ++chars) {
      std::string prefix = utf8_prefix(word, chars);
      const bool whole = prefix.size() == word.size();
      terms.insert("p" + std::move(prefix));
      if (whole) break;
    }
    terms.insert("w" + std::move(word));
  });
  return {terms.begin(), terms.end()};
}

Result<SearchQuery> parse_search_query(std::string_view q) {
  const auto bad = [](const std::string& why) { return make_error(ErrorCode::invalid_request, why); };
  if (q.size() > kMaxQueryBytes) return bad("q must be at most " + std::to_string(kMaxQueryBytes) + " bytes");
  if (!is_valid_utf8(q)) return bad("q is not valid UTF-8");
  std::vector<std::string> words = search_words(q);
  if (words.empty()) return bad("q must hold at least one word (letters or digits)");
  SearchQuery query;
  // The last word is the prefix; a whole word repeated earlier adds nothing.
  std::string last = std::move(words.back());
  words.pop_back();
  for (std::string& word : words) {
    if (word != last && std::find(query.words.begin(), query.words.end(), word) == query.words.end()) {
      query.words.push_back(std::move(word));
    }
  }
  query.words.push_back(last);
  if (query.words.size() > kMaxQueryWords) {
    return bad("q must have at most " + std::to_string(kMaxQueryWords) + " words");
  }
  for (std::size_t i = 0; i + 1 < query.words.size(); ++i) query.terms.push_back("w" + query.words[i]);
  std::string prefix = utf8_prefix(last, kIndexedPrefixChars);
  query.exact = prefix.size() == last.size();
  query.terms.push_back("p" + std::move(prefix));
  return query;
}

bool search_matches(const SearchQuery& query, std::string_view text) {
  if (query.words.empty()) return false;
  const std::vector<std::string> words = search_words(text);
  const std::string& prefix = query.words.back();
  for (std::size_t i = 0; i + 1 < query.words.size(); ++i) {
    if (std::find(words.begin(), words.end(), query.words[i]) == words.end()) return false;
  }
  return std::any_of(words.begin(), words.end(), [&](const std::string& w) { return w.starts_with(prefix); });
}

}  // namespace parley
