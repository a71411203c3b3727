// parley group-rename and parley role through the real binary, and the group
// timeline in `parley history`.
#include "cli_fixture.h"

namespace parley::testing {
namespace {

class GroupAdminCliTest : public CliTest {};

TEST_F(GroupAdminCliTest, RenameAndRolesShowAsTimelineLinesInHistory) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"group", "plans", bob.email}).trimmed();
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "hello"}), 0);
  EXPECT_EXIT_CODE(parley(ann, {"group-rename", "plans", "holiday plans"}), 0);
  EXPECT_EXIT_CODE(parley(ann, {"role", chat_id, bob.email, "admin"}), 0);
  EXPECT_EXIT_CODE(parley(bob, {"role", "holiday plans", ann.email, "member"}), 0);

  // Each line is written just after its change: wait until the last is there.
  CliResult history;
  ASSERT_TRUE(eventually([&] {
    history = parley(bob, {"history", chat_id});
    return history.lines().size() == 4;
  })) << history.out;
  const auto lines = history.lines();
  EXPECT_NE(lines[0].find("ann: hello"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("ann renamed the group to \"holiday plans\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("ann made you an admin"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("ann is no longer an admin"), std::string::npos) << lines[3];

  auto json = parley(bob, {"--json", "history", chat_id, "--limit", "1"}).json_lines();
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(client::str_field(json[0], "kind"), "event");

  // Refusals carry the server's code; a bad role is a usage error.
  CliResult not_admin = parley(ann, {"group-rename", chat_id, "mine"});
  EXPECT_EXIT_CODE(not_admin, 1);
  EXPECT_NE(not_admin.err.find("forbidden"), std::string::npos) << not_admin.err;
  CliResult last_admin = parley(bob, {"role", chat_id, bob.email, "member"});
  EXPECT_EXIT_CODE(last_admin, 1);
  EXPECT_NE(last_admin.err.find("invalid_request"), std::string::npos) << last_admin.err;
  EXPECT_EXIT_CODE(parley(bob, {"role", chat_id, ann.email, "owner"}), 2);
}

}  // namespace
}  // namespace parley::testing
