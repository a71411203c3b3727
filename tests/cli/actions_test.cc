// edit, delete, react and reply through the real `parley` binary, and
// `parley history` showing each message's current state.
#include "cli_fixture.h"

namespace parley::testing {
namespace {

class ActionsTest : public CliTest {};

TEST_F(ActionsTest, EditReactReplyDeleteAndHistoryShowsTheState) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();
  EXPECT_EQ(parley(ann, {"send", chat_id, "helo", "bob"}).trimmed(), "1");
  EXPECT_EQ(parley(ann, {"send", chat_id, "second"}).trimmed(), "2");

  CliResult edit = parley(ann, {"edit", chat_id, "1", "hello", "bob"});
  EXPECT_EXIT_CODE(edit, 0);
  EXPECT_EQ(edit.trimmed(), "3");
  EXPECT_EXIT_CODE(parley(bob, {"react", "ann", "1", "👍"}), 0);
  CliResult reply = parley(bob, {"--json", "reply", chat_id, "1", "hi", "ann"});
  EXPECT_EXIT_CODE(reply, 0);
  ASSERT_EQ(reply.json_lines().size(), 1u);
  EXPECT_EQ(client::int_field(reply.json_lines()[0], "seq"), 5);
  EXPECT_EXIT_CODE(parley(ann, {"delete", chat_id, "2"}), 0);

  CliResult history = parley(bob, {"history", chat_id});
  EXPECT_EXIT_CODE(history, 0);
  const auto lines = history.lines();
  ASSERT_EQ(lines.size(), 6u) << history.out;
  EXPECT_NE(lines[0].find("ann: hello bob (edited)  [👍 you]"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("ann: (deleted)"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[1].find("second"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("ann edited #1: hello bob"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("bob reacted 👍 to #1"), std::string::npos) << lines[3];
  EXPECT_NE(lines[4].find("(reply to #1) hi ann"), std::string::npos) << lines[4];
  EXPECT_NE(lines[5].find("ann deleted #2"), std::string::npos) << lines[5];

  auto json = parley(bob, {"--json", "history", chat_id, "--limit", "2"}).json_lines();
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(client::str_field(json[1], "kind"), "delete");
  EXPECT_EQ(client::int_field(json[1], "target_seq"), 2);

  // Removing the reaction; refusals carry the server's code and exit 1.
  EXPECT_EXIT_CODE(parley(bob, {"react", chat_id, "1"}), 0);
  EXPECT_EQ(parley(bob, {"history", chat_id, "--after", "0", "--limit", "1"}).out.find("👍"), std::string::npos);
  CliResult not_mine = parley(bob, {"edit", chat_id, "1", "bob's now"});
  EXPECT_EXIT_CODE(not_mine, 1);
  EXPECT_NE(not_mine.err.find("forbidden"), std::string::npos) << not_mine.err;
  CliResult gone = parley(ann, {"edit", chat_id, "2", "back"});
  EXPECT_EXIT_CODE(gone, 1);
  EXPECT_NE(gone.err.find("not_found"), std::string::npos) << gone.err;
  CliResult not_emoji = parley(bob, {"react", chat_id, "1", "yes"});
  EXPECT_EXIT_CODE(not_emoji, 1);
  EXPECT_NE(not_emoji.err.find("invalid_request"), std::string::npos) << not_emoji.err;
  EXPECT_EXIT_CODE(parley(ann, {"edit", chat_id, "zero", "x"}), 2);
}

// Edits, deletions and reactions take seqs but are not messages: `parley
// chats` counts the text messages from others after the read marker.
TEST_F(ActionsTest, ChatsCountsUnreadMessagesNotActions) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();
  EXPECT_EQ(parley(ann, {"send", chat_id, "hi", "bob"}).trimmed(), "1");
  EXPECT_EQ(parley(bob, {"send", chat_id, "hello", "ann"}).trimmed(), "2");
  EXPECT_EQ(parley(bob, {"send", chat_id, "second"}).trimmed(), "3");
  EXPECT_EXIT_CODE(parley(bob, {"react", chat_id, "1", "👍"}), 0);
  EXPECT_EXIT_CODE(parley(bob, {"edit", chat_id, "2", "hello, ann"}), 0);
  EXPECT_EXIT_CODE(parley(bob, {"delete", chat_id, "3"}), 0);
  EXPECT_EXIT_CODE(parley(bob, {"send", chat_id, "third"}), 0);

  // Ann: "hello, ann", the deleted "second" and "third" from Bob; not her own
  // message, not the reaction, the edit or the deletion.
  CliResult human = parley(ann, {"chats"});
  EXPECT_EXIT_CODE(human, 0);
  EXPECT_NE(human.out.find("  3 unread  "), std::string::npos) << human.out;
  auto json = parley(ann, {"--json", "chats"}).json_lines();
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(client::int_field(json[0], "last_seq"), 7);
  EXPECT_EQ(client::int_field(json[0], "unread"), 3);
  // Bob wrote everything else: at most Ann's one message is unread for him
  // (none where the server moves a sender's read marker with the send).
  EXPECT_LE(client::int_field(parley(bob, {"--json", "chats"}).json_lines()[0], "unread"), 1);
}

}  // namespace
}  // namespace parley::testing
