// At the open-file limit the server keeps descriptors for its store, keeps
// serving the connections it has, refuses new ones (logging that once a
// second, not once per refusal) and takes new ones again when room returns.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "fixture.h"

namespace parley::testing {
namespace {

class DescriptorLimitTest : public ParleyTest {
 protected:
  static constexpr unsigned long kOpenFileLimit = 400;

  void SetUp() override {
    PARLEY_SINGLE_NODE_ONLY("the limit is one process's");
    server_ = std::make_unique<ServerProcess>(server_flags());
    server_->set_open_file_limit(kOpenFileLimit);
    server_->start();
  }

  // A plain TCP connection; -1 when even connect() failed.
  int open_socket() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server().port());
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  static bool closed_by_peer(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char c;
    return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
  }

  std::size_t log_lines_containing(const std::string& needle) {
    std::ifstream log(server().log_path());
    std::size_t n = 0;
    for (std::string line; std::getline(log, line);) n += line.find(needle) != std::string::npos;
    return n;
  }
};

TEST_F(DescriptorLimitTest, RefusesNewConnectionsKeepsServingOldOnesAndRecovers) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  auto chat = alice.create_direct(bob.user_id()).chat_id;
  auto ws = connect(alice);
  auto bob_ws = connect(bob);
  ASSERT_TRUE(ws->send_and_wait(chat, cmid(), "before").ok());

  // Far more connections than descriptors.
  std::vector<int> flood;
  for (unsigned long i = 0; i < kOpenFileLimit + 200; ++i) {
    int fd = open_socket();
    if (fd >= 0) flood.push_back(fd);
  }
  std::size_t refused = 0;
  for (int fd : flood) refused += closed_by_peer(fd, 20);
  EXPECT_GT(refused, 0u) << "no connection was refused at the limit";

  // Connected devices still send, and the store still writes (and acks).
  for (int i = 0; i < 50; ++i) {
    auto r = ws->send_and_wait(chat, cmid("at-limit"), "while full");
    ASSERT_TRUE(r.ok()) << "send at the descriptor limit failed: " << json::serialize(r.frame);
  }
  auto delivered = bob_ws->next_message(kWait);
  EXPECT_TRUE(delivered.has_value());

  for (int fd : flood) ::close(fd);
  // Room again: new connections and a fresh device work.
  EXPECT_TRUE(eventually([&] {
    try {
      return server().http().get("/healthz").status == 200;
    } catch (...) {
      return false;
    }
  }));
  Session carol = new_session("carol");
  auto carol_ws = connect(carol);
  EXPECT_TRUE(carol_ws->is_open());
  EXPECT_EQ(alice.history(chat, {.limit = 200}).size(), 51u);

  // One warning a second at most, not one per refused connection.
  std::size_t warnings = log_lines_containing("refusing new ones") + log_lines_containing("accept failed");
  EXPECT_GE(warnings, 1u);
  EXPECT_LE(warnings, 10u) << "the log was flooded";
}

}  // namespace
}  // namespace parley::testing
