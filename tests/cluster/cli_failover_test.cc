// The `parley` CLI (the real binary, tests/cli/cli_process.h) on a real
// 3-node cluster when its node dies: while the ring still names the dead node
// (ZooKeeper's session timeout has not passed), the route answered by a
// surviving node names it, and the CLI connects to that surviving node
// instead of waiting for the ring, resuming with its cursor.

#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>

#include <boost/json.hpp>

#include "cli/cli_process.h"
#include "parleyd_cluster.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;
using client::Session;
using client::str_field;
constexpr Ms kWait{15000};

// A private XDG_CONFIG_HOME: one `parley` installation, one device.
class ConfigHome {
 public:
  ConfigHome() {
    std::string tmpl = (fs::temp_directory_path() / "parley-cluster-cli-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  }
  ~ConfigHome() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::map<std::string, std::string> env() const { return {{"XDG_CONFIG_HOME", dir_}, {"HOME", dir_}}; }

 private:
  std::string dir_;
};

// Reads `watch --json` until a message with `text`; appends every message text on the way.
bool read_until_text(CliChild& watch, const std::string& text, std::vector<std::string>& texts) {
  return watch.read_until(
      [&](const std::string& line) {
        boost::json::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (ec || !v.is_object() || str_field(v.as_object(), "type") != "message") return false;
        texts.push_back(str_field(v.as_object(), "text"));
        return texts.back() == text;
      },
      kWait);
}

TEST(ClusterCliFailoverTest, AfterKill9TheCliResumesOnALiveNodeWhileTheRingStillNamesTheDeadOne) {
  // The ring holds a dead node for a minute: longer than this test waits.
  ParleydCluster cluster(3, {"--zookeeper-session", "60"});
  Session sender = cluster.new_session(0, "sender");
  // A user whose home is node 1, signed up with a known password for the CLI's login.
  const std::string password = "correct horse battery";
  std::string email;
  std::optional<Session> receiver;
  for (int i = 0; i < 64 && !receiver; ++i) {
    email = "cli-" + std::to_string(i) + "-" + std::to_string(::getpid()) + "@example.com";
    auto c = cluster.client(0);
    c.signup(email, password, "watcher");
    Session s = c.login(email, password, "probe");
    if (cluster.agreed_home(s) == cluster.node_id(1)) receiver.emplace(std::move(s));
  }
  ASSERT_TRUE(receiver) << "no user homed on node 1 in 64 tries";
  const std::string chat = sender.create_direct(receiver->user_id()).chat_id;

  ConfigHome home;
  const std::string dead_url = cluster.url(1);
  CliResult login = run_cli({"--server", dead_url, "login", email, "--password", password}, home.env());
  ASSERT_EQ(login.exit_code, 0) << login.err;
  CliChild watch({"--server", dead_url, "watch", "--json"}, home.env());
  ASSERT_TRUE(watch.wait_stderr("watching " + dead_url, kWait)) << watch.err();

  std::vector<std::string> texts;
  sender.send(chat, "m-before", "before");
  ASSERT_TRUE(read_until_text(watch, "before", texts)) << watch.out_so_far() << watch.err();

  cluster.node(1).kill9();
  // Acknowledged by the live nodes while the watch is away.
  for (int i = 0; i < 3; ++i) {
    cluster.on_node(sender, i % 2 == 0 ? 0 : 2)
        .send(chat, "m-during-" + std::to_string(i), "during " + std::to_string(i));
  }
  ASSERT_TRUE(watch.wait_stderr("reconnected to ", kWait)) << watch.err();
  const std::string err = watch.err();
  const bool on_live_node = err.find("reconnected to " + cluster.url(0)) != std::string::npos ||
                            err.find("reconnected to " + cluster.url(2)) != std::string::npos;
  EXPECT_TRUE(on_live_node) << err;
  // Back before the ring dropped the dead node: the survivors still name it.
  EXPECT_EQ(cluster.home_reported_by(0, *receiver), cluster.node_id(1));
  EXPECT_EQ(cluster.home_reported_by(2, *receiver), cluster.node_id(1));

  cluster.on_node(sender, 2).send(chat, "m-after", "after");
  ASSERT_TRUE(read_until_text(watch, "after", texts)) << watch.out_so_far() << watch.err();
  EXPECT_EQ(texts, (std::vector<std::string>{"before", "during 0", "during 1", "during 2", "after"}))
      << "every message missed, exactly once and in order";
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait_exit(kWait), 0) << watch.err();
}

}  // namespace
}  // namespace parley::testing
