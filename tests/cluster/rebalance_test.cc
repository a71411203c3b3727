// Rebalancing on a real cluster (--rebalance-seconds): when a node joins, the
// ring gives it a share of the users; the nodes their devices are connected
// to ask those devices, and only those, to move there with a `move` frame
// (spread over the window: tests/unit/cluster_rebalance_schedule_test.cc), and
// a device that follows loses nothing.

#include <gtest/gtest.h>

#include <vector>

#include <boost/json.hpp>

#include "lib/ws_connection.h"
#include "parleyd_cluster.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::Session;
using client::str_field;
using client::WsConnection;
constexpr Ms kWait{15000};

struct Device {
  Session session;
  std::string chat;
  std::size_t node = 0;  // where its WebSocket is
  std::unique_ptr<WsConnection> ws;
};

std::size_t index_of(const ParleydCluster& cluster, const std::string& node_id) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.node_id(i) == node_id) return i;
  }
  return cluster.size();
}

// Each device in `movers` is asked to move to node 2 and follows, resuming
// there with its cursor: the message `sender` sends meanwhile is its whole
// backlog (seq `during_seq`). Then those in `stayers` were never asked.
void expect_movers_follow_to_node_2(ParleydCluster& cluster, Session& sender, std::vector<Device>& devices,
                                    const std::vector<std::size_t>& movers, const std::vector<std::size_t>& stayers,
                                    std::int64_t during_seq) {
  for (std::size_t i : movers) {
    Device& d = devices[i];
    auto move = d.ws->next_of_type("move", Ms(40000));
    ASSERT_TRUE(move) << "device " << i << " (of " << movers.size() << " movers) was not asked to move";
    EXPECT_EQ(str_field(*move, "url"), cluster.url(2));
    const std::string cursor = d.ws->last_cursor();
    d.ws->close();
    sender.send(d.chat, "during-" + d.chat, "during");
    d.session = cluster.on_node(d.session, 2);
    d.node = 2;
    d.ws = d.session.connect_ws(cursor);
    auto backlog = d.ws->collect_backlog(kWait);
    ASSERT_TRUE(backlog);
    ASSERT_EQ(backlog->messages.size(), 1u) << "the message sent during the move, once";
    EXPECT_EQ(int_field(backlog->messages[0], "seq"), during_seq);
  }
  // The round is over: a device at home was never asked.
  for (std::size_t i : stayers) {
    EXPECT_FALSE(devices[i].ws->next_of_type("move", Ms(0))) << "device " << i << " is at home";
  }
}

// A message to every device arrives live, once, wherever it is now.
void expect_a_message_reaches_each(Session& sender, std::vector<Device>& devices, std::int64_t seq_if_moved,
                                   std::int64_t seq_if_stayed) {
  for (auto& d : devices) {
    sender.send(d.chat, "after-" + d.chat, "after");
    auto m = d.ws->next_message(kWait, d.chat);
    ASSERT_TRUE(m);
    EXPECT_EQ(int_field(*m, "seq"), d.node == 2 ? seq_if_moved : seq_if_stayed);
  }
}

TEST(ClusterRebalanceTest, WhenANodeJoinsTheDevicesWhoseHomeMovedThereAreAskedToGoThereAndLoseNothing) {
  // The window: twice the session timeout of 4 s, its shortest allowed value.
  ParleydCluster cluster(3, {"--rebalance-seconds", "8"});
  ASSERT_EQ(cluster.node(2).terminate(), 0);
  ASSERT_TRUE(cluster.wait_ring_size(2));

  // 18 users, each device at its home on the two-node ring, each with a direct chat from `sender`.
  Session sender = cluster.new_session(0, "sender");
  std::vector<Device> devices;
  for (int u = 0; u < 18; ++u) {
    Session s = cluster.new_session(u % 2, "rebalanced");
    const std::size_t home = index_of(cluster, cluster.agreed_home(s));
    ASSERT_LT(home, 2u);
    std::string chat = sender.create_direct(s.user_id()).chat_id;
    Device d{cluster.on_node(s, home), chat, home, nullptr};
    d.ws = d.session.connect_ws();
    devices.push_back(std::move(d));
  }
  for (auto& d : devices) {
    sender.send(d.chat, "before-" + d.chat, "before");
    auto m = d.ws->next_message(kWait, d.chat);
    ASSERT_TRUE(m);
    EXPECT_EQ(int_field(*m, "seq"), 1);
  }

  cluster.node(2).start();
  ASSERT_TRUE(cluster.wait_ring_size(3));
  std::vector<std::size_t> movers, stayers;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const std::size_t home = index_of(cluster, cluster.agreed_home(devices[i].session));
    ASSERT_LT(home, 3u);
    (home == 2 ? movers : stayers).push_back(i);
  }
  ASSERT_FALSE(movers.empty()) << "the ring gave node 2 none of 18 users";

  // Each device whose home is now node 2 is asked to move there, and follows.
  expect_movers_follow_to_node_2(cluster, sender, devices, movers, stayers, 2);
  expect_a_message_reaches_each(sender, devices, 3, 2);
  // One that moved is at home now and is not asked again.
  for (std::size_t i : movers) EXPECT_FALSE(devices[i].ws->next_of_type("move", Ms(0)));
}

// kill -9 of a node: its devices come back at once on the node that answered
// their route (node 0 here, as a client does while the ring still names the
// dead node). Once the ring has dropped the dead node and a window has passed,
// those whose new home is node 2 are asked to move there — never to the dead
// node — and those whose new home is node 0 stay.
TEST(ClusterRebalanceTest, DevicesThatCameDuringAFailoverAreSentToTheirNewHomeNeverToTheDeadNode) {
  ParleydCluster cluster(3, {"--rebalance-seconds", "8"});
  Session sender = cluster.new_session(0, "sender");
  std::vector<Device> devices;
  for (int u = 0; devices.size() < 10 && u < 80; ++u) {
    Session s = cluster.new_session(u % 3, "failed-over");
    if (cluster.agreed_home(s) != cluster.node_id(1)) continue;
    std::string chat = sender.create_direct(s.user_id()).chat_id;
    Device d{cluster.on_node(s, 1), chat, 1, nullptr};
    d.ws = d.session.connect_ws();
    devices.push_back(std::move(d));
  }
  ASSERT_EQ(devices.size(), 10u) << "too few users homed on node 1";

  cluster.node(1).kill9();
  for (auto& d : devices) {
    const std::string cursor = d.ws->last_cursor();
    d.ws->close();
    d.session = cluster.on_node(d.session, 0);
    d.node = 0;
    d.ws = d.session.connect_ws(cursor);
  }
  ASSERT_TRUE(cluster.wait_ring_size(2));
  std::vector<std::size_t> movers, stayers;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const std::size_t home = index_of(cluster, cluster.agreed_home(devices[i].session));
    ASSERT_TRUE(home == 0 || home == 2) << home;
    (home == 2 ? movers : stayers).push_back(i);
  }
  ASSERT_FALSE(movers.empty()) << "the ring gave node 2 none of node 1's 10 users";

  expect_movers_follow_to_node_2(cluster, sender, devices, movers, stayers, 1);
  expect_a_message_reaches_each(sender, devices, 2, 1);
}

}  // namespace
}  // namespace parley::testing
