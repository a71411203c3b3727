#pragma once
// Store contract, search index: what every MessageLog adapter keeps for
// MessageLog::search_postings, as a gtest type-parameterized suite beside
// the message log contract (store_contract_messages.h), instantiated for the
// same adapters:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Store, SearchIndexContract, Types, Names);
// A new test must also be named in the REGISTER line at the end.
#include <limits>
#include <string>
#include <vector>

#include "store_contract_fixture.h"

namespace parley::testing {

template <typename S>
class SearchIndexContract : public StoreContractTest<S> {
 protected:
  static constexpr SearchPosting kNewest{std::numeric_limits<TimeMs>::max(), std::numeric_limits<Seq>::max()};

  Message text_message(const ChatId& chat, Seq seq, const std::string& text, TimeMs ts = 0) {
    Message m = make_message(chat, seq, next_offset_++);
    m.text = text;
    if (ts != 0) m.ts = ts;
    return m;
  }
  std::vector<SearchPosting> postings(const ChatId& chat, const std::string& term, SearchPosting below = kNewest,
                                      std::size_t limit = 100) {
    return must(this->log().search_postings(chat, term, below, limit));
  }
  std::vector<Seq> seqs_of(const ChatId& chat, const std::string& term) {
    std::vector<Seq> out;
    for (const SearchPosting& p : postings(chat, term)) out.push_back(p.seq);
    return out;
  }

  LogOffset next_offset_ = 1;
};
TYPED_TEST_SUITE_P(SearchIndexContract);

TYPED_TEST_P(SearchIndexContract, WordsAndShortPrefixesFindTextMessagesNewestFirst) {
  ASSERT_TRUE(
      this->log()
          .append({this->text_message("c", 1, "Hello World", 100), this->text_message("c", 2, "hello, there!", 200),
                   this->text_message("c", 3, "nothing", 300)})
          .ok());
  EXPECT_EQ(this->postings("c", "whello"), (std::vector<SearchPosting>{{200, 2}, {100, 1}}));
  EXPECT_EQ(this->seqs_of("c", "wworld"), (std::vector<Seq>{1}));
  EXPECT_EQ(this->seqs_of("c", "ph"), (std::vector<Seq>{2, 1}));
  EXPECT_EQ(this->seqs_of("c", "pthe"), (std::vector<Seq>{2}));
  EXPECT_EQ(this->seqs_of("c", "pno"), (std::vector<Seq>{3}));
  // Only whole words and prefixes of up to three characters are terms.
  EXPECT_TRUE(this->seqs_of("c", "whell").empty());
  EXPECT_TRUE(this->seqs_of("c", "phell").empty());
  EXPECT_TRUE(this->seqs_of("c", "wHello").empty());
  EXPECT_TRUE(this->seqs_of("c", "w").empty());
  // Another chat's postings are its own.
  EXPECT_TRUE(this->seqs_of("c2", "whello").empty());
  EXPECT_TRUE(this->seqs_of("", "whello").empty());
}

TYPED_TEST_P(SearchIndexContract, PagesGoBelowAPositionByTimeThenSeq) {
  std::vector<Message> batch;
  // Seqs 1..10; 5 and 6 share a millisecond.
  for (Seq s = 1; s <= 10; ++s) batch.push_back(this->text_message("c", s, "same word", s == 6 ? 5000 : 1000 * s));
  ASSERT_TRUE(this->log().append(batch).ok());
  EXPECT_EQ(this->postings("c", "wword", this->kNewest, 3),
            (std::vector<SearchPosting>{{10000, 10}, {9000, 9}, {8000, 8}}));
  EXPECT_EQ(this->postings("c", "wword", {8000, 8}, 3), (std::vector<SearchPosting>{{7000, 7}, {5000, 6}, {5000, 5}}));
  EXPECT_EQ(this->postings("c", "wword", {5000, 6}, 2), (std::vector<SearchPosting>{{5000, 5}, {4000, 4}}));
  EXPECT_EQ(this->postings("c", "wword", {5000, 0}, 1), (std::vector<SearchPosting>{{4000, 4}}));
  EXPECT_TRUE(this->postings("c", "wword", {1000, 1}, 5).empty());
  EXPECT_TRUE(this->postings("c", "wword", this->kNewest, 0).empty());
}

TYPED_TEST_P(SearchIndexContract, ActionsTimelineLinesAndDeletedMessagesAreNotIndexed) {
  Message edit = this->text_message("c", 2, "secret edit");
  edit.kind = MessageKind::edit;
  edit.target_seq = 1;
  Message event = this->text_message("c", 3, "secret event");
  event.kind = MessageKind::event;
  Message gone = this->text_message("c", 4, "secret gone");
  gone.deleted = true;
  ASSERT_TRUE(this->log().append({this->text_message("c", 1, "plain"), edit, event, gone}).ok());
  EXPECT_TRUE(this->seqs_of("c", "wsecret").empty());
  EXPECT_TRUE(this->seqs_of("c", "psec").empty());
  EXPECT_EQ(this->seqs_of("c", "wplain"), (std::vector<Seq>{1}));
}

TYPED_TEST_P(SearchIndexContract, AnEditReplacesTheWordsOfTheOldText) {
  ASSERT_TRUE(this->log().append({this->text_message("c", 1, "meet at noon")}).ok());
  Message edit = this->text_message("c", 2, "meet at nine");
  edit.kind = MessageKind::edit;
  edit.target_seq = 1;
  Message target = must(this->log().find("c", 1)).value();
  target.text = "meet at nine";
  target.edited_at = edit.ts;
  target.edit_seqs = {2};
  ASSERT_TRUE(this->log().append({edit}, {target}).ok());
  EXPECT_TRUE(this->seqs_of("c", "wnoon").empty());
  EXPECT_TRUE(this->seqs_of("c", "pno").empty());
  EXPECT_EQ(this->seqs_of("c", "wnine"), (std::vector<Seq>{1}));
  EXPECT_EQ(this->seqs_of("c", "pn"), (std::vector<Seq>{1}));
  EXPECT_EQ(this->seqs_of("c", "wmeet"), (std::vector<Seq>{1}));
  // The posting keeps the message's own time, not the edit's.
  EXPECT_EQ(this->postings("c", "wnine"), (std::vector<SearchPosting>{{target.ts, 1}}));
}

TYPED_TEST_P(SearchIndexContract, ADeleteRemovesEveryPostingOfTheMessage) {
  ASSERT_TRUE(
      this->log().append({this->text_message("c", 1, "call me maybe"), this->text_message("c", 2, "maybe not")}).ok());
  Message deletion = this->text_message("c", 3, "");
  deletion.kind = MessageKind::deletion;
  deletion.target_seq = 1;
  Message target = must(this->log().find("c", 1)).value();
  target.text.clear();
  target.deleted = true;
  ASSERT_TRUE(this->log().append({deletion}, {target}).ok());
  for (const char* term : {"wcall", "wme", "pc", "pca", "pme"}) {
    EXPECT_TRUE(this->seqs_of("c", term).empty()) << term;
  }
  EXPECT_EQ(this->seqs_of("c", "wmaybe"), (std::vector<Seq>{2}));
  EXPECT_EQ(this->seqs_of("c", "pmay"), (std::vector<Seq>{2}));
  EXPECT_EQ(this->seqs_of("c", "pm"), (std::vector<Seq>{2}));
}

TYPED_TEST_P(SearchIndexContract, WordsOfAnyScriptAreFoldedAndKeptWhole) {
  ASSERT_TRUE(this->log().append({this->text_message("c", 1, "GRÜSSE aus Köln, ПРИВЕТ мир! 東京タワー")}).ok());
  EXPECT_EQ(this->seqs_of("c", "wgrüsse"), (std::vector<Seq>{1}));
  EXPECT_EQ(this->seqs_of("c", "wköln"), (std::vector<Seq>{1}));
  EXPECT_EQ(this->seqs_of("c", "wпривет"), (std::vector<Seq>{1}));
  EXPECT_EQ(this->seqs_of("c", "pпр"), (std::vector<Seq>{1}));
  EXPECT_EQ(this->seqs_of("c", "w東京タワー"), (std::vector<Seq>{1}));
  EXPECT_EQ(this->seqs_of("c", "p東京"), (std::vector<Seq>{1}));
  EXPECT_TRUE(this->seqs_of("c", "wk").empty());
}

REGISTER_TYPED_TEST_SUITE_P(SearchIndexContract, WordsAndShortPrefixesFindTextMessagesNewestFirst,
                            PagesGoBelowAPositionByTimeThenSeq, ActionsTimelineLinesAndDeletedMessagesAreNotIndexed,
                            AnEditReplacesTheWordsOfTheOldText, ADeleteRemovesEveryPostingOfTheMessage,
                            WordsOfAnyScriptAreFoldedAndKeptWhole);

}  // namespace parley::testing
