// parley group-add, group-remove, leave, forget and search through the real binary.
#include "cli_fixture.h"

namespace parley::testing {
namespace {

class GroupsSearchCliTest : public CliTest {};

TEST_F(GroupsSearchCliTest, ARemovedMemberSeesTheGroupEndedUntilForgotten) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliUser cy = new_user("cy");
  const std::string chat_id = parley(ann, {"group", "Trip", bob.email}).trimmed();
  EXPECT_EXIT_CODE(parley(ann, {"group-add", chat_id, cy.email}), 0);
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "before you go"}), 0);
  CliResult removed = parley(ann, {"group-remove", chat_id, bob.email});
  EXPECT_EXIT_CODE(removed, 0);
  EXPECT_NE(removed.out.find("Removed"), std::string::npos) << removed.out;
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "after you went"}), 0);

  CliResult listed = parley(bob, {"chats"});
  EXPECT_NE(listed.out.find("(ended"), std::string::npos) << listed.out;
  CliResult history = parley(bob, {"history", chat_id});
  EXPECT_EXIT_CODE(history, 0);
  EXPECT_NE(history.out.find("before you go"), std::string::npos) << history.out;
  EXPECT_EQ(history.out.find("after you went"), std::string::npos) << history.out;
  CliResult refused = parley(bob, {"send", chat_id, "hello?"});
  EXPECT_EXIT_CODE(refused, 1);
  EXPECT_NE(refused.err.find("forbidden"), std::string::npos) << refused.err;

  // Cy leaves: the same. Forgetting needs an ended group.
  EXPECT_EXIT_CODE(parley(cy, {"leave", chat_id}), 0);
  EXPECT_NE(parley(cy, {"chats"}).out.find("(ended"), std::string::npos);
  CliResult member = parley(ann, {"forget", chat_id});
  EXPECT_EXIT_CODE(member, 1);
  EXPECT_NE(member.err.find("invalid_request"), std::string::npos) << member.err;
  EXPECT_EXIT_CODE(parley(bob, {"forget", chat_id}), 0);
  EXPECT_EQ(parley(bob, {"chats"}).out.find("Trip"), std::string::npos);
  EXPECT_EXIT_CODE(parley(bob, {"forget", chat_id}), 1);
  EXPECT_EXIT_CODE(parley(bob, {"group-remove", chat_id, cy.email}), 1);
  EXPECT_EXIT_CODE(parley(ann, {"group-add", chat_id, "nobody@example.org"}), 1);
}

TEST_F(GroupsSearchCliTest, SearchFindsWordsInOneChatOrAll) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string dm = parley(ann, {"dm", bob.email}).trimmed();
  const std::string group = parley(ann, {"group", "Plans", bob.email}).trimmed();
  EXPECT_EXIT_CODE(parley(ann, {"send", dm, "the blue boat leaves at nine"}), 0);
  EXPECT_EXIT_CODE(parley(ann, {"send", group, "a blue bottle"}), 0);
  EXPECT_EXIT_CODE(parley(ann, {"send", group, "something else"}), 0);

  CliResult all = parley(bob, {"search", "blue", "bo"});
  EXPECT_EXIT_CODE(all, 0);
  EXPECT_NE(all.out.find("blue boat"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("blue bottle"), std::string::npos) << all.out;
  EXPECT_EQ(all.out.find("something"), std::string::npos) << all.out;
  CliResult one = parley(bob, {"search", "--chat", group, "blue"});
  EXPECT_NE(one.out.find("blue bottle"), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find("boat"), std::string::npos) << one.out;
  EXPECT_NE(parley(bob, {"search", "zebra"}).out.find("nothing found"), std::string::npos);

  // One per page, in JSON, following `next`.
  auto first = parley(bob, {"--json", "search", "--limit", "1", "blue"}).json_lines();
  ASSERT_EQ(first.size(), 2u);
  const std::string next(first[1].at("next").as_string());
  auto second = parley(bob, {"--json", "search", "--limit", "1", "--before", next, "blue"}).json_lines();
  ASSERT_GE(second.size(), 1u);
  EXPECT_NE(first[0].at("text"), second[0].at("text"));
  EXPECT_EXIT_CODE(parley(bob, {"search", "--limit", "0", "blue"}), 2);
  EXPECT_EXIT_CODE(parley(bob, {"search", "--chat", "no-such-chat", "blue"}), 1);
}

}  // namespace
}  // namespace parley::testing
