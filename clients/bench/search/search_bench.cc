// parley-search-bench: how fast GET /v1/search, and history pages, answer
// on a large store.
//
//   fill  --data-dir D [--messages N] [--chats C] [--member-chats M] [--big-chat-share S]
//         Writes users, chats and N messages straight into a RocksStore in D
//         (parleyd not running), the way the group commit does (batches of
//         1,000 through MessageLog::append, index included), then compacts
//         and prints each column family's size: the index's overhead. Chat 0,
//         a group of the searching user's, gets the share S of the messages
//         (0.1; 1: a single chat of N messages, for `history`).
//   query --server HOST:PORT [--repeats R]
//         Logs in as the searching user over REST and times each query of a
//         fixed set (rare word, common word, two words, a prefix; per chat and
//         across chats): p50/p99 of R first pages (limit 20), one at a time.
//   history --server HOST:PORT [--requests R] [--limit L] [--seed S] [--json]
//         Logs in as the searching user and times R history pages of chat 0
//         at random positions, one keep-alive connection (history_pages.h).
//
// Texts: 3 to 18 words per message drawn from a Zipf(1) distribution over a
// 20,000-word vocabulary whose head is real English ("the" is in about a
// third of the messages); a rare word is planted in every 50,000th message.
// Deterministic (fixed seed): every run writes the same store.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "crypto/sodium_credentials.h"
#include "history_pages.h"
#include "lib/session.h"
#include "store/rocks/rocks_store.h"

namespace {

using parley::Chat;
using parley::ChatKind;
using parley::Member;
using parley::MemberRole;
using parley::Message;

constexpr const char* kSearcherEmail = "searcher@bench.example";
constexpr const char* kPassword = "bench-password";
constexpr int kPeers = 20;
constexpr std::size_t kVocabulary = 20'000;
constexpr const char* kRareWord = "zephyrine";

const std::vector<std::string>& common_words() {
  static const std::vector<std::string> words = {
      "the",   "to",     "and",   "you",   "it",     "is",      "that",     "of",       "in",     "for",
      "on",    "we",     "have",  "be",    "this",   "are",     "not",      "with",     "at",     "can",
      "so",    "just",   "do",    "will",  "what",   "if",      "my",       "get",      "was",    "all",
      "but",   "me",     "about", "there", "see",    "think",   "now",      "good",     "know",   "time",
      "today", "meet",   "going", "call",  "later",  "want",    "tomorrow", "work",     "need",   "great",
      "back",  "thanks", "night", "home",  "send",   "meeting", "lunch",    "weekend",  "coffee", "project",
      "train", "friday", "plan",  "ready", "office", "dinner",  "message",  "question", "photo",  "budget"};
  return words;
}

// Pronounceable made-up words for the long tail: "kadomi", "tesura", …
std::vector<std::string> vocabulary() {
  std::vector<std::string> words = common_words();
  const char* consonants = "bdfgklmnprstvz";
  const char* vowels = "aeiou";
  std::mt19937_64 rng(7);
  while (words.size() < kVocabulary) {
    std::string w;
    const int syllables = 2 + static_cast<int>(rng() % 3);
    for (int s = 0; s < syllables; ++s) {
      w += consonants[rng() % 14];
      w += vowels[rng() % 5];
    }
    words.push_back(std::move(w));
  }
  return words;
}

// Zipf(1) ranks by inverse CDF over the precomputed weights.
class Zipf {
 public:
  explicit Zipf(std::size_t n) : cdf_(n) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / static_cast<double>(i + 1));
    for (double& c : cdf_) c /= sum;
  }
  std::size_t operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

std::string chat_id(int i) {
  return "benchchat" + std::to_string(i);
}

// Chat 0, a big group of the searcher's, takes `big_chat_share` of the messages.
int fill(const std::string& dir, std::uint64_t messages, int chats, int member_chats, double big_chat_share) {
  auto store = parley::RocksStore::open(dir);
  parley::SodiumCredentials credentials;
  const auto must = [](const parley::Status& s, const char* what) {
    if (!s) {
      std::cerr << what << ": " << s.error().message << "\n";
      std::exit(2);
    }
  };
  std::vector<std::string> users;
  for (int u = 0; u <= kPeers; ++u) {
    const std::string email = u == 0 ? kSearcherEmail : "peer" + std::to_string(u) + "@bench.example";
    parley::User user{"benchuser" + std::to_string(u),      email, u == 0 ? "Searcher" : "Peer " + std::to_string(u),
                      credentials.hash_password(kPassword), 1,     0};
    must(store->create_user(user), "create user");
    users.push_back(user.id);
  }
  for (int c = 0; c < chats; ++c) {
    Chat chat{chat_id(c), ChatKind::group, "chat " + std::to_string(c), {}, 1};
    // The searcher is in the first member_chats chats; the others are peers' only.
    if (c < member_chats) chat.members.push_back(Member{users[0], MemberRole::admin});
    chat.members.push_back(Member{users[1 + c % kPeers], MemberRole::member});
    chat.members.push_back(Member{users[1 + (c + 1) % kPeers], MemberRole::member});
    must(store->put_chat(chat), "put chat");
  }
  const std::vector<std::string> words = vocabulary();
  const Zipf zipf(words.size());
  std::mt19937_64 rng(42);
  std::vector<parley::Seq> seqs(static_cast<std::size_t>(chats), 0);
  std::vector<Message> batch;
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t planted = 0;
  for (std::uint64_t n = 1; n <= messages; ++n) {
    const int c = std::uniform_real_distribution<double>(0, 1)(rng) < big_chat_share
                      ? 0
                      : 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(chats - 1));
    Message m;
    m.chat_id = chat_id(c);
    m.seq = ++seqs[static_cast<std::size_t>(c)];
    m.sender_id = users[1 + rng() % kPeers];
    m.sender_device_id = "benchdevice";
    m.client_msg_id = "b" + std::to_string(n);
    m.ts = 1'700'000'000'000 + static_cast<parley::TimeMs>(n);
    m.offset = n;
    const int length = 3 + static_cast<int>(rng() % 16);
    for (int w = 0; w < length; ++w) {
      if (w > 0) m.text += ' ';
      m.text += words[zipf(rng)];
    }
    if (n % 50'000 == 0) {
      m.text += std::string(" ") + kRareWord;
      ++planted;
    }
    batch.push_back(std::move(m));
    if (batch.size() == 1000 || n == messages) {
      must(store->append(batch), "append");
      batch.clear();
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "filled " << messages << " messages in " << chats << " chats (searcher in " << member_chats
            << ", chat 0 has " << seqs[0] << ") in " << seconds << " s; \"" << kRareWord << "\" in " << planted
            << " messages\n";
  auto sizes = store->compact_and_measure();
  if (!sizes) {
    std::cerr << "compact: " << sizes.error().message << "\n";
    return 2;
  }
  std::uint64_t total = 0, search = 0, rest = 0;
  for (const auto& [name, bytes] : *sizes) {
    total += bytes;
    (name == "search" ? search : rest) += bytes;
    if (bytes > 0) std::cout << "  column " << name << ": " << bytes / 1024 << " KiB\n";
  }
  std::cout << "on disk after compaction: " << total / 1024 / 1024 << " MiB; search index " << search / 1024 / 1024
            << " MiB = "
            << static_cast<int>(std::lround(100.0 * static_cast<double>(search) / static_cast<double>(rest)))
            << "% of everything else\n";
  return 0;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

std::pair<std::string, std::uint16_t> host_and_port(const std::string& server) {
  const auto colon = server.rfind(':');
  return {server.substr(0, colon), static_cast<std::uint16_t>(std::stoi(server.substr(colon + 1)))};
}

int query(const std::string& server, int repeats) {
  const auto [host, port] = host_and_port(server);
  parley::client::Client client(host, port);
  parley::client::Session me = client.login(kSearcherEmail, kPassword, "search-bench");
  struct Case {
    const char* name;
    std::string q;
    bool in_big_chat;
  };
  const std::vector<Case> cases = {
      {"rare word", kRareWord, false}, {"rare word", kRareWord, true},        {"common word", "the", false},
      {"common word", "the", true},    {"two words", "lunch meeting", false}, {"two words", "lunch meeting", true},
      {"prefix (3)", "mee", false},    {"prefix (3)", "mee", true},           {"prefix (5)", "meeti", false},
      {"prefix (5)", "meeti", true},   {"no match", "kadomi zzz", false},     {"no match", "kadomi zzz", true},
  };
  std::cout << "query                 scope         results  p50 ms   p99 ms\n";
  for (const Case& c : cases) {
    parley::client::SearchOptions options;
    if (c.in_big_chat) options.chat_id = chat_id(0);
    std::vector<double> ms;
    std::size_t results = 0;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      auto page = me.search(c.q, options);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      results = page.results.size();
    }
    std::printf("%-21s %-13s %7zu %8.2f %8.2f\n", (std::string(c.name) + " \"" + c.q + "\"").c_str(),
                c.in_big_chat ? "big chat" : "all my chats", results, percentile(ms, 0.5), percentile(ms, 0.99));
  }
  return 0;
}

int history(const std::string& server, parley::bench::HistoryOptions options, bool json) {
  std::tie(options.host, options.port) = host_and_port(server);
  parley::client::Client client(options.host, options.port);
  options.token = client.login(kSearcherEmail, kPassword, "history-bench").token();
  options.chat_id = chat_id(0);
  const auto figures = parley::bench::time_history_pages(options);
  std::cout << (json ? parley::bench::format_history_json(figures) : parley::bench::format_history_text(figures));
  return figures.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"parley-search-bench — message search on a large store"};
  app.require_subcommand(1);
  std::string dir;
  std::uint64_t messages = 1'000'000;
  int chats = 1000;
  int member_chats = 250;
  auto* fill_cmd = app.add_subcommand("fill", "write a store of messages (parleyd stopped)");
  fill_cmd->add_option("--data-dir", dir, "parleyd's --data-dir")->required();
  fill_cmd->add_option("--messages", messages, "messages in all")->capture_default_str();
  fill_cmd->add_option("--chats", chats, "chats in all")->capture_default_str()->check(CLI::Range(2, 1'000'000));
  fill_cmd->add_option("--member-chats", member_chats, "chats the searching user is in")->capture_default_str();
  double big_chat_share = 0.10;
  fill_cmd->add_option("--big-chat-share", big_chat_share, "share of the messages in chat 0 (1: all of them)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  std::string server = "127.0.0.1:8080";
  int repeats = 200;
  auto* query_cmd = app.add_subcommand("query", "time the queries against a parleyd serving that store");
  query_cmd->add_option("--server", server, "parleyd HOST:PORT")->capture_default_str();
  query_cmd->add_option("--repeats", repeats, "requests per query")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  parley::bench::HistoryOptions history_options;
  bool json = false;
  auto* history_cmd = app.add_subcommand("history", "time history pages at random positions of chat 0");
  history_cmd->add_option("--server", server, "parleyd HOST:PORT")->capture_default_str();
  history_cmd->add_option("--requests", history_options.requests, "pages to ask for, one at a time")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  history_cmd->add_option("--limit", history_options.limit, "messages per page")
      ->capture_default_str()
      ->check(CLI::Range(1, 200));
  history_cmd->add_option("--seed", history_options.seed, "seed of the random positions")->capture_default_str();
  history_cmd->add_flag("--json", json, "print the figures as one JSON object");
  CLI11_PARSE(app, argc, argv);
  try {
    if (*fill_cmd) return fill(dir, messages, chats, std::clamp(member_chats, 1, chats), big_chat_share);
    if (*history_cmd) return history(server, history_options, json);
    return query(server, repeats);
  } catch (const std::exception& e) {
    std::cerr << "parley-search-bench: " << e.what() << "\n";
    return 2;
  }
}
