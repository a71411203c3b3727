// Message search in the core (MessageSearch over the fake store's index):
// words ANDed with the last one a prefix, case folded; newest first across
// chats, paged without repeats or gaps; only the caller's chats, only from
// when they joined; deleted and edited messages by their current text only;
// every bad query refused. And the tokenizer itself.
#include <set>

#include "core/search_terms.h"
#include "unit/core_fixture.h"

namespace parley::testing {
namespace {

class SearchTest : public CoreTest {
 protected:
  Result<SearchPage> search(const UserId& me, const std::string& q, std::optional<ChatId> chat = std::nullopt,
                            std::size_t limit = 20, std::optional<SearchCursor> before = std::nullopt) {
    return core->search.search(me, SearchRequest{q, std::move(chat), limit, std::move(before)});
  }
  // The texts found, newest first; the test fails if the search does.
  std::vector<std::string> texts(const UserId& me, const std::string& q, std::optional<ChatId> chat = std::nullopt) {
    auto page = search(me, q, std::move(chat), MessageSearch::kMaxLimit);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().message);
    std::vector<std::string> out;
    if (page.ok()) {
      for (const Message& m : page->results) out.push_back(m.text);
    }
    return out;
  }
  Seq say(const AuthContext& who, const ChatId& chat, const std::string& text) {
    clock.advance(10);
    auto ack = send(who, chat, "m" + std::to_string(++sent_), text);
    EXPECT_TRUE(ack.ok());
    return ack.ok() ? ack->seq : 0;
  }
  Status act(const AuthContext& who, const ChatId& chat, MessageKind kind, Seq target, const std::string& text) {
    clock.advance(10);
    auto promise = std::make_shared<std::promise<Result<SendAck>>>();
    auto future = promise->get_future();
    SendRequest request{who, chat, "a" + std::to_string(++sent_), text, kind, target};
    core->pipeline.submit(request, [promise](Result<SendAck> r) { promise->set_value(std::move(r)); });
    auto result = future.get();
    if (!result) return result.error();
    return Ok{};
  }

  int sent_ = 0;
};

using Words = std::vector<std::string>;

TEST(SearchTerms, WordsAreFoldedSplitOnPunctuationAndKeptWholeInAnyScript) {
  EXPECT_EQ(search_words("Hello, WORLD! it's 2024-05"), (Words{"hello", "world", "it", "s", "2024", "05"}));
  EXPECT_EQ(search_words("Ärger «ÜBER» Straße — ΣΟΦΙΑ Москва"), (Words{"ärger", "über", "straße", "σοφια", "москва"}));
  EXPECT_EQ(search_words("東京タワー、富士山。"), (Words{"東京タワー", "富士山"}));
  EXPECT_EQ(search_words("  \t\n..."), Words{});
  // Ill-formed bytes separate words; nothing is read past the end.
  EXPECT_EQ(search_words("ab\xff"
                         "cd\xe2\x82"),
            (Words{"ab", "cd"}));
  const std::string longest(200, 'x');
  EXPECT_EQ(search_words(longest), Words{std::string(kMaxWordBytes, 'x')});
  // Cut at a character boundary: 2-byte characters, 64 bytes is 32 of them.
  std::string cyrillic;
  for (int i = 0; i < 40; ++i) cyrillic += "ж";
  ASSERT_EQ(search_words(cyrillic).size(), 1u);
  EXPECT_EQ(search_words(cyrillic)[0].size(), 64u);
}

TEST(SearchTerms, TextMessagesHaveWordAndPrefixTermsOthersNone) {
  Message m;
  m.text = "Hi hi hey";
  EXPECT_EQ(index_terms(m), (Words{"ph", "phe", "phey", "phi", "whey", "whi"}));
  m.deleted = true;
  EXPECT_EQ(index_terms(m), Words{});
  m.deleted = false;
  m.kind = MessageKind::edit;
  EXPECT_EQ(index_terms(m), Words{});
}

TEST(SearchTerms, QueriesAreParsedOrRefusedWithAReason) {
  auto q = parse_search_query("Lunch at NOON");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->words, (Words{"lunch", "at", "noon"}));
  EXPECT_EQ(q->terms, (Words{"wlunch", "wat", "pnoo"}));
  EXPECT_FALSE(q->exact);
  auto repeated = parse_search_query("go go go");
  ASSERT_TRUE(repeated.ok());
  EXPECT_EQ(repeated->words, Words{"go"});
  EXPECT_TRUE(repeated->exact);
  for (const std::string& bad :
       {std::string(""), std::string("   "), std::string("?!.,"), std::string(kMaxQueryBytes + 1, 'a'),
        std::string("ok \xc3\x28"), std::string("a b c d e f g h i")}) {
    auto refused = parse_search_query(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_request);
  }
  EXPECT_TRUE(parse_search_query(std::string(kMaxQueryBytes, 'a')).ok());
  EXPECT_TRUE(search_matches(*q, "Lunch is at noon, ok?"));
  EXPECT_TRUE(search_matches(*q, "at NOONISH lunch"));
  EXPECT_FALSE(search_matches(*q, "lunch at no"));
  EXPECT_FALSE(search_matches(*q, "lunchtime at noon"));
}

TEST_F(SearchTest, AllWordsMustOccurTheLastAsAPrefixNewestFirstAcrossChats) {
  UserId ann = make_user("ann"), bob = make_user("bob"), cy = make_user("cy");
  AuthContext a = login("ann"), b = login("bob");
  ChatId ab = direct(ann, bob);
  ChatId ac = direct(ann, cy);
  say(a, ab, "Lunch at noon?");
  say(b, ab, "lunch tomorrow then");
  say(a, ac, "LUNCH at the new place");
  say(a, ac, "dinner at noon");
  EXPECT_EQ(texts(ann, "lunch"), (Words{"LUNCH at the new place", "lunch tomorrow then", "Lunch at noon?"}));
  EXPECT_EQ(texts(ann, "lunch at"), (Words{"LUNCH at the new place", "Lunch at noon?"}));
  EXPECT_EQ(texts(ann, "at no"), (Words{"dinner at noon", "Lunch at noon?"}));
  EXPECT_EQ(texts(ann, "noon lu"), (Words{"Lunch at noon?"}));
  EXPECT_EQ(texts(ann, "lun"), texts(ann, "LUNCH"));
  EXPECT_EQ(texts(ann, "lunch", ab), (Words{"lunch tomorrow then", "Lunch at noon?"}));
  EXPECT_TRUE(texts(ann, "breakfast").empty());
  // Bob is not in Ann and Cy's chat.
  EXPECT_EQ(texts(bob, "lunch"), (Words{"lunch tomorrow then", "Lunch at noon?"}));
  auto page = search(ann, "lunch");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->results.front().chat_id, ac);
  EXPECT_FALSE(page->next.has_value());
}

TEST_F(SearchTest, PagesFollowEachOtherWithoutRepeatsOrGapsAcrossChats) {
  UserId ann = make_user("ann"), bob = make_user("bob"), cy = make_user("cy");
  AuthContext a = login("ann");
  ChatId ab = direct(ann, bob), ac = direct(ann, cy);
  std::vector<std::pair<ChatId, Seq>> expected;
  for (int i = 0; i < 23; ++i) {
    const ChatId chat = i % 3 == 0 ? ab : ac;
    // Some messages share a millisecond, across chats too.
    if (i % 4 != 0) clock.advance(1);
    auto ack = send(a, chat, "p" + std::to_string(i), "ping " + std::to_string(i));
    ASSERT_TRUE(ack.ok());
    expected.emplace_back(chat, ack->seq);
    say(a, chat, "other words");
  }
  std::vector<std::pair<ChatId, Seq>> found;
  std::optional<SearchCursor> cursor;
  int pages = 0;
  do {
    auto page = search(ann, "ping", std::nullopt, 5, cursor);
    ASSERT_TRUE(page.ok());
    ASSERT_LE(page->results.size(), 5u);
    for (const Message& m : page->results) found.emplace_back(m.chat_id, m.seq);
    cursor = page->next;
    ASSERT_LT(++pages, 10);
  } while (cursor);
  EXPECT_EQ(pages, 5);
  std::reverse(expected.begin(), expected.end());
  // Newest first: each message's ts is at least the previous one's.
  EXPECT_EQ(std::set(found.begin(), found.end()), std::set(expected.begin(), expected.end()));
  EXPECT_EQ(found.size(), expected.size());
  // Per chat, newest first by seq.
  for (const ChatId& chat : {ab, ac}) {
    std::vector<Seq> in_chat;
    for (const auto& [c, seq] : found) {
      if (c == chat) in_chat.push_back(seq);
    }
    EXPECT_TRUE(std::is_sorted(in_chat.rbegin(), in_chat.rend()));
  }
}

TEST_F(SearchTest, DeletedMessagesNeverMatchAndEditedOnesOnlyByTheirCurrentText) {
  UserId ann = make_user("ann"), bob = make_user("bob");
  AuthContext a = login("ann");
  ChatId ab = direct(ann, bob);
  Seq plan = say(a, ab, "meet at the harbour");
  Seq secret = say(a, ab, "the password is swordfish");
  ASSERT_TRUE(act(a, ab, MessageKind::edit, plan, "meet at the station").ok());
  ASSERT_TRUE(act(a, ab, MessageKind::deletion, secret, "").ok());
  EXPECT_TRUE(texts(ann, "harbour").empty());
  EXPECT_TRUE(texts(ann, "harb").empty());
  EXPECT_EQ(texts(ann, "station"), Words{"meet at the station"});
  EXPECT_TRUE(texts(ann, "swordfish").empty());
  EXPECT_TRUE(texts(ann, "password").empty());
  // The edit entry holds the new text but is not a message of its own.
  EXPECT_EQ(texts(ann, "meet"), Words{"meet at the station"});
  // Nothing of the deleted text stays in the index either.
  EXPECT_EQ(store.dump().find("swordfish"), std::string::npos);
  EXPECT_EQ(store.dump().find("harbour"), std::string::npos);
}

TEST_F(SearchTest, AMemberAddedLaterFindsOnlyWhatWasSaidSinceTheyJoined) {
  UserId ann = make_user("ann"), bob = make_user("bob"), cy = make_user("cy");
  AuthContext a = login("ann");
  auto group = core->chats.create_group(ann, "trip", {bob});
  ASSERT_TRUE(group.ok());
  const ChatId g = (*group)->id;
  say(a, g, "budget is secret");
  ASSERT_TRUE(core->chats.add_member(ann, g, cy).ok());
  say(a, g, "budget for everyone");
  EXPECT_EQ(texts(cy, "budget"), Words{"budget for everyone"});
  EXPECT_EQ(texts(cy, "budget", g), Words{"budget for everyone"});
  EXPECT_EQ(texts(bob, "budget"), (Words{"budget for everyone", "budget is secret"}));
  // Removed: the chat is no longer searched.
  ASSERT_TRUE(core->chats.remove_member(ann, g, bob).ok());
  EXPECT_TRUE(texts(bob, "budget").empty());
  auto refused = search(bob, "budget", g);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::forbidden);
}

TEST_F(SearchTest, AMessageWithheldByABlockIsFoundByItsSenderOnly) {
  UserId ann = make_user("ann"), bob = make_user("bob");
  AuthContext a = login("ann"), b = login("bob");
  ChatId ab = direct(ann, bob);
  say(a, ab, "hello bob");  // Ann opened the chat: no message request in the way
  say(b, ab, "plans before the block");
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, true).ok());
  say(b, ab, "plans while blocked");
  EXPECT_EQ(texts(ann, "plans"), Words{"plans before the block"});
  EXPECT_EQ(texts(ann, "plans", ab), Words{"plans before the block"});
  EXPECT_EQ(texts(bob, "plans"), (Words{"plans while blocked", "plans before the block"}));
  // Unblocking does not show what was withheld.
  ASSERT_TRUE(core->privacy.set_blocked(ann, bob, false).ok());
  EXPECT_EQ(texts(ann, "blocked"), Words{});
  EXPECT_EQ(texts(bob, "blocked"), Words{"plans while blocked"});
}

TEST_F(SearchTest, BadRequestsAreRefusedAndOtherPeoplesChatsAreNotSearched) {
  UserId ann = make_user("ann"), bob = make_user("bob"), cy = make_user("cy");
  AuthContext b = login("bob");
  ChatId bc = direct(bob, cy);
  say(b, bc, "private words");
  auto not_member = search(ann, "private", bc);
  ASSERT_FALSE(not_member.ok());
  EXPECT_EQ(not_member.error().code, ErrorCode::forbidden);
  auto no_chat = search(ann, "private", ChatId("no-such-chat"));
  ASSERT_FALSE(no_chat.ok());
  EXPECT_EQ(no_chat.error().code, ErrorCode::not_found);
  EXPECT_TRUE(texts(ann, "private").empty());
  for (std::size_t limit : {std::size_t{0}, MessageSearch::kMaxLimit + 1}) {
    auto bad = search(bob, "private", std::nullopt, limit);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_request);
  }
  auto blank = search(bob, " \t ");
  ASSERT_FALSE(blank.ok());
  EXPECT_EQ(blank.error().code, ErrorCode::invalid_request);
}

TEST_F(SearchTest, AStoreThatCannotBeReadIsAnErrorNotAShorterPage) {
  UserId ann = make_user("ann"), bob = make_user("bob");
  AuthContext a = login("ann");
  ChatId ab = direct(ann, bob);
  say(a, ab, "findable words");
  faults.fail(StoreMethod::search_postings, ErrorCode::unavailable);
  auto failed = search(ann, "findable");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::unavailable);
  faults.heal_all();
  EXPECT_EQ(texts(ann, "findable"), Words{"findable words"});
}

}  // namespace
}  // namespace parley::testing
