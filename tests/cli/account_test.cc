// signup, login, logout, whoami, and the failures around them, through the
// real `parley` binary.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_fixture.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

class AccountTest : public CliTest {};

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

json::object read_json(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream buf;
  buf << in.rdbuf();
  return json::parse(buf.str()).as_object();
}

TEST_F(AccountTest, SignupThenLoginStoresTheTokenPrivately) {
  CliUser ann = new_user("ann", /*login=*/false);
  const fs::path dir = fs::path(ann.config_home) / "parley";
  EXPECT_FALSE(fs::exists(dir / "login.json"));

  CliResult login = parley(ann, {"--json", "login", ann.email, "--password", ann.password, "--device", "laptop"});
  EXPECT_EXIT_CODE(login, 0);
  auto out = login.json_lines();
  ASSERT_EQ(out.size(), 1u) << login.out;
  EXPECT_EQ(client::str_field(out[0], "user_id"), ann.user_id);
  EXPECT_EQ(client::str_field(out[0], "server"), server_url());
  EXPECT_FALSE(out[0].contains("token")) << "the token is not printed";

  ASSERT_TRUE(fs::exists(dir / "login.json"));
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir / "login.json"), 0600u);
  json::object stored = read_json(dir / "login.json");
  EXPECT_EQ(client::str_field(stored, "user_id"), ann.user_id);
  EXPECT_EQ(client::str_field(stored, "server"), server_url());
  EXPECT_FALSE(client::str_field(stored, "token").empty());
  EXPECT_FALSE(client::str_field(stored, "device_id").empty());

  // The stored server is the default from now on: no --server needed.
  CliResult who = parley_at(ann.config_home, {"--json", "whoami"});
  EXPECT_EXIT_CODE(who, 0);
  auto me = who.json_lines();
  ASSERT_EQ(me.size(), 1u);
  EXPECT_EQ(client::str_field(me[0], "email"), ann.email);
  EXPECT_EQ(client::str_field(me[0], "display_name"), "ann");
  EXPECT_EQ(client::str_field(me[0], "device_id"), client::str_field(stored, "device_id"));
}

TEST_F(AccountTest, PasswordComesFromStdinWhenNotATerminal) {
  CliUser bob = new_user("bob", /*login=*/false);
  CliResult login = parley(bob, {"login", bob.email}, bob.password + "\nignored second line\n");
  EXPECT_EXIT_CODE(login, 0);
  EXPECT_NE(login.out.find("Logged in as bob"), std::string::npos) << login.out;

  CliUser carol;
  carol.email = "carol-stdin@example.org";
  carol.config_home = fresh_config_home("carol");
  CliResult signup = parley(carol, {"signup", carol.email}, "a long enough password\n");
  EXPECT_EXIT_CODE(signup, 0);
  EXPECT_EXIT_CODE(parley(carol, {"login", carol.email}, "a long enough password\n"), 0);
}

TEST_F(AccountTest, WrongPasswordFailsWithTheServersErrorCode) {
  CliUser ann = new_user("ann", /*login=*/false);
  CliResult r = parley(ann, {"login", ann.email, "--password", "not the password"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_NE(r.err.find("bad_credentials"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_FALSE(fs::exists(fs::path(ann.config_home) / "parley" / "login.json"));

  // With --json the error on stderr is a JSON object too.
  CliResult j = parley(ann, {"--json", "login", ann.email, "--password", "not the password"});
  EXPECT_EXIT_CODE(j, 1);
  json::object err = json::parse(j.err).as_object();
  EXPECT_EQ(client::str_field(err, "code"), "bad_credentials");
  EXPECT_EQ(client::int_field(err, "status"), 401);
  EXPECT_EQ(client::int_field(err, "exit_code"), 1);
}

TEST_F(AccountTest, SignupErrorsCarryTheServersCode) {
  CliUser ann = new_user("ann", /*login=*/false);
  CliResult again = parley(ann, {"signup", ann.email, "--password", "another password"});
  EXPECT_EXIT_CODE(again, 1);
  EXPECT_NE(again.err.find("email_taken"), std::string::npos) << again.err;

  CliResult short_pw = parley(ann, {"signup", "x-" + ann.email, "--password", "short"});
  EXPECT_EXIT_CODE(short_pw, 1);
  EXPECT_NE(short_pw.err.find("invalid_request"), std::string::npos) << short_pw.err;
}

TEST_F(AccountTest, CommandsNeedALoginExitCode3) {
  const std::string home = fresh_config_home("nobody");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"chats"},
                                               {"send", "x", "hi"},
                                               {"history", "x"},
                                               {"watch"},
                                               {"logout"},
                                               {"dm", "a@example.org"},
                                               {"chat", "x"}}) {
    std::vector<std::string> full = {"--server", server_url()};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = parley_at(home, full);
    EXPECT_EXIT_CODE(r, 3) << " for " << args[0];
    EXPECT_NE(r.err.find("not_logged_in"), std::string::npos) << r.err;
  }
}

TEST_F(AccountTest, LogoutRevokesTheTokenAndForgetsIt) {
  CliUser ann = new_user("ann");
  // A copy of the same login elsewhere: after logout the server refuses it.
  const std::string copy_home = fresh_config_home("copy");
  fs::create_directories(fs::path(copy_home) / "parley");
  fs::copy_file(fs::path(ann.config_home) / "parley" / "login.json", fs::path(copy_home) / "parley" / "login.json");

  CliResult out = parley(ann, {"logout"});
  EXPECT_EXIT_CODE(out, 0);
  EXPECT_FALSE(fs::exists(fs::path(ann.config_home) / "parley" / "login.json"));
  EXPECT_EXIT_CODE(parley(ann, {"chats"}), 3);

  CliResult revoked = parley_at(copy_home, {"chats"});
  EXPECT_EXIT_CODE(revoked, 3);
  EXPECT_NE(revoked.err.find("unauthorized"), std::string::npos) << revoked.err;
}

TEST_F(AccountTest, UnreachableServerExitCode4) {
  CliUser ann = new_user("ann");
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(free_port());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"chats"}, {"watch"}, {"send", "x", "hi"}, {"login", ann.email, "--password", "x"}}) {
    std::vector<std::string> full = {"--server", nowhere};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = parley_at(ann.config_home, full);
    EXPECT_EXIT_CODE(r, 4) << " for " << args[0];
    EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
  }
}

TEST_F(AccountTest, UsageErrorsExitCode2) {
  CliUser ann = new_user("ann");
  EXPECT_EXIT_CODE(parley(ann, {"history"}), 2);
  EXPECT_EXIT_CODE(parley(ann, {"history", "x", "--before", "3", "--after", "1"}), 2);
  EXPECT_EXIT_CODE(parley(ann, {"history", "x", "--limit", "0"}), 2);
  auto unknown = parley(ann, {"frobnicate"});
  EXPECT_EXIT_CODE(unknown, 2);
  EXPECT_NE(unknown.err.find("unknown command: frobnicate"), std::string::npos) << unknown.err;
  auto unknown_after_flag = parley(ann, {"--json", "frobnicate", "now"});
  EXPECT_EXIT_CODE(unknown_after_flag, 2);
  EXPECT_NE(unknown_after_flag.err.find("unknown command: frobnicate"), std::string::npos) << unknown_after_flag.err;
  EXPECT_EXIT_CODE(parley_at(ann.config_home, {"--server", "https://example.org", "chats"}), 2);
  EXPECT_EXIT_CODE(parley_at(ann.config_home, {"--help"}), 0);
}

}  // namespace
}  // namespace parley::testing
