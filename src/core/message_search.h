#pragma once
// MessageSearch: a user's search of their chats' text messages, in one chat
// or across all of them, newest first, in pages.
//
// How it is fast: every store keeps an inverted index beside the log
// (MessageLog::search_postings), per chat and term, ordered by (ts, seq).
// A query's terms (core/search_terms.h) are intersected per chat by
// leapfrogging: each term's postings are read newest first in pages, and a
// term that is behind seeks down to the others' position, so the work
// follows the rarest term rather than the chat's size. Each candidate is
// read once (it is the result) and checked: a text message, not deleted,
// after the caller joined, visible to them (visible_to: not withheld from
// them by a block), the text still matching. Across chats, each
// chat's matches are merged by (ts, chat, seq), so a page reads about
// `limit` matches plus one per chat of the caller.
//
// Thread-safe; blocking (store reads): call off the I/O threads.

#include <optional>
#include <string>
#include <vector>

#include "core/chat_directory.h"
#include "core/ports.h"
#include "core/search_terms.h"

namespace parley {

// Where a page of results ends: results are ordered by (ts, chat_id, seq),
// newest first, and the next page starts below this one.
struct SearchCursor {
  TimeMs ts = 0;
  ChatId chat_id;
  Seq seq = 0;
  bool operator==(const SearchCursor&) const = default;
};

struct SearchRequest {
  std::string q;
  std::optional<ChatId> chat_id;  // none: every chat of the caller
  std::size_t limit = 20;
  std::optional<SearchCursor> before;  // the `next` of the previous page
};

struct SearchPage {
  std::vector<Message> results;
  std::optional<SearchCursor> next;  // none: this is the last page
};

class MessageSearch {
 public:
  static constexpr std::size_t kDefaultLimit = 20;
  static constexpr std::size_t kMaxLimit = 100;

  MessageSearch(ChatDirectory& chats, MessageLog& log) : chats_(chats), log_(log) {}

  // invalid_request for a bad query (parse_search_query) or limit (1 to
  // kMaxLimit); for `chat_id`, the errors of history (not_found, forbidden).
  Result<SearchPage> search(const UserId& me, const SearchRequest& request);

 private:
  ChatDirectory& chats_;
  MessageLog& log_;
};

}  // namespace parley
