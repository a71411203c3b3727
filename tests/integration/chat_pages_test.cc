// GET /v1/chats in pages: ?limit=&after=, a `next` cursor, a stable order
// (no duplicates, no skips, even while chats get messages), a default page
// for clients that send no limit, 400 for bad values.
#include <set>

#include "fixture.h"

namespace parley::testing {
namespace {

class ChatPagesTest : public ParleyTest {
 protected:
  struct Page {
    std::vector<std::string> ids;
    std::optional<std::string> next;
  };
  Page page(Session& s, const std::string& query) {
    auto r = s.call("GET", "/v1/chats" + query);
    EXPECT_EQ(r.status, 200) << query << " " << r.raw;
    Page p;
    if (r.status != 200) return p;
    for (const auto& c : r.json.at("chats").as_array()) p.ids.emplace_back(c.at("chat_id").as_string());
    const auto& next = r.json.at("next");
    if (next.is_string()) p.next = std::string(next.as_string());
    EXPECT_TRUE(next.is_string() || next.is_null()) << r.raw;
    return p;
  }
  std::vector<std::string> make_groups(Session& s, int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(s.create_group("g" + std::to_string(i), {}).chat_id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

TEST_F(ChatPagesTest, PagesCoverEveryChatOnceInAStableOrder) {
  Session alice = new_session("alice");
  auto all = make_groups(alice, 23);
  std::vector<std::string> seen;
  std::optional<std::string> after;
  int pages = 0;
  do {
    auto p = page(alice, "?limit=5" + (after ? "&after=" + *after : std::string()));
    EXPECT_LE(p.ids.size(), 5u);
    // Activity between pages must not move chats across pages.
    if (!p.ids.empty()) alice.send(p.ids.front(), cmid(), "activity");
    seen.insert(seen.end(), p.ids.begin(), p.ids.end());
    after = p.next;
    ++pages;
  } while (after && pages < 100);
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen, all) << "every chat exactly once, in chat id order";
  auto last = page(alice, "?limit=3&after=" + all.back());
  EXPECT_TRUE(last.ids.empty());
  EXPECT_FALSE(last.next);
  auto exact = page(alice, "?limit=23");
  EXPECT_EQ(exact.ids, all);
  EXPECT_FALSE(exact.next) << "no next when the page ends the list";
}

TEST_F(ChatPagesTest, WithoutLimitADefaultPageAndTheClientLibraryFetchesAll) {
  Session alice = new_session("alice");
  auto all = make_groups(alice, 505);  // more than one page of the client library's 500
  auto first = page(alice, "");
  ASSERT_EQ(first.ids.size(), 200u) << "older clients get a bounded page";
  ASSERT_TRUE(first.next);
  auto second = page(alice, "?after=" + *first.next);
  EXPECT_EQ(second.ids.size(), 200u);
  EXPECT_TRUE(second.next);
  EXPECT_EQ(second.ids.front(), all[200]);
  auto big = page(alice, "?limit=1000");
  EXPECT_EQ(big.ids, all);
  std::vector<std::string> listed;
  for (const auto& c : alice.list_chats()) listed.push_back(c.chat_id);
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, all);
}

TEST_F(ChatPagesTest, OnlyMyChatsAndAfterNeedNotExist) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  auto mine = make_groups(alice, 4);
  make_groups(bob, 3);
  EXPECT_EQ(page(alice, "?limit=100").ids, mine);
  // A well-formed cursor between ids is a position, like any keyset cursor.
  auto from_zero = page(alice, "?after=0");
  EXPECT_EQ(from_zero.ids, mine);
  EXPECT_TRUE(page(alice, "?after=zzzz").ids.empty());
}

TEST_F(ChatPagesTest, BadLimitOrAfterIs400) {
  Session alice = new_session("alice");
  make_groups(alice, 2);
  for (const std::string& query :
       std::vector<std::string>{"?limit=0", "?limit=1001", "?limit=-1", "?limit=abc", "?limit=", "?limit=1.5",
                                "?limit=99999999999999999999", "?after=", "?after=%00", "?after=a%2Fb", "?after=%C3%28",
                                "?after=" + std::string(200, 'a'), "?limit=2&limit=3", "?after=a&after=b"}) {
    auto r = alice.call("GET", "/v1/chats" + query);
    EXPECT_TRUE(is_error(r, 400, "invalid_request")) << query.substr(0, 40) << " " << r.raw;
  }
  EXPECT_EQ(page(alice, "?limit=1000").ids.size(), 2u);
}

}  // namespace
}  // namespace parley::testing
