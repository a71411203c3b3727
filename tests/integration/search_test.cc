// GET /v1/search against a real parleyd: words of the caller's chats found
// newest first across chats and in one chat, paged with an opaque cursor;
// edits and deletes reflected; a member added later, a removed member and a
// stranger see what history would show them; the index survives a restart;
// every hostile query is a clear 4xx and the server stays up.
#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <tuple>

#include "fixture.h"

namespace parley::testing {
namespace {

class SearchTest : public ParleyTest {
 protected:
  void SetUp() override {
    ParleyTest::SetUp();
    ann_.emplace(new_session("ann"));
    bob_.emplace(new_session("bob"));
    cy_.emplace(new_session("cy"));
    ann_bob_ = ann_->create_direct(bob_->user_id()).chat_id;
    ann_cy_ = ann_->create_direct(cy_->user_id()).chat_id;
  }
  static std::vector<std::string> texts(const client::SearchResults& page) {
    std::vector<std::string> out;
    for (const auto& m : page.results) out.push_back(m.text);
    return out;
  }
  HttpResponse raw_search(Session& who, const std::string& query) { return who.call("GET", "/v1/search?" + query); }

  Session& ann() { return *ann_; }
  Session& bob() { return *bob_; }
  Session& cy() { return *cy_; }
  std::optional<Session> ann_, bob_, cy_;
  std::string ann_bob_, ann_cy_;
};

using Texts = std::vector<std::string>;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(SearchTest, FindsEveryWordWithTheLastAsAPrefixNewestFirstAcrossAndWithinChats) {
  // Each message in a later millisecond than the one before (the server's
  // clock is this machine's), so that "newest first" is the order sent:
  // equal times are ordered by chat id (docs/protocol.md, "Search").
  std::int64_t last_ts = 0;
  auto send_later = [&](Session& who, const std::string& chat, const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (wall_ms() <= last_ts && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    last_ts = who.send(chat, cmid(), text).ts;
  };
  send_later(ann(), ann_bob_, "Lunch at noon?");
  send_later(bob(), ann_bob_, "lunch tomorrow, then");
  send_later(ann(), ann_cy_, "LUNCH at the new place");
  send_later(cy(), ann_cy_, "dinner at noon");

  auto all = ann().search("lunch");
  EXPECT_EQ(texts(all), (Texts{"LUNCH at the new place", "lunch tomorrow, then", "Lunch at noon?"}));
  EXPECT_FALSE(all.next.has_value());
  ASSERT_EQ(all.results.size(), 3u);
  EXPECT_EQ(all.results[0].chat_id, ann_cy_);
  EXPECT_EQ(all.results[0].sender_id, ann().user_id());
  EXPECT_EQ(all.results[0].seq, 1);
  EXPECT_GT(all.results[0].ts, 0);
  EXPECT_EQ(texts(ann().search("lunch AT")), (Texts{"LUNCH at the new place", "Lunch at noon?"}));
  EXPECT_EQ(texts(ann().search("at no")), (Texts{"dinner at noon", "Lunch at noon?"}));
  EXPECT_EQ(texts(ann().search("lun", {.chat_id = ann_bob_})), (Texts{"lunch tomorrow, then", "Lunch at noon?"}));
  EXPECT_TRUE(ann().search("breakfast").results.empty());
  // Bob is in one of the two chats only.
  EXPECT_EQ(texts(bob().search("lunch")), (Texts{"lunch tomorrow, then", "Lunch at noon?"}));
  EXPECT_EQ(texts(cy().search("noon")), (Texts{"dinner at noon"}));
  // Words of any script, matched case-insensitively.
  bob().send(ann_bob_, cmid(), "Встреча в Москве, ÉTÉ 東京");
  EXPECT_EQ(texts(ann().search("москве")), (Texts{"Встреча в Москве, ÉTÉ 東京"}));
  EXPECT_EQ(texts(ann().search("été 東")), (Texts{"Встреча в Москве, ÉTÉ 東京"}));
}

TEST_F(SearchTest, PagesFollowOneAnotherThroughTheCursor) {
  for (int i = 0; i < 7; ++i) {
    ann().send(i % 2 == 0 ? ann_bob_ : ann_cy_, cmid(), "report part " + std::to_string(i));
    ann().send(ann_bob_, cmid(), "something else");
  }
  std::vector<MessageInfo> found;
  std::optional<std::string> next;
  int pages = 0;
  do {
    auto page = ann().search("report", {.limit = 3, .before = next});
    EXPECT_LE(page.results.size(), 3u);
    found.insert(found.end(), page.results.begin(), page.results.end());
    next = page.next;
    ASSERT_LT(++pages, 10);
  } while (next);
  EXPECT_EQ(pages, 3);
  // Every match once, newest first: by ts, then (two sent in the same
  // millisecond) chat id, then seq, all descending.
  Texts texts_found;
  for (const auto& m : found) texts_found.push_back(m.text);
  Texts sorted = texts_found;
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  Texts expected;
  for (int i = 6; i >= 0; --i) expected.push_back("report part " + std::to_string(i));
  EXPECT_EQ(sorted, expected);
  for (std::size_t i = 1; i < found.size(); ++i) {
    const auto& a = found[i - 1];
    const auto& b = found[i];
    EXPECT_TRUE(std::tie(a.ts, a.chat_id, a.seq) > std::tie(b.ts, b.chat_id, b.seq)) << a.text << " before " << b.text;
  }
}

TEST_F(SearchTest, EditedMessagesMatchTheirNewTextOnlyAndDeletedOnesNothing) {
  const auto plan = ann().send(ann_bob_, cmid(), "meet at the harbour");
  const auto secret = bob().send(ann_bob_, cmid(), "the code is swordfish");
  ann().send_body(
      ann_bob_,
      {{"client_msg_id", cmid()}, {"kind", "edit"}, {"target_seq", plan.seq}, {"text", "meet at the station"}});
  bob().send_body(ann_bob_, {{"client_msg_id", cmid()}, {"kind", "delete"}, {"target_seq", secret.seq}});
  EXPECT_TRUE(ann().search("harbour").results.empty());
  EXPECT_TRUE(bob().search("swordfish").results.empty());
  EXPECT_TRUE(bob().search("code").results.empty());
  auto found = bob().search("meet st");
  ASSERT_EQ(found.results.size(), 1u);
  EXPECT_EQ(found.results[0].seq, plan.seq);
  EXPECT_EQ(found.results[0].text, "meet at the station");
  EXPECT_GT(found.results[0].edited_at, 0);
}

TEST_F(SearchTest, MembersSeeWhatHistoryShowsThemAndStrangersNothing) {
  auto group = ann().create_group("trip", {bob().user_id()});
  ann().send(group.chat_id, cmid(), "budget before cy");
  ann().add_member(group.chat_id, cy().user_id());
  ann().send(group.chat_id, cmid(), "budget after cy");
  EXPECT_EQ(texts(cy().search("budget")), (Texts{"budget after cy"}));
  EXPECT_EQ(texts(cy().search("budget", {.chat_id = group.chat_id})), (Texts{"budget after cy"}));
  EXPECT_EQ(texts(bob().search("budget")), (Texts{"budget after cy", "budget before cy"}));
  ann().remove_member(group.chat_id, bob().user_id());
  // Bob's node may be another one, which hears of the removal a moment later.
  EXPECT_TRUE(eventually([&] { return bob().search("budget").results.empty(); }));
  EXPECT_TRUE(is_error(raw_search(bob(), "q=budget&chat_id=" + group.chat_id), 403, "forbidden"));
  // Not a member of Ann and Bob's chat, nor of a chat that does not exist.
  EXPECT_TRUE(is_error(raw_search(cy(), "q=lunch&chat_id=" + ann_bob_), 403, "forbidden"));
  EXPECT_TRUE(is_error(raw_search(cy(), "q=lunch&chat_id=nosuchchat"), 404, "not_found"));
}

TEST_F(SearchTest, TheIndexSurvivesARestart) {
  PARLEY_SINGLE_NODE_ONLY("restarts one process and its store");
  ann().send(ann_bob_, cmid(), "durable words");
  restart_servers();
  Session again = resume(ann());
  EXPECT_EQ(texts(again.search("durable")), (Texts{"durable words"}));
}

TEST_F(SearchTest, HostileQueriesAreClearErrorsAndChangeNothing) {
  ann().send(ann_bob_, cmid(), "plain text");
  const std::string long_q(257, 'a');
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "q missing"},
      {"q=", "empty"},
      {"q=%20%09%0A", "blank"},
      {"q=%3F%21%2E", "punctuation only"},
      {"q=" + long_q, "over 256 bytes"},
      {"q=ok%C3%28", "invalid UTF-8"},
      {"q=a%00b%FF", "a NUL and a stray byte"},
      {"q=a+b+c+d+e+f+g+h+i", "nine words"},
      {"q=plain&q=text", "q twice"},
      {"q=plain&limit=0", "limit 0"},
      {"q=plain&limit=101", "limit over 100"},
      {"q=plain&limit=-1", "negative limit"},
      {"q=plain&limit=ten", "limit not a number"},
      {"q=plain&limit=99999999999999999999999", "limit overflowing"},
      {"q=plain&before=", "empty cursor"},
      {"q=plain&before=o123", "a resume cursor"},
      {"q=plain&before=t1s0cabc", "seq 0"},
      {"q=plain&before=t-1s1cabc", "negative time"},
      {"q=plain&before=t99999999999999999999s1cabc", "time overflowing"},
      {"q=plain&before=t1s1c..%2Fx", "a path in the chat id"},
      {"q=plain&before=t1s1c" + std::string(200, 'x'), "an oversized chat id"},
  };
  for (const auto& [query, why] : bad) {
    EXPECT_TRUE(is_error(raw_search(ann(), query), 400, "invalid_request")) << why;
  }
  EXPECT_TRUE(is_error(raw_search(ann(), "q=plain&chat_id=..%2F..%2Fetc"), 404, "not_found"));
  EXPECT_TRUE(is_error(raw_search(ann(), "q=plain&chat_id=" + std::string(5000, 'c')), 404, "not_found"));
  EXPECT_TRUE(is_error(server().http().get("/v1/search?q=plain"), 401, "unauthorized"));
  EXPECT_EQ(ann().call("POST", "/v1/search?q=plain").status, 405);
  // Exactly at the limits is fine.
  EXPECT_EQ(raw_search(ann(), "q=" + std::string(256, 'a') + "&limit=100").status, 200);
  EXPECT_EQ(texts(ann().search("plain", {.limit = 1})), (Texts{"plain text"}));
  EXPECT_EQ(ann().history(ann_bob_).size(), 1u);
}

}  // namespace
}  // namespace parley::testing
