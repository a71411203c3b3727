#pragma once
// What message search matches: the words of a text, and the index terms a
// store keeps for a message so that a query finds it without reading every
// message. One tokenizer for every store and for the query, so that a word
// is found exactly as it was indexed.
//
// A word is a run of letters and digits: ASCII letters and digits, and any
// other Unicode character that is not a space or punctuation (so words of
// any script stay whole, accents included). Words are folded to lower case
// (ASCII, Latin-1, Greek and Cyrillic capitals) and cut to kMaxWordBytes.
// Scripts written without spaces (Chinese, Japanese) are one word per run:
// they are found by the run's beginning (prefix), not by a word inside it.
//
// Pure functions; any thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace parley {

// A word longer than this (a URL, a blob) is indexed and matched by its
// first kMaxWordBytes bytes (cut at a character boundary).
inline constexpr std::size_t kMaxWordBytes = 64;
// Prefix terms are kept for the first 1..kIndexedPrefixChars characters of
// every word: a query's last word of up to that length is one index lookup;
// a longer one is looked up by its first kIndexedPrefixChars characters and
// checked against the text.
inline constexpr std::size_t kIndexedPrefixChars = 3;
// Query bounds (docs/protocol.md, "Search").
inline constexpr std::size_t kMaxQueryBytes = 256;
inline constexpr std::size_t kMaxQueryWords = 8;

// The folded words of `text`, in order, repeats included. Ill-formed UTF-8
// bytes separate words.
std::vector<std::string> search_words(std::string_view text);

// The index terms of a log entry: one "w<word>" per distinct word and one
// "p<prefix>" per distinct prefix of 1..kIndexedPrefixChars characters of a
// word, sorted. None for anything but a text message that is not deleted:
// actions, timeline lines and deleted messages are never found.
std::vector<std::string> index_terms(const Message& message);

// A parsed query: every word must occur in the text (AND); the last one as a
// prefix of a word (search as you type), the others whole.
struct SearchQuery {
  std::vector<std::string> words;  // folded, distinct, the prefix word last
  // The index terms whose postings every match has, distinct: "w<word>" for
  // the whole words, "p<prefix>" for the last word.
  std::vector<std::string> terms;
  // Whether a posting of every term proves a match; otherwise (a last word
  // longer than kIndexedPrefixChars) the text must be checked.
  bool exact = true;
};

// invalid_request for an empty or blank query, one longer than
// kMaxQueryBytes, ill-formed UTF-8, no word in it, or more than
// kMaxQueryWords words.
Result<SearchQuery> parse_search_query(std::string_view q);

// Whether `text` has every word of `query` (the last one as a prefix).
bool search_matches(const SearchQuery& query, std::string_view text);

}  // namespace parley
