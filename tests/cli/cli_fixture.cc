#include "cli_fixture.h"

#include <stdlib.h>

namespace parley::testing {

namespace fs = std::filesystem;

void CliTest::SetUp() {
  server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--threads", "2", "--login-address-burst", "0"});
  server_->start();
  std::string tmpl = (fs::temp_directory_path() / "parley-cli-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  root_ = tmpl;
}

void CliTest::TearDown() {
  server_.reset();
  if (std::getenv("PARLEY_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
}

std::string CliTest::fresh_config_home(const std::string& label) {
  const fs::path dir = fs::path(root_) / (label + "-" + std::to_string(++users_made_));
  fs::create_directories(dir);
  return dir.string();
}

std::map<std::string, std::string> CliTest::env_for(const std::string& config_home) {
  // A terminal-free, predictable environment: no tty, fixed home.
  return {{"XDG_CONFIG_HOME", config_home}, {"HOME", config_home}};
}

CliUser CliTest::new_user(const std::string& name, bool login) {
  CliUser u;
  u.name = name;
  u.email = name + "-" + std::to_string(users_made_ + 1) + "@example.org";
  u.password = "correct horse " + name;
  u.config_home = fresh_config_home(name);
  CliResult signup = parley(u, {"--json", "signup", u.email, "--name", name, "--password", u.password});
  EXPECT_EXIT_CODE(signup, 0);
  auto objects = signup.json_lines();
  if (objects.size() == 1) u.user_id = client::str_field(objects[0], "user_id");
  EXPECT_FALSE(u.user_id.empty()) << signup.out;
  if (login) {
    CliResult r = parley(u, {"login", u.email, "--password", u.password});
    EXPECT_EXIT_CODE(r, 0);
  }
  return u;
}

CliResult CliTest::parley(const CliUser& user, std::vector<std::string> args, const std::string& stdin_data) {
  args.insert(args.begin(), {"--server", server_url()});
  return run_cli(args, env_for(user.config_home), stdin_data);
}

CliResult CliTest::parley_at(const std::string& config_home, const std::vector<std::string>& args,
                             const std::string& stdin_data) {
  return run_cli(args, env_for(config_home), stdin_data);
}

std::unique_ptr<CliChild> CliTest::spawn(const CliUser& user, std::vector<std::string> args) {
  args.insert(args.begin(), {"--server", server_url()});
  return std::make_unique<CliChild>(args, env_for(user.config_home));
}

client::Session CliTest::lib_session(const CliUser& user) {
  return server_->client().login(user.email, user.password, "test device");
}

std::vector<json::object> objects_of_type(const std::vector<std::string>& lines, const std::string& type) {
  std::vector<json::object> out;
  for (const auto& line : lines) {
    json::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    if (type.empty() || client::str_field(v.as_object(), "type") == type) out.push_back(v.as_object());
  }
  return out;
}

}  // namespace parley::testing
