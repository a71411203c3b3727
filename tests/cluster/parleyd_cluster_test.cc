// A real cluster: three parleyd nodes on the binary's ZooKeeper, Redis and
// MariaDB, with clients spread over the nodes. What a single node promises
// must hold across nodes: every message reaches every device of every member
// exactly once, in seq order, whichever node each is connected to; seq stays
// gap-free with senders on every node; a device resumes on any node; every
// node names the same home for a user; membership changes made on one node
// hold on the others.

#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "integration/push_receiver.h"
#include "lib/ws_connection.h"
#include "parleyd_cluster.h"
#include "poll_until.h"
#include "services.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::Session;
using client::str_field;
using client::WsConnection;
constexpr Ms kWait{15000};

std::string cmid(const std::string& prefix) {
  static std::atomic<int> next{1};
  return prefix + "-" + std::to_string(next++);
}

// A WebSocket of the session's device to the node the session talks to.
std::unique_ptr<WsConnection> connect(Session& s, const std::optional<std::string>& cursor = std::nullopt) {
  return s.connect_ws(cursor);
}
std::unique_ptr<WsConnection> connect(Session&& s, const std::optional<std::string>& cursor = std::nullopt) {
  return s.connect_ws(cursor);
}

// Every message frame of `chat` until `count` arrived (or the wait ends), in arrival order.
std::vector<std::int64_t> receive_seqs(WsConnection& ws, const std::string& chat, std::size_t count) {
  std::vector<std::int64_t> seqs;
  while (seqs.size() < count) {
    auto m = ws.next_message(kWait, chat);
    if (!m) break;
    seqs.push_back(int_field(*m, "seq"));
  }
  return seqs;
}

// `stays` sends into the group through node 1 after `leaves` was removed;
// then node 1 sends `leaves` a direct message from `admin`. Node 1 publishes
// in order, so had the group message gone to `leaves`, it would arrive first.
// The group then holds the message from before the removal, the timeline
// line of the removal and this one.
void expect_a_send_after_the_removal_skips_it(ParleydCluster& cluster, const Session& admin, const Session& stays,
                                              const Session& leaves, const std::string& group_id,
                                              WsConnection& leaves_ws) {
  cluster.on_node(stays, 1).send(group_id, cmid("s"), "after");
  auto direct = cluster.on_node(admin, 1).create_direct(leaves.user_id());
  cluster.on_node(admin, 1).send(direct.chat_id, cmid("d"), "marker");
  auto next = leaves_ws.next_message(kWait);
  ASSERT_TRUE(next);
  EXPECT_EQ(str_field(*next, "chat_id"), direct.chat_id)
      << "a message sent after the removal reached the removed member";
  EXPECT_EQ(cluster.on_node(admin, 2).history(group_id).size(), 3u);
}

std::vector<std::int64_t> one_to(std::int64_t n) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = 1; i <= n; ++i) out.push_back(i);
  return out;
}

class ClusterNodesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new ParleydCluster(3); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  static ParleydCluster& cluster() { return *cluster_; }
  static inline ParleydCluster* cluster_ = nullptr;
};

TEST_F(ClusterNodesTest, HealthzReportsEveryDependencyAndTheRing) {
  for (std::size_t i = 0; i < cluster().size(); ++i) {
    auto response = cluster().node(i).http().get("/healthz");
    ASSERT_EQ(response.status, 200) << response.raw;
    auto body = response.json.as_object();
    EXPECT_EQ(body.at("node_id").as_string(), cluster().node_id(i));
    EXPECT_EQ(body.at("ring").as_array().size(), 3u);
    const auto& dependencies = body.at("dependencies").as_object();
    for (const char* name : {"zookeeper", "redis", "mariadb", "mariadb-shard-0", "mariadb-shard-1"}) {
      ASSERT_TRUE(dependencies.contains(name)) << name << " missing from " << response.raw;
      EXPECT_TRUE(dependencies.at(name).as_object().at("ok").as_bool()) << name;
    }
  }
}

TEST_F(ClusterNodesTest, EveryNodeNamesTheSameHomeForAUserAndItIsANodeOfTheRing) {
  std::map<std::string, int> homes;
  for (int u = 0; u < 12; ++u) {
    Session s = cluster().new_session(u % 3, "routed");
    const std::string home = cluster().agreed_home(s);
    ASSERT_FALSE(home.empty()) << "the nodes did not agree";
    auto response = cluster().on_node(s, 0).call("GET", "/v1/route");
    auto body = response.json.as_object();
    EXPECT_TRUE(body.at("cluster").as_bool());
    bool known = false;
    for (std::size_t i = 0; i < cluster().size(); ++i) {
      if (home == cluster().node_id(i)) {
        known = true;
        EXPECT_EQ(body.at("url").as_string(), cluster().url(i));
      }
    }
    EXPECT_TRUE(known) << home;
    ++homes[home];
  }
  EXPECT_GE(homes.size(), 2u) << "12 users all on one node: the ring does not spread";
  // Without a token there is no route: the ring is not for strangers to map.
  EXPECT_EQ(cluster().node(0).http().get("/v1/route").status, 401);
}

TEST_F(ClusterNodesTest, AMessageReachesEveryDeviceOfEveryMemberOnEveryNodeOnce) {
  Session alice = cluster().new_session(0, "alice");
  Session bob = cluster().new_session(1, "bob");
  Session carol = cluster().new_session(2, "carol");
  auto group = alice.create_group("three nodes", {bob.user_id(), carol.user_id()});
  // Devices on every node, two of Bob's on different nodes.
  auto alice_ws = connect(alice);
  auto bob_ws = connect(bob);
  Session bob_elsewhere = cluster().on_node(bob, 2);
  auto bob_ws2 = connect(bob_elsewhere);
  auto carol_ws = connect(carol);

  for (int i = 0; i < 5; ++i) {
    cluster().on_node(alice, i % 3).send(group.chat_id, cmid("a"), "from alice " + std::to_string(i));
    cluster().on_node(carol, (i + 1) % 3).send(group.chat_id, cmid("c"), "from carol " + std::to_string(i));
  }
  for (auto* ws : {alice_ws.get(), bob_ws.get(), bob_ws2.get(), carol_ws.get()}) {
    EXPECT_EQ(receive_seqs(*ws, group.chat_id, 10), one_to(10));
  }
  // And nothing twice: no 11th message frame shows up.
  alice.send(group.chat_id, cmid("a"), "last");
  for (auto* ws : {alice_ws.get(), bob_ws.get(), bob_ws2.get(), carol_ws.get()}) {
    EXPECT_EQ(receive_seqs(*ws, group.chat_id, 1), std::vector<std::int64_t>{11});
  }
}

// The seed's hardest case: writers on every node into one chat at once. Seq
// comes from each shard's transaction, so it is 1..N without gap or reuse,
// and every receiver, wherever connected, sees exactly 1..N in order.
TEST_F(ClusterNodesTest, SendersOnEveryNodeIntoOneChatKeepSeqGapFreeAndOrderedForEveryReceiver) {
  std::vector<Session> senders;
  for (std::size_t i = 0; i < 3; ++i) senders.push_back(cluster().new_session(i, "sender"));
  Session watcher = cluster().new_session(0, "watcher");
  auto group = senders[0].create_group("busy", {senders[1].user_id(), senders[2].user_id(), watcher.user_id()});
  std::vector<std::unique_ptr<WsConnection>> watchers;
  for (std::size_t i = 0; i < 3; ++i) watchers.push_back(connect(cluster().on_node(watcher, i)));

  constexpr int kPerSender = 40;
  std::vector<std::thread> threads;
  std::atomic<int> acked{0};
  for (std::size_t i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      auto ws = connect(senders[i]);
      for (int k = 0; k < kPerSender; ++k) {
        ws->send_message(group.chat_id, cmid("s" + std::to_string(i)), "m" + std::to_string(k));
      }
      for (int k = 0; k < kPerSender; ++k) {
        auto ack = ws->next_of_type("ack", kWait);
        if (ack) ++acked;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(acked.load(), 3 * kPerSender);

  const auto expected = one_to(3 * kPerSender);
  for (auto& ws : watchers) EXPECT_EQ(receive_seqs(*ws, group.chat_id, expected.size()), expected);
  // The store agrees, read through another node.
  std::vector<std::int64_t> stored;
  for (const auto& m : cluster().on_node(watcher, 2).history(group.chat_id, {.after = 0, .limit = 200})) {
    stored.push_back(m.seq);
  }
  EXPECT_EQ(stored, expected);
}

TEST_F(ClusterNodesTest, ADeviceResumesOnAnotherNodeWithItsCursorAndGetsWhatItMissedOnce) {
  Session alice = cluster().new_session(0, "alice");
  Session bob = cluster().new_session(1, "bob");
  auto direct = alice.create_direct(bob.user_id());
  auto group = alice.create_group("resume", {bob.user_id()});

  std::string cursor;
  {
    auto ws = connect(bob);  // node 1
    alice.send(direct.chat_id, cmid("a"), "seen");
    auto m = ws->next_message(kWait, direct.chat_id);
    ASSERT_TRUE(m);
    cursor = str_field(*m, "cursor");
  }
  // Missed while away: messages on both chats (both shards, most likely),
  // sent through every node.
  for (int i = 0; i < 6; ++i) {
    cluster().on_node(alice, i % 3).send(direct.chat_id, cmid("d"), "missed " + std::to_string(i));
    cluster().on_node(alice, (i + 1) % 3).send(group.chat_id, cmid("g"), "missed " + std::to_string(i));
  }
  auto ws = connect(cluster().on_node(bob, 2), cursor);
  auto backlog = ws->collect_backlog(kWait);
  ASSERT_TRUE(backlog);
  std::vector<std::int64_t> direct_seqs, group_seqs;
  for (const auto& m : backlog->messages) {
    (str_field(m, "chat_id") == direct.chat_id ? direct_seqs : group_seqs).push_back(int_field(m, "seq"));
  }
  EXPECT_EQ(direct_seqs, (std::vector<std::int64_t>{2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(group_seqs, one_to(6));
  // Live from here on, on the new node.
  alice.send(group.chat_id, cmid("g"), "live");
  EXPECT_EQ(receive_seqs(*ws, group.chat_id, 1), std::vector<std::int64_t>{7});
  const std::string last = ws->last_cursor();
  ws->close();
  // The newest cursor replays nothing, on yet another node.
  auto again = connect(cluster().on_node(bob, 0), last);
  auto empty = again->collect_backlog(kWait);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->messages.empty());
}

TEST_F(ClusterNodesTest, AMemberRemovedOnOneNodeGetsNothingSentAfterThroughAnother) {
  Session admin = cluster().new_session(0, "admin");
  Session stays = cluster().new_session(1, "stays");
  Session leaves = cluster().new_session(2, "leaves");
  auto group = admin.create_group("members", {stays.user_id(), leaves.user_id()});
  auto leaves_ws = connect(leaves);
  // Node 1 caches the chat by sending into it.
  cluster().on_node(stays, 1).send(group.chat_id, cmid("s"), "before");
  EXPECT_EQ(receive_seqs(*leaves_ws, group.chat_id, 1), std::vector<std::int64_t>{1});

  admin.remove_member(group.chat_id, leaves.user_id());  // on node 0
  // Node 1 learns of it (its cache is reloaded: the group has ended for the
  // removed member there), then its send must not reach them.
  ASSERT_TRUE(poll_until(
      [&] { return cluster().on_node(leaves, 1).find_chat(group.chat_id).value_or(client::ChatInfo{}).ended; }, kWait,
      Ms(50)));
  expect_a_send_after_the_removal_skips_it(cluster(), admin, stays, leaves, group.chat_id, *leaves_ws);
}

}  // namespace
}  // namespace parley::testing

namespace parley::testing {
namespace {

// Clusters whose nodes are stopped or killed: one cluster per test.
class ClusterFailoverTest : public ::testing::Test {};

std::size_t index_of_url(ParleydCluster& cluster, const std::string& url) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.node(i).running() && cluster.url(i) == url) return i;
  }
  return cluster.size();
}

// SIGTERM on a node: it leaves the ring, asks each device to move (to a node
// that is still in it), and exits 0; the devices that follow lose nothing.
TEST_F(ClusterFailoverTest, ADrainingNodeSendsEveryDeviceToALiveNodeAndExitsCleanly) {
  ParleydCluster cluster(3, {"--drain-seconds", "2"});
  Session sender = cluster.new_session(0, "sender");
  std::vector<Session> users;
  std::vector<std::unique_ptr<WsConnection>> sockets;
  std::vector<std::string> chats;
  for (int i = 0; i < 4; ++i) {
    users.push_back(cluster.new_session(2, "drained"));
    chats.push_back(sender.create_direct(users.back().user_id()).chat_id);
    sockets.push_back(connect(users.back()));  // all on node 2
  }
  ::kill(cluster.node(2).pid(), SIGTERM);
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    auto move = sockets[i]->next_of_type("move", kWait);
    ASSERT_TRUE(move) << "device " << i << " was not asked to move";
    const std::size_t target = index_of_url(cluster, str_field(*move, "url"));
    ASSERT_LT(target, 2u) << "moved to " << str_field(*move, "url");
    const std::string cursor = sockets[i]->last_cursor();
    sockets[i]->close();
    sockets[i] = connect(cluster.on_node(users[i], target), cursor);
  }
  EXPECT_EQ(cluster.node(2).terminate(), 0) << "a drained node exits 0";
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    sender.send(chats[i], cmid("after"), "after the move");
    EXPECT_EQ(receive_seqs(*sockets[i], chats[i], 1), std::vector<std::int64_t>{1});
  }
  EXPECT_TRUE(cluster.wait_ring_size(2));
}

// kill -9 of a node: after the session timeout the ring drops it, routes name
// live nodes, and its devices resume there with everything acknowledged.
TEST_F(ClusterFailoverTest, DevicesOfAKilledNodeResumeOnTheNodeTheRouteNamesAndLoseNothingAcked) {
  ParleydCluster cluster(3);
  Session sender = cluster.new_session(0, "sender");
  Session receiver = cluster.new_session(1, "receiver");
  auto direct = sender.create_direct(receiver.user_id());
  std::string cursor;
  {
    auto ws = connect(receiver);  // node 1
    cluster.on_node(sender, 1).send(direct.chat_id, cmid("m"), "before");
    ASSERT_EQ(receive_seqs(*ws, direct.chat_id, 1), std::vector<std::int64_t>{1});
    cursor = ws->last_cursor();
    cluster.node(1).kill9();
  }
  // Acked by the live nodes while node 1 is dead.
  for (int i = 0; i < 5; ++i) cluster.on_node(sender, i % 2 == 0 ? 0 : 2).send(direct.chat_id, cmid("m"), "during");
  ASSERT_TRUE(cluster.wait_ring_size(2));
  const std::string home = cluster.agreed_home(receiver);
  ASSERT_TRUE(home == cluster.node_id(0) || home == cluster.node_id(2)) << home;
  auto ws = connect(cluster.on_node(receiver, home == cluster.node_id(0) ? 0 : 2), cursor);
  auto backlog = ws->collect_backlog(kWait);
  ASSERT_TRUE(backlog);
  std::vector<std::int64_t> seqs;
  for (const auto& m : backlog->messages) seqs.push_back(int_field(m, "seq"));
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace parley::testing

namespace parley::testing {
namespace {

class ClusterDependencyTest : public ::testing::Test {};

// MariaDB down: sends are answered 503 `unavailable`, never acked, /healthz
// says which dependency is down; when MariaDB is back the same nodes serve
// again, without a restart.
TEST_F(ClusterDependencyTest, WithMariaDbDownSendsAreRefusedAndServiceReturnsByItself) {
  ParleydCluster cluster(2);
  Session alice = cluster.new_session(0, "alice");
  Session bob = cluster.new_session(1, "bob");
  auto direct = alice.create_direct(bob.user_id());
  alice.send(direct.chat_id, cmid("m"), "before");

  cluster_services().stop(ClusterServices::kMariaDb);
  auto refused = alice.call("POST", "/v1/chats/" + direct.chat_id + "/messages",
                            boost::json::object{{"client_msg_id", cmid("m")}, {"text", "during"}});
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_EQ(refused.error_code(), "unavailable");
  auto health = cluster.node(1).http().get("/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_FALSE(health.json.as_object().at("dependencies").as_object().at("mariadb").as_object().at("ok").as_bool());
  cluster_services().start(ClusterServices::kMariaDb);

  const std::string again = cmid("m");
  ASSERT_TRUE(poll_until(
      [&] {
        return alice
                   .call("POST", "/v1/chats/" + direct.chat_id + "/messages",
                         boost::json::object{{"client_msg_id", again}, {"text", "after"}})
                   .status == 200;
      },
      Ms(30000), Ms(200)));
  ASSERT_TRUE(poll_until([&] { return cluster.node(1).http().get("/healthz").status == 200; }, Ms(30000), Ms(200)));
  std::vector<std::int64_t> seqs;
  for (const auto& m : cluster.on_node(bob, 1).history(direct.chat_id, {.after = 0})) seqs.push_back(m.seq);
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{1, 2})) << "the refused send must not have been stored";
}

// The notice of a removal is lost (Redis was down when it was made), so
// another node still caches the chat with the removed member: its send is
// refused by the commit's version check, validated again against the chat as
// stored, and never reaches the removed member.
TEST_F(ClusterDependencyTest, AMemberRemovedWhileRedisWasDownGetsNothingSentAfter) {
  ParleydCluster cluster(3);
  Session admin = cluster.new_session(0, "admin");
  Session stays = cluster.new_session(1, "stays");
  Session leaves = cluster.new_session(2, "leaves");
  auto group = admin.create_group("members", {stays.user_id(), leaves.user_id()});
  auto leaves_ws = connect(leaves);
  cluster.on_node(stays, 1).send(group.chat_id, cmid("s"), "before");  // node 1 caches the chat
  ASSERT_EQ(receive_seqs(*leaves_ws, group.chat_id, 1), std::vector<std::int64_t>{1});

  cluster_services().stop(ClusterServices::kRedis);
  admin.remove_member(group.chat_id, leaves.user_id());  // on node 0; its notice goes nowhere
  cluster_services().start(ClusterServices::kRedis);
  auto redis_up_everywhere = [&] {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      try {
        auto body = cluster.node(i).http().get("/healthz").json.as_object();
        if (!body.at("dependencies").as_object().at("redis").as_object().at("ok").as_bool()) return false;
      } catch (const std::exception&) {
        return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(poll_until(redis_up_everywhere, Ms(30000), Ms(100)));

  expect_a_send_after_the_removal_skips_it(cluster, admin, stays, leaves, group.chat_id, *leaves_ws);
}

// Pub/sub is at-most-once: what Redis drops while it restarts is read back
// from the store, and the nodes resubscribe by themselves.
TEST_F(ClusterDependencyTest, ARedisRestartUnderTrafficLosesNothing) {
  ParleydCluster cluster(2);
  Session alice = cluster.new_session(0, "alice");
  Session bob = cluster.new_session(1, "bob");
  auto direct = alice.create_direct(bob.user_id());
  auto bob_ws = connect(bob);
  constexpr int kMessages = 60;
  std::thread restart([&] {
    std::this_thread::sleep_for(Ms(200));
    cluster_services().restart(ClusterServices::kRedis);
  });
  int acked = 0;
  for (int i = 0; i < kMessages; ++i) {
    try {
      alice.send(direct.chat_id, cmid("r"), "m" + std::to_string(i));
      ++acked;
    } catch (const std::exception&) {
      // A send during the restart may fail; what was acked must arrive.
    }
    std::this_thread::sleep_for(Ms(20));
  }
  restart.join();
  // After the restart, one more, so that the receiver knows the head.
  ASSERT_TRUE(poll_until(
      [&] {
        try {
          alice.send(direct.chat_id, cmid("r"), "last");
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      Ms(30000), Ms(200)));
  const auto expected = one_to(acked + 1);
  EXPECT_EQ(receive_seqs(*bob_ws, direct.chat_id, expected.size()), expected);
}

}  // namespace
}  // namespace parley::testing

namespace parley::testing {
namespace {

// Offline users get one push per message, whichever node the sender used and
// whichever node plans the message's shard; nothing is pushed twice.
TEST(ClusterPushTest, OfflineUsersOnAClusterGetEachPushExactlyOnce) {
  ParleydCluster cluster(3, {"--push-allow-hosts", "127.0.0.1", "--push-retry-initial-ms", "200"});
  PushReceiver receiver;
  receiver.start();
  Session sender = cluster.new_session(0, "sender");
  std::vector<Session> offline;
  std::vector<std::string> chats;
  for (std::size_t i = 0; i < 6; ++i) {
    offline.push_back(cluster.new_session(i % 3, "offline"));
    offline.back().set_push(receiver.url("/hook/" + std::to_string(i)));
    chats.push_back(sender.create_direct(offline.back().user_id()).chat_id);
  }
  for (std::size_t i = 0; i < offline.size(); ++i) {
    cluster.on_node(sender, (i + 1) % 3).send(chats[i], cmid("p"), "ping " + std::to_string(i));
  }
  for (std::size_t i = 0; i < offline.size(); ++i) {
    const std::string device = offline[i].device_id();
    EXPECT_TRUE(receiver.wait_for([&](const boost::json::object& o) { return str_field(o, "device_id") == device; }))
        << "no push for offline user " << i << " (" << receiver.connections() << " connections, "
        << receiver.requests().size() << " requests)";
  }
  // A second round for the first user: once its push arrived, every push of
  // the first round had long been planned; none came twice.
  cluster.on_node(sender, 2).send(chats[0], cmid("p"), "again");
  const std::string first = offline[0].device_id();
  ASSERT_TRUE(receiver.wait_for(
      [&](const boost::json::object& o) { return str_field(o, "device_id") == first && int_field(o, "seq") == 2; }));
  for (std::size_t i = 0; i < offline.size(); ++i) {
    const std::string device = offline[i].device_id();
    EXPECT_EQ(receiver
                  .accepted([&](const boost::json::object& o) {
                    return str_field(o, "device_id") == device && int_field(o, "seq") == 1;
                  })
                  .size(),
              1u)
        << "user " << i;
  }
}

}  // namespace
}  // namespace parley::testing
