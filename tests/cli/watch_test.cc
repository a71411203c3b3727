// `parley watch`: live output, resume without loss or repeats, events, and
// reconnection after the connection drops.
#include <signal.h>

#include "cli_fixture.h"
#include "tcp_proxy.h"

namespace parley::testing {
namespace {

class WatchTest : public CliTest {
 protected:
  // Reads `watch --json` output until a message with `text` arrives; every
  // message seen on the way is appended to `messages`.
  static bool read_until_text(CliChild& watch, const std::string& text, std::vector<json::object>& messages) {
    return watch.read_until(
        [&](const std::string& line) {
          auto objs = objects_of_type({line}, "message");
          if (objs.empty()) return false;
          messages.push_back(objs[0]);
          return client::str_field(objs[0], "text") == text;
        },
        kWait);
  }

  static std::vector<std::string> texts(const std::vector<json::object>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(client::str_field(m, "text"));
    return out;
  }
};

TEST_F(WatchTest, PrintsLiveMessagesAndResumesWithoutLossOrRepeats) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();

  auto watch = spawn(bob, {"watch", "--json"});
  ASSERT_TRUE(watch->wait_stderr("\"connected\"", kWait)) << watch->err();
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "live 1"}), 0);
  std::vector<json::object> first;
  ASSERT_TRUE(read_until_text(*watch, "live 1", first)) << watch->out_so_far() << watch->err();
  EXPECT_EQ(texts(first), std::vector<std::string>{"live 1"});
  EXPECT_EQ(client::str_field(first[0], "chat_id"), chat_id);
  EXPECT_EQ(client::str_field(first[0], "sender_id"), ann.user_id);
  EXPECT_FALSE(client::str_field(first[0], "cursor").empty());

  watch->signal(SIGTERM);
  EXPECT_EQ(watch->wait_exit(kWait), 0) << watch->err();

  // Sent while nobody watches: the next watch must show exactly these, once.
  for (const char* text : {"missed 1", "missed 2", "missed 3"})
    EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, text}), 0);
  const std::string group = parley(ann, {"group", "Later", bob.email}).trimmed();
  EXPECT_EXIT_CODE(parley(ann, {"send", group, "missed in group"}), 0);

  auto again = spawn(bob, {"watch", "--json"});
  std::vector<json::object> resumed;
  ASSERT_TRUE(read_until_text(*again, "missed in group", resumed)) << again->out_so_far() << again->err();
  // A live message after the backlog: any repeat would have come before it.
  ASSERT_TRUE(again->wait_stderr("\"connected\"", kWait));
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "after restart"}), 0);
  ASSERT_TRUE(read_until_text(*again, "after restart", resumed)) << again->out_so_far();
  EXPECT_EQ(texts(resumed),
            (std::vector<std::string>{"missed 1", "missed 2", "missed 3", "missed in group", "after restart"}));
  again->signal(SIGINT);
  EXPECT_EQ(again->wait_exit(kWait), 0) << again->err();

  // And a third watch has nothing to catch up on.
  auto third = spawn(bob, {"watch", "--json"});
  ASSERT_TRUE(third->wait_stderr("\"connected\"", kWait));
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "third"}), 0);
  std::vector<json::object> last;
  ASSERT_TRUE(read_until_text(*third, "third", last));
  EXPECT_EQ(texts(last), std::vector<std::string>{"third"});
  third->signal(SIGTERM);
  EXPECT_EQ(third->wait_exit(kWait), 0);
}

TEST_F(WatchTest, PrintsPresenceTypingReceiptsAndChatEvents) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliUser carol = new_user("carol");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();
  EXPECT_EXIT_CODE(parley(bob, {"send", chat_id, "hi ann"}), 0);

  auto watch = spawn(bob, {"watch"});  // human output
  ASSERT_TRUE(watch->wait_stderr("watching", kWait)) << watch->err();
  client::Session ann_lib = lib_session(ann);
  auto ws = ann_lib.connect_ws();
  ws->send(json::object{{"type", "typing"}, {"chat_id", chat_id}});
  ws->send(json::object{{"type", "read"}, {"chat_id", chat_id}, {"seq", 1}});
  ASSERT_TRUE(ws->flush());
  const std::string group = parley(ann, {"group", "Crew", bob.email, carol.email}).trimmed();

  bool online = false, typing = false, receipt = false, created = false;
  std::vector<std::string> seen;
  EXPECT_TRUE(watch->read_until(
      [&](const std::string& line) {
        online = online || line.find("ann is online") != std::string::npos;
        typing = typing || line.find("@ann ann is typing") != std::string::npos;
        receipt = receipt || line.find("@ann ann read up to #1") != std::string::npos;
        created =
            created || (line.find("new group #Crew") != std::string::npos && line.find(group) != std::string::npos);
        return online && typing && receipt && created;
      },
      kWait, &seen))
      << "online " << online << " typing " << typing << " receipt " << receipt << " created " << created << "\n"
      << watch->out_so_far();
  for (const auto& line : seen) EXPECT_EQ(line.front(), '[') << "every line starts with the time: " << line;

  EXPECT_EXIT_CODE(parley(ann, {"send", "Crew", "welcome aboard"}), 0);
  EXPECT_TRUE(watch->read_until(
      [](const std::string& line) { return line.find("#Crew ann: welcome aboard") != std::string::npos; }, kWait))
      << watch->out_so_far();
  ann_lib.remove_member(group, carol.user_id);
  EXPECT_TRUE(watch->read_until(
      [](const std::string& line) { return line.find("#Crew: carol is no longer a member") != std::string::npos; },
      kWait))
      << watch->out_so_far();

  ws->close();
  watch->signal(SIGTERM);
  EXPECT_EQ(watch->wait_exit(kWait), 0) << watch->err();
}

TEST_F(WatchTest, ReconnectsWhenTheConnectionDropsAndMissesNothing) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();
  TcpProxy proxy("127.0.0.1", server().port());

  // The later --server wins over the fixture's.
  auto watch = spawn(bob, {"watch", "--json", "--server", proxy.url()});
  ASSERT_TRUE(watch->wait_stderr("\"connected\"", kWait)) << watch->err();
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "before the drop"}), 0);
  std::vector<json::object> messages;
  ASSERT_TRUE(read_until_text(*watch, "before the drop", messages)) << watch->out_so_far() << watch->err();

  const int accepted = proxy.accepted();
  proxy.drop_all();
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "during the drop"}), 0);
  ASSERT_TRUE(watch->wait_stderr("\"disconnected\"", kWait)) << watch->err();
  ASSERT_TRUE(watch->wait_stderr("reconnected", kWait)) << watch->err();
  EXPECT_GT(proxy.accepted(), accepted);
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "after the drop"}), 0);
  ASSERT_TRUE(read_until_text(*watch, "after the drop", messages)) << watch->out_so_far() << watch->err();
  EXPECT_EQ(texts(messages), (std::vector<std::string>{"before the drop", "during the drop", "after the drop"}));

  watch->signal(SIGTERM);
  EXPECT_EQ(watch->wait_exit(kWait), 0) << watch->err();
}

TEST_F(WatchTest, ExitsWithCode3WhenTheDeviceIsLoggedOutElsewhere) {
  CliUser bob = new_user("bob");
  auto watch = spawn(bob, {"watch"});
  ASSERT_TRUE(watch->wait_stderr("watching", kWait)) << watch->err();
  // The same device logs out through its token (as `parley logout` in another terminal would).
  EXPECT_EXIT_CODE(parley(bob, {"logout"}), 0);
  EXPECT_EQ(watch->wait_exit(kWait), 3) << watch->err();
  EXPECT_NE(watch->err().find("not_logged_in"), std::string::npos) << watch->err();
}

}  // namespace
}  // namespace parley::testing
