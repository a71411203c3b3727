#pragma once
// What parley-bench needs of GET /v1/route: the node a user's devices should
// connect to. A single node answers {"cluster":false} (connect where you
// asked); a cluster node answers the user's home node and every live node.
// Pure parsing, no I/O; any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bench {

// A node's HTTP/WebSocket address. Only plain http:// is spoken.
struct NodeAddress {
  std::string host;
  std::uint16_t port = 0;

  // "HOST:PORT" (IPv6 hosts in brackets): a node's name in reports and the
  // Host header of requests to it.
  std::string authority() const;
  bool operator==(const NodeAddress&) const = default;
};

// Accepts "http://HOST:PORT[/]" (the route's `url`) and "HOST:PORT" (--server);
// HOST and PORT as inet::parse_host_port reads them (IPv6 hosts in brackets).
// The port is required. nullopt otherwise.
std::optional<NodeAddress> parse_node_address(std::string_view text);

struct RouteAnswer {
  bool cluster = false;
  std::string node_id;             // cluster only
  NodeAddress home;                // cluster only: where the user's devices connect
  std::vector<NodeAddress> nodes;  // cluster only: every live node (unparsable entries left out)
};

// The body of a 200 answer to GET /v1/route; nullopt when it is not one
// (not JSON, no boolean `cluster`, a cluster answer without a usable `url`).
std::optional<RouteAnswer> parse_route_answer(std::string_view body);

}  // namespace parley::bench
