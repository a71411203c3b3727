// `parley chat`: the interactive conversation, driven through its stdin.
#include <signal.h>

#include <algorithm>

#include "cli_fixture.h"
#include "tcp_proxy.h"

namespace parley::testing {
namespace {

class ChatTest : public CliTest {
 protected:
  std::vector<std::string> history_texts(const CliUser& user, const std::string& chat) {
    std::vector<std::string> out;
    for (const auto& m : parley(user, {"--json", "history", chat}).json_lines()) {
      out.push_back(client::str_field(m, "text"));
    }
    return out;
  }

  static std::function<bool(const std::string&)> contains(const std::string& text) {
    return [text](const std::string& line) { return line.find(text) != std::string::npos; };
  }
};

TEST_F(ChatTest, ShowsHistoryThenTheLiveConversationAndSendsTypedLines) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "earlier message"}), 0);

  auto chat = spawn(bob, {"chat", "ann"});
  ASSERT_TRUE(chat->read_until(contains("] ann: earlier message"), kWait)) << chat->out_so_far() << chat->err();
  ASSERT_TRUE(chat->wait_stderr("chatting in @ann", kWait)) << chat->err();

  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "are you there?"}), 0);
  ASSERT_TRUE(chat->read_until(contains("] ann: are you there?"), kWait)) << chat->out_so_far();

  chat->write_stdin("yes, here\n");
  // Its own line comes back as part of the conversation.
  ASSERT_TRUE(chat->read_until(contains("] bob: yes, here"), kWait)) << chat->out_so_far() << chat->err();
  EXPECT_EQ(history_texts(ann, chat_id), (std::vector<std::string>{"earlier message", "are you there?", "yes, here"}));

  chat->write_stdin("/quit\n");
  EXPECT_EQ(chat->wait_exit(kWait), 0) << chat->err();
}

TEST_F(ChatTest, EndOfInputLeavesAfterEveryLineIsDelivered) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string group = parley(ann, {"group", "Pipes", bob.email}).trimmed();

  CliResult r = parley(bob, {"chat", "Pipes"}, "one\ntwo\n\nthree");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(history_texts(ann, group), (std::vector<std::string>{"one", "two", "three"})) << "once each, in order";
  // The echoes were shown before leaving.
  EXPECT_NE(r.out.find("bob: three"), std::string::npos) << r.out;

  CliResult j = parley(bob, {"--json", "chat", group, "--history", "2"}, "four\n/quit\nnot sent\n");
  EXPECT_EXIT_CODE(j, 0);
  auto messages = objects_of_type(j.lines(), "message");
  std::vector<std::string> texts;
  for (const auto& m : messages) texts.push_back(client::str_field(m, "text"));
  EXPECT_EQ(texts, (std::vector<std::string>{"two", "three", "four"}));
  EXPECT_EQ(objects_of_type(j.lines(), "ack").size(), 1u);
  EXPECT_EQ(history_texts(ann, group), (std::vector<std::string>{"one", "two", "three", "four"}));
}

TEST_F(ChatTest, ARefusedLineIsReportedAndTheChatGoesOn) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();
  CliResult r = parley(bob, {"chat", chat_id}, std::string(5000, 'x') + "\nfine\n");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.err.find("text_too_long"), std::string::npos) << r.err;
  EXPECT_EQ(history_texts(ann, chat_id), std::vector<std::string>{"fine"});
}

TEST_F(ChatTest, LinesTypedWhileDisconnectedAreDeliveredOnceAfterReconnecting) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  const std::string chat_id = parley(ann, {"dm", bob.email}).trimmed();
  TcpProxy proxy("127.0.0.1", server().port());
  auto chat = spawn(bob, {"chat", "ann", "--server", proxy.url()});
  ASSERT_TRUE(chat->wait_stderr("chatting in @ann", kWait)) << chat->err();
  chat->write_stdin("before\n");
  ASSERT_TRUE(chat->read_until(contains("] bob: before"), kWait)) << chat->out_so_far() << chat->err();

  proxy.drop_all();
  chat->write_stdin("typed during the outage\n");
  EXPECT_EXIT_CODE(parley(ann, {"send", chat_id, "missed while away"}), 0);
  ASSERT_TRUE(chat->wait_stderr("reconnected", kWait)) << chat->err();
  std::vector<std::string> seen;
  ASSERT_TRUE(chat->read_until(contains("] bob: typed during the outage"), kWait, &seen))
      << chat->out_so_far() << chat->err();
  chat->write_stdin("/quit\n");
  EXPECT_EQ(chat->wait_exit(kWait), 0) << chat->err();

  // Each exactly once; the two sent around the outage may be stored in either order.
  auto texts = history_texts(ann, chat_id);
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[0], "before");
  std::sort(texts.begin() + 1, texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{"before", "missed while away", "typed during the outage"}));
  // The message sent during the outage was filled in from history, once.
  const std::string out = chat->out_so_far();
  const auto first = out.find("ann: missed while away");
  EXPECT_NE(first, std::string::npos) << out;
  EXPECT_EQ(out.find("ann: missed while away", first + 1), std::string::npos) << out;
}

TEST_F(ChatTest, SigintLeavesCleanly) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  parley(ann, {"dm", bob.email});
  auto chat = spawn(bob, {"chat", ann.email});
  ASSERT_TRUE(chat->wait_stderr("chatting in @ann", kWait)) << chat->err();
  chat->signal(SIGINT);
  EXPECT_EQ(chat->wait_exit(kWait), 0) << chat->err();
}

}  // namespace
}  // namespace parley::testing
