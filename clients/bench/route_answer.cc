#include "route_answer.h"

#include <charconv>

#include <boost/json.hpp>

namespace parley::bench {
namespace json = boost::json;

std::string NodeAddress::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<NodeAddress> parse_node_address(std::string_view text) {
  if (text.starts_with("http://")) {
    text.remove_prefix(7);
    if (text.ends_with('/')) text.remove_suffix(1);
  } else if (text.find("://") != std::string_view::npos) {
    return std::nullopt;  // https:// and others are not spoken
  }
  if (text.empty() || text.find('/') != std::string_view::npos) return std::nullopt;
  NodeAddress out;
  std::string_view port_text;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty() || port_text.empty()) return std::nullopt;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
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
