#pragma once
// GET /v1/search: its query parameters and its opaque page cursor.

#include <optional>
#include <string>

#include "core/message_search.h"
#include "protocol/bodies.h"

namespace parley::protocol {

// q (required; judged by the core), chat_id, limit (1 to
// MessageSearch::kMaxLimit, default kDefaultLimit) and before (a `next`
// cursor). invalid_request names the parameter.
Result<SearchRequest> parse_search_params(const QueryParams& query);

// The `next` of a page: "t<ts>s<seq>c<chat_id>". Opaque to clients.
std::string encode_search_cursor(const SearchCursor& cursor);
// nullopt for anything encode_search_cursor cannot have written.
std::optional<SearchCursor> decode_search_cursor(std::string_view text);

}  // namespace parley::protocol
