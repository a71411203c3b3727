#pragma once
// Base fixture of the CLI tests: one fresh parleyd per test (ServerProcess,
// from tests/integration) and, per user, a private XDG_CONFIG_HOME under a
// temp dir, so each CliUser is one `parley` installation (one device).
// Everything goes through the real `parley` binary except where a test needs
// a second, programmatic party (clients/lib), e.g. to send typing frames.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "cli_process.h"
#include "lib/session.h"
#include "server_process.h"

namespace parley::testing {

namespace json = boost::json;

// Generous: the machine is shared; a test only waits this long when it fails.
inline constexpr Ms kWait{15000};

struct CliUser {
  std::string email;
  std::string password;
  std::string name;
  std::string config_home;  // its XDG_CONFIG_HOME
  std::string user_id;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  ServerProcess& server() { return *server_; }
  std::string server_url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  // A user signed up (and, when `login`, logged in) through the CLI.
  CliUser new_user(const std::string& name, bool login = true);
  // A fresh config home for a user who is not logged in anywhere.
  std::string fresh_config_home(const std::string& label);

  // `parley --server URL args...` as `user`, to completion.
  CliResult parley(const CliUser& user, std::vector<std::string> args, const std::string& stdin_data = "");
  // Same with an explicit config home and no --server (the stored one, or given in args).
  CliResult parley_at(const std::string& config_home, const std::vector<std::string>& args,
                      const std::string& stdin_data = "");
  // A long-running `parley --server URL args...` (watch, chat) as `user`.
  std::unique_ptr<CliChild> spawn(const CliUser& user, std::vector<std::string> args);

  // A programmatic device of `user`, for what the CLI does not do (typing, reads).
  client::Session lib_session(const CliUser& user);

  static std::map<std::string, std::string> env_for(const std::string& config_home);

  std::unique_ptr<ServerProcess> server_;
  std::string root_;
  int users_made_ = 0;
};

// Fails the test with the command's output unless it exited with `code`.
#define EXPECT_EXIT_CODE(result, code) \
  EXPECT_EQ((result).exit_code, (code)) << "stdout:\n" << (result).out << "stderr:\n" << (result).err

// The objects of a stdout line set whose "type" is `type` (or all of them).
std::vector<json::object> objects_of_type(const std::vector<std::string>& lines, const std::string& type);

}  // namespace parley::testing
