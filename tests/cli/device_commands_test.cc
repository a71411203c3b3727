// devices, logout-device, passwd, rename through the real `parley` binary.
#include "cli_fixture.h"

namespace parley::testing {
namespace {

class DeviceCommandsTest : public CliTest {
 protected:
  // `user` logged in a second time, from another config home.
  std::string second_login(const CliUser& user, const std::string& device) {
    const std::string home = fresh_config_home(device);
    CliResult r = parley_at(
        home, {"--server", server_url(), "login", user.email, "--password", user.password, "--device", device});
    EXPECT_EXIT_CODE(r, 0);
    return home;
  }
};

TEST_F(DeviceCommandsTest, DevicesListsEveryLoginAndLogoutDeviceEndsOne) {
  CliUser ann = new_user("ann");
  const std::string phone_home = second_login(ann, "phone");
  CliResult listed = parley(ann, {"--json", "devices"});
  EXPECT_EXIT_CODE(listed, 0);
  auto devices = listed.json_lines();
  ASSERT_EQ(devices.size(), 2u) << listed.out;
  std::string phone_id;
  int current = 0;
  for (const auto& d : devices) {
    if (client::str_field(d, "name") == "phone") phone_id = client::str_field(d, "device_id");
    if (d.at("current").as_bool()) ++current;
  }
  ASSERT_FALSE(phone_id.empty()) << listed.out;
  EXPECT_EQ(current, 1);
  CliResult human = parley(ann, {"devices"});
  EXPECT_EXIT_CODE(human, 0);
  EXPECT_NE(human.out.find("(this device)"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("phone"), std::string::npos) << human.out;

  EXPECT_EXIT_CODE(parley(ann, {"logout-device", phone_id}), 0);
  CliResult revoked = parley_at(phone_home, {"chats"});
  EXPECT_EXIT_CODE(revoked, 3);
  EXPECT_NE(revoked.err.find("unauthorized"), std::string::npos) << revoked.err;
  EXPECT_EQ(parley(ann, {"--json", "devices"}).json_lines().size(), 1u);

  for (const std::string& bad : {phone_id, std::string("../../etc/passwd"), std::string("no such device")}) {
    CliResult r = parley(ann, {"logout-device", bad});
    EXPECT_EXIT_CODE(r, 1);
    EXPECT_NE(r.err.find("not_found"), std::string::npos) << r.err;
  }
}

TEST_F(DeviceCommandsTest, PasswdChangesThePasswordAndCanLogOutTheOthers) {
  CliUser ann = new_user("ann");
  const std::string phone_home = second_login(ann, "phone");
  CliResult wrong = parley(ann, {"passwd"}, "not the password\nnew password 123\n");
  EXPECT_EXIT_CODE(wrong, 1);
  EXPECT_NE(wrong.err.find("bad_credentials"), std::string::npos) << wrong.err;

  CliResult changed = parley(ann, {"passwd", "--logout-others"}, ann.password + "\nnew password 123\n");
  EXPECT_EXIT_CODE(changed, 0);
  EXPECT_NE(changed.out.find("Logged out 1 other device"), std::string::npos) << changed.out;
  EXPECT_EXIT_CODE(parley_at(phone_home, {"chats"}), 3);
  EXPECT_EXIT_CODE(parley(ann, {"chats"}), 0);
  EXPECT_EXIT_CODE(parley(ann, {"login", ann.email, "--password", "new password 123"}), 0);
}

TEST_F(DeviceCommandsTest, RenameChangesTheDisplayName) {
  CliUser ann = new_user("ann");
  EXPECT_EXIT_CODE(parley(ann, {"rename", "Ann Smith"}), 0);
  auto me = parley(ann, {"--json", "whoami"}).json_lines();
  ASSERT_EQ(me.size(), 1u);
  EXPECT_EQ(client::str_field(me[0], "display_name"), "Ann Smith");
  CliResult empty = parley(ann, {"rename", ""});
  EXPECT_EXIT_CODE(empty, 1);
  EXPECT_NE(empty.err.find("invalid_request"), std::string::npos) << empty.err;
}

}  // namespace
}  // namespace parley::testing
