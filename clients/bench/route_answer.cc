#include "route_answer.h"

#include <boost/json.hpp>

#include "inet/host_port.h"

namespace parley::bench {
namespace json = boost::json;

std::string NodeAddress::authority() const {
  return inet::format_host_port(host, port);
}

std::optional<NodeAddress> parse_node_address(std::string_view text) {
  if (text.starts_with("http://")) {
    text.remove_prefix(7);
    if (text.ends_with('/')) text.remove_suffix(1);
  } else if (text.find("://") != std::string_view::npos) {
    return std::nullopt;  // https:// and others are not spoken
  }
  auto parsed = inet::parse_host_port(text);
  if (!parsed.address) return std::nullopt;
  return NodeAddress{std::move(parsed.address->host), parsed.address->port};
}

std::optional<RouteAnswer> parse_route_answer(std::string_view body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o) return std::nullopt;
  const json::value* cluster = o->if_contains("cluster");
  if (!cluster || !cluster->is_bool()) return std::nullopt;
  RouteAnswer answer;
  answer.cluster = cluster->get_bool();
  if (!answer.cluster) return answer;
  const json::value* url = o->if_contains("url");
  if (!url || !url->is_string()) return std::nullopt;
  auto home = parse_node_address(url->get_string());
  if (!home) return std::nullopt;
  answer.home = *home;
  if (const json::value* id = o->if_contains("node_id"); id && id->is_string()) answer.node_id = id->get_string();
  if (const json::value* nodes = o->if_contains("nodes"); nodes && nodes->is_array()) {
    for (const auto& n : nodes->get_array()) {
      if (!n.is_string()) continue;
      if (auto node = parse_node_address(n.get_string())) answer.nodes.push_back(*node);
    }
  }
  return answer;
}

}  // namespace parley::bench
