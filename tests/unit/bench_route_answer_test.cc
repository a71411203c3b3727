// parley-bench's reading of GET /v1/route and of node addresses: the single
// node's answer, a cluster's, IPv6, and hostile or broken answers, which are
// refused (nullopt) rather than guessed at.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/reconnect_target.h"
#include "route_answer.h"

namespace parley::bench {
namespace {

TEST(BenchNodeAddress, ParsesUrlsAndHostPort) {
  auto a = parse_node_address("http://127.0.0.1:8182");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8182);
  EXPECT_EQ(a->authority(), "127.0.0.1:8182");
  EXPECT_EQ(parse_node_address("http://127.0.0.1:8182/"), a);
  EXPECT_EQ(parse_node_address("127.0.0.1:8182"), a);
  auto v6 = parse_node_address("http://[::1]:9000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(v6->authority(), "[::1]:9000");
  EXPECT_EQ(parse_node_address("localhost:1")->host, "localhost");
}

TEST(BenchNodeAddress, RefusesWhatItCannotConnectTo) {
  for (const char* bad : {"", "http://", "https://127.0.0.1:8182", "ws://127.0.0.1:1", "127.0.0.1", "http://127.0.0.1",
                          "127.0.0.1:", ":8080", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80x", "127.0.0.1:-1",
                          "http://127.0.0.1:8182/v1", "http://127.0.0.1:8182//", "::1:8080", "[::1]", "[::1]8080",
                          "[::1:8080", "127.0.0.1:99999999999999999999"}) {
    EXPECT_FALSE(parse_node_address(bad)) << bad;
  }
}

// A route answer comes from the network: the same hostile spellings that
// parleyd refuses in its own HOST:PORT flags are refused here.
TEST(BenchNodeAddress, RefusesHostileAuthorities) {
  std::vector<std::string> refused{"http://:8080",
                                   "http://[]:8080",
                                   "http://[redis]:80",
                                   "http://[::1%eth0]:80",
                                   "http://127.0.0.1:4294967376",
                                   "http://127.0.0.1:+80",
                                   "http://127.0.0.1: 80",
                                   "http://127.0.0.1:0x50",
                                   "http://127.0.0.1:\uff18\uff10",
                                   "http://user@127.0.0.1:80",
                                   "http://127.0.0.1:80?x",
                                   "http://127.0.0.1:80#x",
                                   "http://a:1,b:2",
                                   "http://-h:80",
                                   "http://h\\x:80",
                                   "http://red\nis:80",
                                   "http://r\xc3\xa9:80",
                                   "http://\xff:80",
                                   "http://%31%32%37.0.0.1:80"};
  refused.emplace_back("http://h\0:80", 12);
  refused.push_back("http://" + std::string(300, 'a') + ":80");
  refused.push_back("http://" + std::string(100'000, '1') + ":80");
  for (const std::string& bad : refused) {
    EXPECT_FALSE(parse_node_address(bad)) << bad.substr(0, 80);
  }
  EXPECT_EQ(parse_node_address("http://" + std::string(253, 'a') + ":80")->host, std::string(253, 'a'));
}

TEST(BenchRouteAnswer, SingleNode) {
  auto a = parse_route_answer(R"({"cluster":false})");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->cluster);
  EXPECT_TRUE(a->nodes.empty());
}

TEST(BenchRouteAnswer, ClusterNamesHomeAndNodes) {
  auto a = parse_route_answer(
      R"({"cluster":true,"node_id":"n1","url":"http://127.0.0.1:8382","nodes":["http://127.0.0.1:8381","http://127.0.0.1:8382",7,"https://x:1","http://127.0.0.1:8383"]})");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->cluster);
  EXPECT_EQ(a->node_id, "n1");
  EXPECT_EQ(a->home.authority(), "127.0.0.1:8382");
  ASSERT_EQ(a->nodes.size(), 3u);  // the number and the https URL are left out
  EXPECT_EQ(a->nodes[0].authority(), "127.0.0.1:8381");
  EXPECT_EQ(a->nodes[2].authority(), "127.0.0.1:8383");
}

TEST(BenchRouteAnswer, RefusesBrokenAnswers) {
  for (const char* bad : {"", "null", "[]", "{", R"({"cluster":"true"})", R"({"cluster":1})", R"({})",
                          R"({"cluster":true})", R"({"cluster":true,"url":5})", R"({"cluster":true,"url":""})",
                          R"({"cluster":true,"url":"https://127.0.0.1:8182"})", "{\"cluster\":true,\"url\":\"\xff\"}",
                          R"({"error":{"code":"unavailable"}})"}) {
    EXPECT_FALSE(parse_route_answer(bad)) << bad;
  }
}

// The client rule after losing a node: the route's home, unless it is the node
// just lost or one that could not be reached; then the node that answered.
TEST(BenchReconnectTarget, AvoidsTheLostNodeWhileTheRingStillNamesIt) {
  const NodeAddress lost = *parse_node_address("127.0.0.1:8382");
  const NodeAddress answerer = *parse_node_address("127.0.0.1:8381");
  const NodeAddress other = *parse_node_address("127.0.0.1:8383");
  const std::vector<NodeAddress> unusable{lost};
  EXPECT_EQ(client::reconnect_target(lost, answerer, unusable), answerer) << "the ring still names the dead node";
  EXPECT_EQ(client::reconnect_target(other, answerer, unusable), other) << "a new home the device can use";
  EXPECT_EQ(client::reconnect_target(answerer, answerer, unusable), answerer);
  EXPECT_EQ(client::reconnect_target(lost, answerer, std::vector<NodeAddress>{}), lost) << "nothing to avoid";
}

TEST(BenchReconnectTarget, AvoidsANodeThatCouldNotBeReachedUnlessItAnsweredItself) {
  const NodeAddress lost = *parse_node_address("127.0.0.1:8382");
  const NodeAddress unreachable = *parse_node_address("127.0.0.1:8383");
  const NodeAddress answerer = *parse_node_address("127.0.0.1:8381");
  const std::vector<NodeAddress> unusable{lost, unreachable};
  EXPECT_EQ(client::reconnect_target(unreachable, answerer, unusable), answerer);
  // A node that answers the route is alive again (restarted): its own answer is taken.
  EXPECT_EQ(client::reconnect_target(lost, lost, unusable), lost);
}

}  // namespace
}  // namespace parley::bench
