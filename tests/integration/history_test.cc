// History: newest-first paging with `before`, oldest-first with `after`,
// limits, stability under concurrent writes, and access control.
#include "fixture.h"

namespace parley::testing {
namespace {

class HistoryTest : public ParleyTest {
 protected:
  void SetUp() override {
    ParleyTest::SetUp();
    alice_.emplace(new_session("alice"));
    bob_.emplace(new_session("bob"));
    chat_ = alice_->create_direct(bob_->user_id()).chat_id;
  }
  void send_n(int n) {
    for (int i = 0; i < n; ++i) {
      Session& from = (sent_ % 3 == 0) ? *bob_ : *alice_;
      from.send(chat_, "h-" + std::to_string(sent_), "text " + std::to_string(sent_));
      ++sent_;
    }
  }
  Session& alice() { return *alice_; }
  Session& bob() { return *bob_; }

  std::optional<Session> alice_, bob_;
  std::string chat_;
  int sent_ = 0;
};

std::vector<std::int64_t> descending(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = from; i >= to; --i) out.push_back(i);
  return out;
}

TEST_F(HistoryTest, EntriesCarryTheMessageFields) {
  send_n(1);
  auto page = bob().history(chat_);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].chat_id, chat_);
  EXPECT_EQ(page[0].seq, 1);
  EXPECT_EQ(page[0].sender_id, bob().user_id());
  EXPECT_EQ(page[0].text, "text 0");
  EXPECT_EQ(page[0].client_msg_id, "h-0");
  EXPECT_GT(page[0].ts, 0);
}

TEST_F(HistoryTest, EmptyChatHasEmptyHistory) {
  EXPECT_TRUE(alice().history(chat_).empty());
  EXPECT_TRUE(alice().history(chat_, {.after = 0}).empty());
}

TEST_F(HistoryTest, BeforePagesNewestFirst) {
  send_n(120);
  EXPECT_EQ(seqs_of(alice().history(chat_)), descending(120, 71)) << "default: newest 50";
  EXPECT_EQ(seqs_of(alice().history(chat_, {.before = 71})), descending(70, 21));
  EXPECT_EQ(seqs_of(alice().history(chat_, {.before = 21})), descending(20, 1));
  EXPECT_TRUE(alice().history(chat_, {.before = 1}).empty());
  EXPECT_EQ(seqs_of(alice().history(chat_, {.before = 100, .limit = 3})), descending(99, 97));
  EXPECT_EQ(seqs_of(alice().history(chat_, {.limit = 200})), descending(120, 1));
  EXPECT_EQ(seqs_of(alice().history(chat_, {.before = 1000, .limit = 2})), descending(120, 119));
}

TEST_F(HistoryTest, AfterPagesOldestFirst) {
  send_n(120);
  EXPECT_EQ(seqs_of(alice().history(chat_, {.after = 0})), range_seq(1, 50));
  EXPECT_EQ(seqs_of(alice().history(chat_, {.after = 50})), range_seq(51, 100));
  EXPECT_EQ(seqs_of(alice().history(chat_, {.after = 100})), range_seq(101, 120));
  EXPECT_TRUE(alice().history(chat_, {.after = 120}).empty());
  EXPECT_EQ(seqs_of(alice().history(chat_, {.after = 7, .limit = 3})), range_seq(8, 10));
  EXPECT_EQ(seqs_of(alice().history(chat_, {.after = 0, .limit = 200})), range_seq(1, 120));
}

TEST_F(HistoryTest, PagesAreStableWhileNewMessagesArrive) {
  send_n(60);
  auto page1 = alice().history(chat_, {.before = 40, .limit = 10});
  auto fwd1 = alice().history(chat_, {.after = 10, .limit = 10});
  send_n(30);
  auto page2 = alice().history(chat_, {.before = 40, .limit = 10});
  auto fwd2 = alice().history(chat_, {.after = 10, .limit = 10});
  ASSERT_EQ(page1.size(), page2.size());
  for (std::size_t i = 0; i < page1.size(); ++i) {
    EXPECT_EQ(page1[i].seq, page2[i].seq);
    EXPECT_EQ(page1[i].text, page2[i].text);
    EXPECT_EQ(page1[i].ts, page2[i].ts);
  }
  EXPECT_EQ(seqs_of(fwd1), seqs_of(fwd2));
  // Walking back from the newest reaches every message exactly once.
  std::vector<std::int64_t> walked;
  std::optional<std::int64_t> before;
  for (;;) {
    auto page = alice().history(chat_, {.before = before, .limit = 7});
    if (page.empty()) break;
    for (const auto& m : page) walked.push_back(m.seq);
    before = page.back().seq;
  }
  EXPECT_EQ(walked, descending(90, 1));
}

TEST_F(HistoryTest, BadParametersAre400InvalidRequest) {
  send_n(3);
  const std::string base = "/v1/chats/" + chat_ + "/messages";
  EXPECT_TRUE(is_error(alice().call("GET", base + "?limit=201"), 400, "invalid_request"));
  EXPECT_TRUE(is_error(alice().call("GET", base + "?limit=0"), 400, "invalid_request"));
  EXPECT_TRUE(is_error(alice().call("GET", base + "?limit=-1"), 400, "invalid_request"));
  EXPECT_TRUE(is_error(alice().call("GET", base + "?limit=abc"), 400, "invalid_request"));
  EXPECT_TRUE(is_error(alice().call("GET", base + "?before=xyz"), 400, "invalid_request"));
  EXPECT_TRUE(is_error(alice().call("GET", base + "?after=-5"), 400, "invalid_request"));
  EXPECT_EQ(alice().call("GET", base + "?limit=200").status, 200);
}

TEST_F(HistoryTest, StrangersAndUnknownChats) {
  send_n(2);
  Session eve = new_session("eve");
  EXPECT_API_ERROR(eve.history(chat_), 403, "forbidden");
  EXPECT_API_ERROR(alice().history("no-such-chat"), 404, "not_found");
  auto anonymous = server().http().get("/v1/chats/" + chat_ + "/messages");
  EXPECT_TRUE(is_error(anonymous, 401, "unauthorized"));
}

TEST_F(HistoryTest, HistoryIsKeptAcrossRestart) {
  send_n(75);
  auto before = alice().history(chat_, {.limit = 200});
  EXPECT_EQ(terminate_servers(), 0);
  start_servers();
  Session again = resume(alice());
  auto after = again.history(chat_, {.limit = 200});
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].seq, before[i].seq);
    EXPECT_EQ(after[i].text, before[i].text);
    EXPECT_EQ(after[i].ts, before[i].ts);
    EXPECT_EQ(after[i].client_msg_id, before[i].client_msg_id);
  }
}

}  // namespace
}  // namespace parley::testing
