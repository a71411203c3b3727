#include "core/message_search.h"

#include <algorithm>
#include <limits>
#include <queue>

namespace parley {

namespace {

// Postings read per store call: small first (most searches want one page),
// doubling while a term keeps being read.
constexpr std::size_t kFirstPostingsPage = 32;
constexpr std::size_t kLargestPostingsPage = 1024;

constexpr SearchPosting kNewest{std::numeric_limits<TimeMs>::max(), std::numeric_limits<Seq>::max()};

// One term's postings in one chat, read newest first, a page at a time.
class TermPostings {
 public:
  TermPostings(MessageLog& log, const ChatId& chat, std::string term)
      : log_(log), chat_(chat), term_(std::move(term)) {}

  // The newest posting below `below`; nullopt when there is none.
  Result<std::optional<SearchPosting>> newest_below(SearchPosting below) {
    for (;;) {
      if (fetched_ && below <= fetched_below_) {
        // The page is newest first: skip what is not below `below`.
        auto first =
            std::partition_point(page_.begin(), page_.end(), [&](const SearchPosting& p) { return !(p < below); });
        if (first != page_.end()) return std::optional<SearchPosting>(*first);
        // The page held every posting below fetched_below_: none is below `below`.
        if (complete_) return std::optional<SearchPosting>();
      }
      auto page = log_.search_postings(chat_, term_, below, page_size_);
      if (!page) return page.error();
      complete_ = page->size() < page_size_;
      page_ = std::move(*page);
      fetched_ = true;
      fetched_below_ = below;
      page_size_ = std::min(page_size_ * 2, kLargestPostingsPage);
    }
  }

 private:
  MessageLog& log_;
  const ChatId& chat_;
  const std::string term_;
  std::vector<SearchPosting> page_;  // newest first: the newest below fetched_below_
  bool fetched_ = false;
  bool complete_ = false;  // page_ holds every posting below fetched_below_
  SearchPosting fetched_below_;
  std::size_t page_size_ = kFirstPostingsPage;
};

// The matches of a query in one chat, newest first.
class ChatMatches {
 public:
  ChatMatches(MessageLog& log, const SearchQuery& query, const UserId& me, ChatId chat, Seq joined_seq,
              SearchPosting below)
      : log_(log), query_(query), me_(me), chat_(std::move(chat)), joined_seq_(joined_seq), below_(below) {
    terms_.reserve(query.terms.size());
    for (const std::string& term : query.terms) terms_.emplace_back(log_, chat_, term);
  }
  ChatMatches(const ChatMatches&) = delete;
  ChatMatches& operator=(const ChatMatches&) = delete;

  const ChatId& chat_id() const { return chat_; }

  // The next match; nullopt when there is none left.
  Result<std::optional<Message>> next() {
    for (;;) {
      auto candidate = next_candidate();
      if (!candidate) return candidate.error();
      if (!*candidate) return std::optional<Message>();
      below_ = **candidate;
      // What was said before the caller joined is not theirs to see.
      if (below_.seq <= joined_seq_) continue;
      auto message = log_.find(chat_, below_.seq);
      if (!message) return message.error();
      // Written in the same write as the message: a miss is damage.
      if (!*message) return make_error(ErrorCode::internal, "store: the search index names a missing message");
      Message& m = **message;
      // The text is checked too: a last word longer than the indexed
      // prefixes needs it, and it makes sure only the current text matches.
      if (m.kind != MessageKind::text || m.deleted || !search_matches(query_, m.text)) continue;
      // Withheld from the caller (its sender is blocked by them): only its sender finds it.
      if (!visible_to(m, me_)) continue;
      return message;
    }
  }

 private:
  // The newest posting below below_ that every term has (leapfrog: a term
  // that is behind seeks down to the newest candidate so far).
  Result<std::optional<SearchPosting>> next_candidate() {
    auto first = terms_[0].newest_below(below_);
    if (!first || !*first) return first;
    SearchPosting candidate = **first;
    std::size_t agreed = 1;
    for (std::size_t i = 1 % terms_.size(); agreed < terms_.size(); i = (i + 1) % terms_.size()) {
      auto at = terms_[i].newest_below(SearchPosting{candidate.ts, candidate.seq + 1});
      if (!at || !*at) return at;
      if (**at == candidate) {
        ++agreed;
      } else {
        candidate = **at;
        agreed = 1;
      }
    }
    return std::optional<SearchPosting>(candidate);
  }

  MessageLog& log_;
  const SearchQuery& query_;
  const UserId& me_;  // who searches
  const ChatId chat_;
  const Seq joined_seq_;
  SearchPosting below_;
  std::vector<TermPostings> terms_;
};

// Where a chat's matches start, below `cursor` in (ts, chat_id, seq) order.
SearchPosting start_below(const ChatId& chat, const std::optional<SearchCursor>& cursor) {
  if (!cursor) return kNewest;
  if (chat < cursor->chat_id) return {cursor->ts, std::numeric_limits<Seq>::max()};
  if (chat == cursor->chat_id) return {cursor->ts, cursor->seq};
  return {cursor->ts, 0};
}

// Newest first across chats: by ts, then chat id, then seq, descending.
bool newer(const Message& a, const Message& b) {
  if (a.ts != b.ts) return a.ts > b.ts;
  if (a.chat_id != b.chat_id) return a.chat_id > b.chat_id;
  return a.seq > b.seq;
}

}  // namespace

Result<SearchPage> MessageSearch::search(const UserId& me, const SearchRequest& request) {
  if (request.limit == 0 || request.limit > kMaxLimit) {
    return make_error(ErrorCode::invalid_request, "limit must be 1 to " + std::to_string(kMaxLimit));
  }
  auto query = parse_search_query(request.q);
  if (!query) return query.error();

  std::vector<ChatPtr> chats;
  if (request.chat_id) {
    auto chat = chats_.find_for_member(me, *request.chat_id);
    if (!chat) return chat.error();
    chats.push_back(std::move(*chat));
  } else {
    auto mine = chats_.chats_of(me);
    if (!mine) return mine.error();
    chats = std::move(*mine);
  }

  std::vector<std::unique_ptr<ChatMatches>> streams;
  streams.reserve(chats.size());
  for (const ChatPtr& chat : chats) {
    const Member* member = chat->member(me);
    if (!member) continue;  // left since the list was read
    streams.push_back(std::make_unique<ChatMatches>(log_, *query, me, chat->id, member->joined_seq,
                                                    start_below(chat->id, request.before)));
  }

  // Each chat's next match, the newest on top.
  struct Head {
    Message message;
    std::size_t stream = 0;
  };
  const auto older = [](const Head& a, const Head& b) { return newer(b.message, a.message); };
  std::priority_queue<Head, std::vector<Head>, decltype(older)> heads(older);
  const auto advance = [&](std::size_t stream) -> Status {
    auto next = streams[stream]->next();
    if (!next) return next.error();
    if (*next) heads.push(Head{std::move(**next), stream});
    return Ok{};
  };
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (auto ok = advance(i); !ok) return ok.error();
  }

  SearchPage page;
  while (page.results.size() < request.limit && !heads.empty()) {
    Head top = heads.top();
    heads.pop();
    if (auto ok = advance(top.stream); !ok) return ok.error();
    page.results.push_back(std::move(top.message));
  }
  // A match is waiting beyond this page: the next one starts below its last result.
  if (!heads.empty() && !page.results.empty()) {
    const Message& last = page.results.back();
    page.next = SearchCursor{last.ts, last.chat_id, last.seq};
  }
  for (Message& m : page.results) m.shard = log_.shard_of(m.chat_id);
  return page;
}

}  // namespace parley
