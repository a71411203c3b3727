#pragma once
// History pages in a big chat (parley-search-bench history): times
// GET /v1/chats/{id}/messages?before=SEQ&limit=N at random positions through
// the chat, one request after another on one keep-alive connection, and
// checks every page: N messages (fewer only near the start of the chat),
// newest first, seqs SEQ-1 down to SEQ-N without a gap, all of that chat.
// A request's time runs from writing it to having parsed the answer's JSON.
// Synchronous; one thread.

#include <cstdint>
#include <string>

namespace parley::bench {

struct HistoryOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string token;    // a member of the chat
  std::string chat_id;  // the chat to page through
  int requests = 2000;
  int limit = 50;
  std::uint64_t seed = 1;  // the positions: the same seed asks the same pages
};

struct HistoryFigures {
  std::string chat_id;
  std::int64_t last_seq = 0;  // the chat's newest seq: positions are drawn from [2, last_seq + 1]
  int requests = 0;
  int limit = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  double pages_per_s = 0;  // requests / the time they took in all
  int bad_pages = 0;       // not 200, or not the messages the page should hold
  std::string first_problem;

  bool ok() const { return bad_pages == 0 && requests > 0; }
};

// Throws std::runtime_error when the chat cannot be read at all.
HistoryFigures time_history_pages(const HistoryOptions& options);

std::string format_history_text(const HistoryFigures& f);
std::string format_history_json(const HistoryFigures& f);

}  // namespace parley::bench
