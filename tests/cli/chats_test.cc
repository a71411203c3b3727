// chats, dm, group, send and history through the real `parley` binary.
#include <set>

#include "cli_fixture.h"

namespace parley::testing {
namespace {

class ChatsTest : public CliTest {};

std::vector<std::string> texts_of(const std::vector<json::object>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(client::str_field(m, "text"));
  return out;
}

std::vector<std::int64_t> seqs_of(const std::vector<json::object>& messages) {
  std::vector<std::int64_t> out;
  for (const auto& m : messages) out.push_back(client::int_field(m, "seq"));
  return out;
}

TEST_F(ChatsTest, DmPrintsTheChatIdAndReusesTheChat) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliResult none = parley(ann, {"chats"});
  EXPECT_EXIT_CODE(none, 0);
  EXPECT_NE(none.out.find("No chats yet"), std::string::npos) << none.out;

  CliResult dm = parley(ann, {"dm", bob.email});
  EXPECT_EXIT_CODE(dm, 0);
  const std::string chat_id = dm.trimmed();
  ASSERT_FALSE(chat_id.empty());
  EXPECT_EQ(chat_id.find('\n'), std::string::npos) << "only the id: " << dm.out;

  CliResult again = parley(bob, {"--json", "dm", ann.email});
  EXPECT_EXIT_CODE(again, 0);
  auto obj = again.json_lines();
  ASSERT_EQ(obj.size(), 1u);
  EXPECT_EQ(client::str_field(obj[0], "chat_id"), chat_id) << "one direct chat per pair";
  EXPECT_EQ(obj[0].at("created").as_bool(), false);
  EXPECT_EQ(client::str_field(obj[0], "kind"), "direct");

  CliResult chats = parley(ann, {"chats"});
  EXPECT_EXIT_CODE(chats, 0);
  ASSERT_EQ(chats.lines().size(), 1u) << chats.out;
  EXPECT_NE(chats.out.find(chat_id), std::string::npos);
  EXPECT_NE(chats.out.find("@bob"), std::string::npos) << chats.out;

  EXPECT_EXIT_CODE(parley(ann, {"dm", "nobody@example.org"}), 1);
}

TEST_F(ChatsTest, GroupAndChatsListNewestFirst) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliUser carol = new_user("carol");
  const std::string dm = parley(ann, {"dm", bob.email}).trimmed();
  CliResult group = parley(ann, {"group", "Team Rocket", bob.email, carol.email, ann.email});
  EXPECT_EXIT_CODE(group, 0);
  const std::string group_id = group.trimmed();
  ASSERT_FALSE(group_id.empty());
  // Activity in the direct chat puts it first again.
  EXPECT_EXIT_CODE(parley(ann, {"send", dm, "ping"}), 0);

  CliResult chats = parley(carol, {"--json", "chats"});
  EXPECT_EXIT_CODE(chats, 0);
  auto list = chats.json_lines();
  ASSERT_EQ(list.size(), 1u) << chats.out;
  EXPECT_EQ(client::str_field(list[0], "chat_id"), group_id);
  EXPECT_EQ(client::str_field(list[0], "name"), "Team Rocket");
  EXPECT_EQ(list[0].at("members").as_array().size(), 3u);

  auto anns = parley(ann, {"--json", "chats"}).json_lines();
  ASSERT_EQ(anns.size(), 2u);
  EXPECT_EQ(client::str_field(anns[0], "chat_id"), dm);
  EXPECT_EQ(client::str_field(anns[1], "chat_id"), group_id);

  CliResult human = parley(bob, {"chats"});
  EXPECT_NE(human.out.find("#Team Rocket (3 members)"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("1 unread"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("ann: ping"), std::string::npos) << human.out;
  CliResult own = parley(ann, {"chats"});
  EXPECT_EXIT_CODE(own, 0);
  EXPECT_EQ(own.out.find("unread"), std::string::npos) << "Ann's own message is not unread to her:\n" << own.out;
}

TEST_F(ChatsTest, SendTakesTheTextFromArgumentsOrStdin) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();

  CliResult one = parley(ann, {"send", chat_id, "hello bob"});
  EXPECT_EXIT_CODE(one, 0);
  EXPECT_EQ(one.trimmed(), "1");
  CliResult two = parley(ann, {"send", chat_id}, "from stdin\nsecond line\n");
  EXPECT_EXIT_CODE(two, 0);
  EXPECT_EQ(two.trimmed(), "2");
  CliResult three = parley(ann, {"send", "bob", "-"}, "dash means stdin");
  EXPECT_EXIT_CODE(three, 0);
  EXPECT_EQ(three.trimmed(), "3");
  CliResult four = parley(ann, {"--json", "send", bob.email, "several", "words"});
  EXPECT_EXIT_CODE(four, 0);
  auto ack = four.json_lines();
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(client::int_field(ack[0], "seq"), 4);
  EXPECT_EQ(client::str_field(ack[0], "chat_id"), chat_id);
  EXPECT_FALSE(client::str_field(ack[0], "client_msg_id").empty());
  EXPECT_GT(client::int_field(ack[0], "ts"), 0);

  CliResult history = parley(bob, {"--json", "history", "ann"});
  EXPECT_EXIT_CODE(history, 0);
  auto messages = history.json_lines();
  EXPECT_EQ(texts_of(messages),
            (std::vector<std::string>{"hello bob", "from stdin\nsecond line", "dash means stdin", "several words"}));
  EXPECT_EQ(seqs_of(messages), (std::vector<std::int64_t>{1, 2, 3, 4}));
  for (const auto& m : messages) {
    EXPECT_EQ(client::str_field(m, "sender_id"), ann.user_id);
    EXPECT_EQ(client::str_field(m, "chat_id"), chat_id);
  }
  // Each send used a fresh client_msg_id.
  std::set<std::string> ids;
  for (const auto& m : messages) ids.insert(client::str_field(m, "client_msg_id"));
  EXPECT_EQ(ids.size(), 4u);

  CliResult empty = parley(ann, {"send", chat_id}, "");
  EXPECT_EXIT_CODE(empty, 2);
  CliResult too_long = parley(ann, {"send", chat_id, std::string(5000, 'x')});
  EXPECT_EXIT_CODE(too_long, 1);
  EXPECT_NE(too_long.err.find("text_too_long"), std::string::npos) << too_long.err;
}

TEST_F(ChatsTest, HistoryPagesWithBeforeAfterAndLimit) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();
  client::Session s = lib_session(ann);
  for (int i = 1; i <= 10; ++i) s.send(chat_id, "m" + std::to_string(i), "m" + std::to_string(i));

  auto newest = parley(bob, {"--json", "history", chat_id, "--limit", "3"}).json_lines();
  EXPECT_EQ(seqs_of(newest), (std::vector<std::int64_t>{8, 9, 10})) << "the newest, oldest first";
  auto before = parley(bob, {"--json", "history", chat_id, "--before", "5", "--limit", "2"}).json_lines();
  EXPECT_EQ(seqs_of(before), (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(texts_of(before), (std::vector<std::string>{"m3", "m4"}));
  auto after = parley(bob, {"--json", "history", chat_id, "--after", "8"}).json_lines();
  EXPECT_EQ(seqs_of(after), (std::vector<std::int64_t>{9, 10}));
  auto all = parley(bob, {"--json", "history", chat_id}).json_lines();
  EXPECT_EQ(all.size(), 10u);

  CliResult human = parley(bob, {"history", chat_id, "--before", "2"});
  EXPECT_EXIT_CODE(human, 0);
  ASSERT_EQ(human.lines().size(), 1u) << human.out;
  const std::string line = human.lines()[0];
  EXPECT_EQ(line.rfind("#1 [", 0), 0u) << line;
  EXPECT_NE(line.find("] ann: m1"), std::string::npos) << line;
}

TEST_F(ChatsTest, ChatArgumentResolvesNamesAndRejectsUnknownOrAmbiguous) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliUser carol = new_user("carol");
  const std::string dm = parley(ann, {"dm", bob.email}).trimmed();
  const std::string g1 = parley(ann, {"group", "Ops", bob.email}).trimmed();
  const std::string g2 = parley(ann, {"group", "Dup", bob.email}).trimmed();
  const std::string g3 = parley(ann, {"group", "dup", carol.email}).trimmed();

  EXPECT_EQ(parley(ann, {"--json", "send", "BOB", "by name"}).json_lines().at(0).at("chat_id").as_string(), dm);
  EXPECT_EQ(parley(ann, {"--json", "send", bob.email, "by email"}).json_lines().at(0).at("chat_id").as_string(), dm);
  EXPECT_EQ(parley(ann, {"--json", "send", "ops", "by group"}).json_lines().at(0).at("chat_id").as_string(), g1);

  CliResult unknown = parley(ann, {"send", "nothing-like-this", "x"});
  EXPECT_EXIT_CODE(unknown, 1);
  EXPECT_NE(unknown.err.find("not_found"), std::string::npos) << unknown.err;
  EXPECT_EXIT_CODE(parley(ann, {"history", "0123456789abcdef0123456789abcdef"}), 1);

  CliResult ambiguous = parley(ann, {"history", "DUP"});
  EXPECT_EXIT_CODE(ambiguous, 1);
  EXPECT_NE(ambiguous.err.find("ambiguous_chat"), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find(g2), std::string::npos);
  EXPECT_NE(ambiguous.err.find(g3), std::string::npos);

  // Carol is not in "Ops": its id is unknown to her.
  CliResult stranger = parley(carol, {"send", g1, "let me in"});
  EXPECT_EXIT_CODE(stranger, 1);
}

}  // namespace
}  // namespace parley::testing
