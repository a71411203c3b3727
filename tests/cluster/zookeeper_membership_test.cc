// ZooKeeperMembership against the binary's private ZooKeeper: nodes see each
// other, leave at once, vanish after their session times out when their
// process dies (moving only their users), register again after a session
// expiry, never share a node id, and refuse hostile names before connecting.
// Each test uses its own root, so tests never see each other's nodes.

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/zookeeper_membership.h"
#include "poll_until.h"
#include "services.h"

namespace parley::cluster {
namespace {

using namespace std::chrono_literals;
using parley::testing::cluster_services;

// Generous: the machine is shared; a test only waits this long when it fails.
constexpr auto kWait = 30s;
// Short, so that a dead node leaves the ring quickly; the harness's ZooKeeper
// accepts sessions from 1 s.
constexpr auto kSessionTimeout = 2000ms;

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = kWait) {
  return parley::testing::poll_until(condition, limit, 20ms);
}

std::string test_root() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return "/parley-test/" + std::string(info->name()) + "-" + std::to_string(::getpid());
}

MembershipConfig config_for(const std::string& id, const std::string& root) {
  MembershipConfig c;
  c.zookeeper = cluster_services().zookeeper();
  c.root = root;
  c.node_id = id;
  c.advertise_url = "http://127.0.0.1:" + std::to_string(8000 + id.size()) + "/" + id;
  c.session_timeout = kSessionTimeout;
  c.start_timeout = kWait;
  return c;
}

// Collects log lines and member lists from the membership thread.
struct Observer {
  std::mutex mu;
  std::vector<std::string> logs;
  std::vector<std::vector<Member>> lists;

  void attach(MembershipConfig& c) {
    c.log = [this](std::string_view line) {
      std::lock_guard lk(mu);
      logs.emplace_back(line);
    };
  }
  ZooKeeperMembership::MembersCallback callback() {
    return [this](const std::vector<Member>& members) {
      std::lock_guard lk(mu);
      lists.push_back(members);
    };
  }
  bool logged(const std::string& part) {
    std::lock_guard lk(mu);
    for (const auto& l : logs) {
      if (l.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

std::vector<std::string> ids_of(const HashRing& ring) {
  std::vector<std::string> ids;
  for (const auto& m : ring.members()) ids.push_back(m.id);
  return ids;
}

bool ring_is(const ZooKeeperMembership& m, const std::vector<std::string>& ids) {
  return ids_of(*m.ring()) == ids;
}

std::map<std::string, std::string> owners(const HashRing& ring, int users = 30'000) {
  std::map<std::string, std::string> out;
  for (int i = 0; i < users; ++i) {
    const std::string u = "user-" + std::to_string(i);
    const Member* m = ring.owner(u);
    out[u] = m ? m->id : "";
  }
  return out;
}

int thread_count() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

// A node in a child process: registers, reports "up" on a pipe, and waits to
// be killed without ever closing its session. Forked while this process has
// one thread, so the child's copy of the heap is consistent.
class ChildNode {
 public:
  ChildNode(const std::string& id, const std::string& root) {
    if (thread_count() != 1) throw std::logic_error("fork needs a single-threaded test process");
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      ::close(fds[0]);
      try {
        auto c = config_for(id, root);
        c.log = [](std::string_view) {};
        ZooKeeperMembership node(c);
        node.start();
        const char up = 'u';
        if (::write(fds[1], &up, 1) != 1) ::_exit(2);
        for (;;) ::pause();
      } catch (...) {
        ::_exit(1);
      }
    }
    ::close(fds[1]);
    pollfd p{fds[0], POLLIN, 0};
    char up = 0;
    const bool ok = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kWait).count())) == 1 &&
                    ::read(fds[0], &up, 1) == 1 && up == 'u';
    ::close(fds[0]);
    if (!ok) {
      kill();
      throw std::runtime_error("child node " + id + " did not register");
    }
  }
  ~ChildNode() { kill(); }
  ChildNode(const ChildNode&) = delete;
  ChildNode& operator=(const ChildNode&) = delete;

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// The standard trick: a second handle on the same session, closed, ends the
// session on the server; the node's own handle then finds it expired.
void force_expiry(const ZooKeeperMembership::SessionCredentials& session) {
  clientid_t id{};
  id.client_id = session.id;
  std::copy(session.password.begin(), session.password.end(), id.passwd);
  zhandle_t* twin = zookeeper_init(cluster_services().zookeeper().c_str(), nullptr,
                                   static_cast<int>(kSessionTimeout.count()), &id, nullptr, 0);
  ASSERT_NE(twin, nullptr);
  EXPECT_TRUE(eventually([&] { return zoo_state(twin) == ZOO_CONNECTED_STATE; }));
  zookeeper_close(twin);
}

bool has_new_session(const ZooKeeperMembership& m, std::int64_t old_id) {
  const auto now = m.session();
  return now && now->id != old_id && m.state() == SessionState::connected;
}

// Expires `m`'s session `old` and waits for m's next one. The server hands a
// session to its latest connection: m's client, reconnecting between the
// twin's connect and its close, can take the session back before the twin
// closes it (then nothing expires), so the expiry is forced again until a
// new session shows.
bool expire_and_wait_for_a_new_session(const ZooKeeperMembership& m,
                                       const ZooKeeperMembership::SessionCredentials& old) {
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    force_expiry(old);
    if (eventually([&] { return has_new_session(m, old.id); }, 10s)) return true;
  }
  return false;
}

TEST(ZooKeeperMembership, ThreeNodesSeeEachOther) {
  const auto root = test_root();
  Observer seen;
  std::vector<std::unique_ptr<ZooKeeperMembership>> nodes;
  for (const char* id : {"node-a", "node-b", "node-c"}) {
    auto c = config_for(id, root);
    nodes.push_back(std::make_unique<ZooKeeperMembership>(c, id == std::string("node-a") ? seen.callback() : nullptr));
    nodes.back()->start();
    EXPECT_TRUE(nodes.back()->registered());
    EXPECT_EQ(nodes.back()->state(), SessionState::connected);
    EXPECT_NE(nodes.back()->ring()->find(id), nullptr) << "start() returns once the node is in its own ring";
  }
  const std::vector<std::string> all{"node-a", "node-b", "node-c"};
  for (const auto& n : nodes) {
    ASSERT_TRUE(eventually([&] { return ring_is(*n, all); })) << n->config().node_id;
  }
  // Every node maps every user to the same member, with the member's URL.
  const auto expected = owners(*nodes[0]->ring(), 3'000);
  for (const auto& n : nodes) EXPECT_EQ(owners(*n->ring(), 3'000), expected);
  const Member* b = nodes[0]->ring()->find("node-b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->url, nodes[1]->config().advertise_url);
  // The callback saw the full list.
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(seen.mu);
    return !seen.lists.empty() && seen.lists.back().size() == 3;
  }));
}

TEST(ZooKeeperMembership, LeaveRemovesTheNodeAtOnce) {
  const auto root = test_root();
  ZooKeeperMembership a(config_for("a", root)), b(config_for("b", root)), c(config_for("c", root));
  a.start();
  b.start();
  c.start();
  ASSERT_TRUE(eventually([&] { return ring_is(a, {"a", "b", "c"}) && ring_is(b, {"a", "b", "c"}); }));

  ASSERT_TRUE(b.leave());
  // Out of its own ring before the znode went, and not registered any more.
  EXPECT_EQ(b.ring()->find("b"), nullptr);
  EXPECT_FALSE(b.registered());
  // The others see it at once (a watch, not a session timeout: well under it
  // would be a timing assertion, so only the outcome is checked).
  EXPECT_TRUE(eventually([&] { return ring_is(a, {"a", "c"}) && ring_is(c, {"a", "c"}); }));
  EXPECT_TRUE(ring_is(b, {"a", "c"}));
}

TEST(ZooKeeperMembership, AfterLeaveANewSessionDoesNotRegisterAgain) {
  const auto root = test_root();
  ZooKeeperMembership a(config_for("a", root)), b(config_for("b", root));
  a.start();
  b.start();
  ASSERT_TRUE(b.leave());
  const auto old = b.session();
  ASSERT_TRUE(old.has_value());
  ASSERT_TRUE(expire_and_wait_for_a_new_session(b, *old));
  // A node joining now: once b's new session has read it, b has passed the
  // point where it would have registered again (registration comes first).
  ZooKeeperMembership c(config_for("c", root));
  c.start();
  ASSERT_TRUE(eventually([&] { return ring_is(b, {"a", "c"}); }));
  EXPECT_FALSE(b.registered());
  ASSERT_TRUE(eventually([&] { return ring_is(a, {"a", "c"}); }));
}

TEST(ZooKeeperMembership, StopClosesTheSessionAndTheNodeLeavesAtOnce) {
  const auto root = test_root();
  ZooKeeperMembership a(config_for("a", root));
  auto cb = config_for("b", root);
  cb.session_timeout = 60s;  // the server's maximum: only the closed session can explain a quick exit
  ZooKeeperMembership b(cb);
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return ring_is(a, {"a", "b"}); }));
  b.stop();
  EXPECT_TRUE(eventually([&] { return ring_is(a, {"a"}); }, 30s));
}

TEST(ZooKeeperMembership, DeadProcessLeavesAfterSessionTimeoutMovingOnlyItsUsers) {
  const auto root = test_root();
  ChildNode doomed("doomed", root);  // first: forks while single-threaded
  ZooKeeperMembership a(config_for("alive-a", root)), b(config_for("alive-b", root));
  a.start();
  b.start();
  const std::vector<std::string> three{"alive-a", "alive-b", "doomed"};
  ASSERT_TRUE(eventually([&] { return ring_is(a, three) && ring_is(b, three); }));
  const auto before = owners(*a.ring());

  doomed.kill();  // SIGKILL: no leave, no session close
  const std::vector<std::string> two{"alive-a", "alive-b"};
  ASSERT_TRUE(eventually([&] { return ring_is(a, two) && ring_is(b, two); }));
  const auto after = owners(*a.ring());
  EXPECT_EQ(owners(*b.ring()), after);
  int moved = 0;
  for (const auto& [user, owner] : before) {
    if (owner == "doomed") {
      ++moved;
      EXPECT_NE(after.at(user), "doomed");
    } else {
      EXPECT_EQ(after.at(user), owner) << user << " moved although its node lives";
    }
  }
  EXPECT_GT(moved, 0);
}

TEST(ZooKeeperMembership, ForcedSessionExpiryRegistersAgain) {
  const auto root = test_root();
  Observer seen;
  auto ca = config_for("a", root);
  seen.attach(ca);
  ZooKeeperMembership a(ca), b(config_for("b", root));
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return ring_is(b, {"a", "b"}); }));
  const auto old = a.session();
  ASSERT_TRUE(old.has_value());

  ASSERT_TRUE(expire_and_wait_for_a_new_session(a, *old));

  ASSERT_TRUE(eventually([&] { return seen.logged("session expired"); }));
  ASSERT_TRUE(eventually([&] { return has_new_session(a, old->id) && a.registered(); }));
  EXPECT_TRUE(eventually([&] { return ring_is(b, {"a", "b"}) && ring_is(a, {"a", "b"}); }));
}

TEST(ZooKeeperMembership, LiveTwinWithTheSameIdIsRefused) {
  const auto root = test_root();
  ZooKeeperMembership first(config_for("twin", root));
  first.start();
  auto c = config_for("twin", root);
  c.advertise_url = "http://127.0.0.1:9999";
  c.stale_registration_wait = 1500ms;
  Observer seen;
  seen.attach(c);
  ZooKeeperMembership second(c);
  try {
    second.start();
    FAIL() << "a second live node with one id started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("must not share an id"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(seen.logged("already registered"));
  // The first keeps its registration and its URL.
  EXPECT_TRUE(first.registered());
  ZooKeeperMembership observer(config_for("observer", root));
  observer.start();
  ASSERT_TRUE(eventually([&] { return ring_is(observer, {"observer", "twin"}); }));
  EXPECT_EQ(observer.ring()->find("twin")->url, first.config().advertise_url);
}

TEST(ZooKeeperMembership, RestartFasterThanSessionTimeoutWaitsForTheOldRegistration) {
  const auto root = test_root();
  ChildNode previous("phoenix", root);
  previous.kill();  // its session lives on until the timeout
  Observer seen;
  auto c = config_for("phoenix", root);
  seen.attach(c);
  ZooKeeperMembership again(c);
  again.start();  // waits for the old znode to vanish, then registers
  EXPECT_TRUE(again.registered());
  EXPECT_TRUE(seen.logged("already registered"));
  EXPECT_TRUE(ring_is(again, {"phoenix"}));
}

TEST(ZooKeeperMembership, HostileNamesAreRefusedBeforeConnecting) {
  const auto root = test_root();
  const std::string long_id(65, 'a');
  for (const std::string& id : {std::string(""), std::string("."), std::string(".."), std::string("../x"),
                                std::string("a/b"), std::string("%2e%2e"), std::string("a b"), std::string("a\0b", 3),
                                std::string("n\xc3\xa9"), std::string("\xff"), long_id}) {
    EXPECT_THROW(ZooKeeperMembership(config_for(id, root)), std::invalid_argument) << id;
  }
  for (const std::string& bad_root :
       {std::string(""), std::string("parley"), std::string("/"), std::string("/parley/"), std::string("//parley"),
        std::string("/parley/../x"), std::string("/parley/./x"), std::string("/a//b"), std::string("/zookeeper"),
        std::string("/zookeeper/quota"), std::string("/par ley"), std::string("/p\nx"), "/" + std::string(300, 'r')}) {
    EXPECT_THROW(ZooKeeperMembership(config_for("n", bad_root)), std::invalid_argument) << bad_root;
  }
  for (const std::string& url :
       {std::string(""), std::string("ftp://h:1"), std::string("http://"), std::string("http://:80"),
        std::string("javascript:alert(1)"), std::string("http://u:p@h:1"), std::string("http://h:1/ x"),
        std::string("http://h\r\n:1"), std::string("http://h/\"><script>"), "http://h/" + std::string(600, 'x')}) {
    auto c = config_for("n", root);
    c.advertise_url = url;
    EXPECT_THROW(ZooKeeperMembership{c}, std::invalid_argument) << url;
  }
  for (const std::string& hosts :
       {std::string(""), std::string("127.0.0.1"), std::string("127.0.0.1:0"), std::string("127.0.0.1:99999"),
        std::string("h:1/chroot"), std::string("h:1,"), std::string("h :1")}) {
    auto c = config_for("n", root);
    c.zookeeper = hosts;
    EXPECT_THROW(ZooKeeperMembership{c}, std::invalid_argument) << hosts;
  }
  // Good spellings pass.
  auto c = config_for("Node_1.eu-west", "/prod/chat.v2");
  c.advertise_url = "https://chat-1.example.com:8443";
  c.zookeeper = "zk1:2181,10.0.0.2:2181,[::1]:2181";
  EXPECT_NO_THROW(ZooKeeperMembership{c});
}

TEST(ZooKeeperMembership, UnreachableZooKeeperFailsStart) {
  auto c = config_for("lonely", test_root());
  c.zookeeper = "127.0.0.1:1";  // nothing listens on port 1
  c.start_timeout = 1500ms;
  c.log = [](std::string_view) {};
  ZooKeeperMembership m(c);
  EXPECT_THROW(m.start(), std::runtime_error);
  EXPECT_NE(m.state(), SessionState::connected);
}

}  // namespace
}  // namespace parley::cluster
