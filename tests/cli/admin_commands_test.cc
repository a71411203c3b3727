// parley admin … through the real `parley` binary, against a parleyd that made
// its admin token in its data dir (the single node's default).
#include <fstream>

#include "cli_fixture.h"

namespace parley::testing {
namespace {

class AdminCommandsTest : public CliTest {
 protected:
  std::string token_file() { return server().data_dir() + "/admin_token"; }
  // `parley --server URL admin --token-file F args...` from a config home with no login.
  CliResult admin(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    std::vector<std::string> all{"--server", server_url(), "admin", "--token-file", token_file()};
    all.insert(all.end(), args.begin(), args.end());
    return parley_at(operator_home(), all, stdin_data);
  }
  const std::string& operator_home() {
    if (operator_home_.empty()) operator_home_ = fresh_config_home("operator");
    return operator_home_;
  }
  std::string operator_home_;
};

TEST_F(AdminCommandsTest, TheAdminTokenIsNeededAndChecked) {
  CliResult none = parley_at(operator_home(), {"--server", server_url(), "admin", "stats"});
  EXPECT_EXIT_CODE(none, 2);
  EXPECT_NE(none.err.find("admin token"), std::string::npos) << none.err;

  const std::string wrong = root_ + "/wrong_token";
  { std::ofstream(wrong) << "not-the-token-but-long-enough-0123456789abcdef\n"; }
  CliResult refused = parley_at(operator_home(), {"--server", server_url(), "admin", "--token-file", wrong, "stats"});
  EXPECT_EXIT_CODE(refused, 3);
  EXPECT_NE(refused.err.find("admin token"), std::string::npos) << refused.err;
  CliResult missing =
      parley_at(operator_home(), {"--server", server_url(), "admin", "--token-file", root_ + "/no-such-file", "stats"});
  EXPECT_EXIT_CODE(missing, 2);
  // A user's login is no admin token.
  CliUser ann = new_user("ann");
  CliResult as_user = parley(ann, {"admin", "stats"});
  EXPECT_EXIT_CODE(as_user, 2);

  CliResult stats = admin({"stats"});
  EXPECT_EXIT_CODE(stats, 0);
  EXPECT_NE(stats.out.find("users: 1"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("version: "), std::string::npos) << stats.out;
  auto objects =
      parley_at(operator_home(), {"--server", server_url(), "--json", "admin", "--token-file", token_file(), "stats"})
          .json_lines();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].at("users").to_number<std::int64_t>(), 1);
}

TEST_F(AdminCommandsTest, UsersArePagedAndFound) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliUser cat = new_user("cat", /*login=*/false);
  CliResult all = admin({"users"});
  EXPECT_EXIT_CODE(all, 0);
  for (const CliUser* u : {&ann, &bob, &cat}) EXPECT_NE(all.out.find(u->email), std::string::npos) << all.out;
  EXPECT_EQ(all.out.find("more:"), std::string::npos);

  CliResult first = admin({"users", "--limit", "2"});
  EXPECT_EXIT_CODE(first, 0);
  EXPECT_NE(first.out.find("more: --after " + bob.email), std::string::npos) << first.out;
  CliResult second = admin({"users", "--limit", "2", "--after", bob.email});
  EXPECT_EXIT_CODE(second, 0);
  EXPECT_NE(second.out.find(cat.email), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find(ann.email), std::string::npos) << second.out;

  CliResult found = admin({"users", "--query", "bob"});
  EXPECT_EQ(found.lines().size(), 1u) << found.out;
  EXPECT_NE(found.out.find(bob.user_id), std::string::npos) << found.out;
  EXPECT_NE(found.out.find("devices 1"), std::string::npos) << found.out;
  EXPECT_EXIT_CODE(admin({"users", "--limit", "0"}), 2);
}

TEST_F(AdminCommandsTest, DisableEnableAndResetPassword) {
  CliUser ann = new_user("ann");
  CliResult disabled = admin({"disable", ann.email});
  EXPECT_EXIT_CODE(disabled, 0);
  EXPECT_NE(disabled.out.find("devices logged out: 1"), std::string::npos) << disabled.out;
  EXPECT_EXIT_CODE(parley(ann, {"chats"}), 3);
  CliResult refused = parley(ann, {"login", ann.email, "--password", ann.password});
  EXPECT_EXIT_CODE(refused, 1);
  EXPECT_NE(refused.err.find("forbidden"), std::string::npos) << refused.err;
  EXPECT_NE(admin({"users"}).out.find("DISABLED"), std::string::npos);
  EXPECT_EXIT_CODE(admin({"enable", ann.user_id}), 0);
  EXPECT_EXIT_CODE(parley(ann, {"login", ann.email, "--password", ann.password}), 0);

  // A password from stdin.
  EXPECT_EXIT_CODE(admin({"reset-password", ann.email}, "the new password\n"), 0);
  EXPECT_EXIT_CODE(parley(ann, {"chats"}), 3);  // logged out
  EXPECT_EXIT_CODE(parley(ann, {"login", ann.email, "--password", ann.password}), 1);
  EXPECT_EXIT_CODE(parley(ann, {"login", ann.email, "--password", "the new password"}), 0);
  // A generated one, printed once.
  CliResult generated = admin({"reset-password", ann.user_id, "--generate"});
  EXPECT_EXIT_CODE(generated, 0);
  const std::string prefix = "New password: ";
  const auto at = generated.out.find(prefix);
  ASSERT_NE(at, std::string::npos) << generated.out;
  const std::string password =
      generated.out.substr(at + prefix.size(), generated.out.find('\n', at) - at - prefix.size());
  EXPECT_EXIT_CODE(parley(ann, {"login", ann.email, "--password", password}), 0);

  CliResult short_one = admin({"reset-password", ann.email}, "short\n");
  EXPECT_EXIT_CODE(short_one, 1);
  EXPECT_NE(short_one.err.find("invalid_request"), std::string::npos) << short_one.err;
  CliResult unknown = admin({"disable", "nobody@example.org"});
  EXPECT_EXIT_CODE(unknown, 1);
  EXPECT_NE(unknown.err.find("not_found"), std::string::npos) << unknown.err;
}

TEST_F(AdminCommandsTest, ExportIsOneJsonDocumentWithEveryMessage) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliResult dm = parley(ann, {"dm", bob.email});
  EXPECT_EXIT_CODE(dm, 0);
  const std::string chat = dm.trimmed();
  for (int i = 0; i < 5; ++i) EXPECT_EXIT_CODE(parley(ann, {"send", chat, "line " + std::to_string(i)}), 0);
  EXPECT_EXIT_CODE(parley(bob, {"send", chat, "from bob"}), 0);

  CliResult exported = admin({"export", ann.email});
  EXPECT_EXIT_CODE(exported, 0);
  json::value doc;
  ASSERT_NO_THROW(doc = json::parse(exported.out)) << exported.out;
  EXPECT_EQ(doc.at("user").at("user_id").as_string(), ann.user_id);
  EXPECT_EQ(doc.at("chats").as_array().size(), 1u);
  EXPECT_EQ(doc.at("devices").as_array().size(), 1u);
  const auto& messages = doc.at("messages").as_array();
  ASSERT_EQ(messages.size(), 5u) << exported.out;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].at("text").as_string(), "line " + std::to_string(i));
    EXPECT_EQ(messages[i].at("chat_id").as_string(), chat);
  }
  EXPECT_EQ(exported.out.find("from bob"), std::string::npos);
  EXPECT_EXIT_CODE(admin({"export", "nobody@example.org"}), 1);
}

TEST_F(AdminCommandsTest, DeleteNeedsYesAndErasesTheUser) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliResult dm = parley(ann, {"dm", bob.email});
  const std::string chat = dm.trimmed();
  EXPECT_EXIT_CODE(parley(ann, {"send", chat, "private words"}), 0);

  CliResult unconfirmed = admin({"delete", ann.email});
  EXPECT_EXIT_CODE(unconfirmed, 2);
  EXPECT_NE(unconfirmed.err.find("--yes"), std::string::npos) << unconfirmed.err;
  EXPECT_EXIT_CODE(parley(ann, {"chats"}), 0);  // nothing happened

  CliResult deleted = admin({"delete", ann.email, "--yes"});
  EXPECT_EXIT_CODE(deleted, 0);
  EXPECT_NE(deleted.out.find("1 messages erased"), std::string::npos) << deleted.out;
  EXPECT_EXIT_CODE(parley(ann, {"chats"}), 3);
  CliResult history = parley(bob, {"--json", "history", chat});
  EXPECT_EXIT_CODE(history, 0);
  EXPECT_EQ(history.out.find("private words"), std::string::npos) << history.out;
  CliResult again = admin({"delete", ann.email, "--yes"});
  EXPECT_EXIT_CODE(again, 1);
  EXPECT_NE(again.err.find("not_found"), std::string::npos) << again.err;
  // The e-mail is free again.
  CliUser reborn{ann.email, "another password", "ann again", fresh_config_home("reborn"), {}};
  EXPECT_EXIT_CODE(parley(reborn, {"signup", ann.email, "--password", "another password"}), 0);
}

}  // namespace
}  // namespace parley::testing
