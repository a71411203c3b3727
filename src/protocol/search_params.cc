#include "protocol/search_params.h"

#include <charconv>
#include <limits>

namespace parley::protocol {

namespace {

Error bad(const std::string& why) {
  return make_error(ErrorCode::invalid_request, why);
}

constexpr std::size_t kMaxIdBytes = 128;

bool is_id(std::string_view s) {
  return !s.empty() && s.size() <= kMaxIdBytes &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
             std::string_view::npos;
}

// Decimal digits only (no sign, no leading zero but "0"), fitting T.
template <typename T>
std::optional<T> number(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0') || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string encode_search_cursor(const SearchCursor& cursor) {
  return "t" + std::to_string(cursor.ts) + "s" + std::to_string(cursor.seq) + "c" + cursor.chat_id;
}

std::optional<SearchCursor> decode_search_cursor(std::string_view text) {
  if (text.size() < 6 || text[0] != 't') return std::nullopt;
  const auto s = text.find('s', 1);
  if (s == std::string_view::npos) return std::nullopt;
  const auto c = text.find('c', s + 1);
  if (c == std::string_view::npos) return std::nullopt;
  auto ts = number<TimeMs>(text.substr(1, s - 1));
  auto seq = number<Seq>(text.substr(s + 1, c - s - 1));
  const std::string_view chat = text.substr(c + 1);
  if (!ts || !seq || *seq == 0 || !is_id(chat)) return std::nullopt;
  return SearchCursor{*ts, std::string(chat), *seq};
}

Result<SearchRequest> parse_search_params(const QueryParams& query) {
  SearchRequest out;
  auto q = query.required("q");
  if (!q) return q.error();
  out.q = std::move(*q);
  auto chat = query.get("chat_id");
  if (!chat) return chat.error();
  if (*chat) {
    // Not an id any chat has: as history answers for an unknown chat.
    if (!is_id(**chat)) return make_error(ErrorCode::not_found, "no such chat");
    out.chat_id = std::move(**chat);
  }
  auto limit = query.get("limit");
  if (!limit) return limit.error();
  out.limit = MessageSearch::kDefaultLimit;
  if (*limit) {
    auto value = number<std::size_t>(**limit);
    if (!value || *value == 0 || *value > MessageSearch::kMaxLimit) {
      return bad("limit must be an integer from 1 to " + std::to_string(MessageSearch::kMaxLimit));
    }
    out.limit = *value;
  }
  auto before = query.get("before");
  if (!before) return before.error();
  if (*before) {
    out.before = decode_search_cursor(**before);
    if (!out.before) return bad("before must be the next cursor of a previous page");
  }
  return out;
}

}  // namespace parley::protocol
