// parley accept, block, unblock, blocked and privacy through the real binary.
#include "cli_fixture.h"

namespace parley::testing {
namespace {

class PrivacyCliTest : public CliTest {};

TEST_F(PrivacyCliTest, ARequestIsShownUntilAccepted) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "hi Bob"}), 0);
  CliResult listed = parley(bob, {"chats"});
  EXPECT_NE(listed.out.find("(request"), std::string::npos) << listed.out;
  EXPECT_EQ(parley(ann, {"chats"}).out.find("(request"), std::string::npos) << "only the recipient sees it";

  CliResult accepted = parley(bob, {"accept", chat_id});
  EXPECT_EXIT_CODE(accepted, 0);
  EXPECT_NE(accepted.out.find("Accepted"), std::string::npos) << accepted.out;
  EXPECT_EQ(parley(bob, {"chats"}).out.find("(request"), std::string::npos);
  EXPECT_EXIT_CODE(parley(ann, {"accept", "no-such-chat"}), 1);
}

TEST_F(PrivacyCliTest, BlockUnblockAndPrivacy) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliResult none = parley(ann, {"blocked"});
  EXPECT_NE(none.out.find("nobody"), std::string::npos) << none.out;
  CliResult blocked = parley(ann, {"block", bob.email});
  EXPECT_EXIT_CODE(blocked, 0);
  EXPECT_NE(blocked.out.find("bob"), std::string::npos) << blocked.out;
  auto json = parley(ann, {"--json", "blocked"}).json_lines();
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0].at("blocked").as_array().size(), 1u);
  EXPECT_EXIT_CODE(parley(ann, {"unblock", bob.email}), 0);
  EXPECT_NE(parley(ann, {"blocked"}).out.find("nobody"), std::string::npos);
  CliResult unknown = parley(ann, {"block", "nobody@example.org"});
  EXPECT_EXIT_CODE(unknown, 1);
  EXPECT_NE(unknown.err.find("not_found"), std::string::npos) << unknown.err;
  CliResult self = parley(ann, {"block", ann.email});
  EXPECT_EXIT_CODE(self, 1);
  EXPECT_NE(self.err.find("invalid_request"), std::string::npos) << self.err;

  EXPECT_NE(parley(ann, {"privacy"}).out.find("everyone"), std::string::npos);
  EXPECT_NE(parley(ann, {"privacy", "nobody"}).out.find("nobody"), std::string::npos);
  EXPECT_NE(parley(ann, {"privacy"}).out.find("nobody"), std::string::npos);
  EXPECT_EXIT_CODE(parley(ann, {"privacy", "friends"}), 2);
}

}  // namespace
}  // namespace parley::testing
