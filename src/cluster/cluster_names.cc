#include "cluster/cluster_names.h"

#include <cstdint>

#include "inet/host_port.h"

namespace parley::cluster {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

std::optional<std::string> segment_error(std::string_view seg, std::string_view what) {
  if (seg.empty()) return std::string(what) + " has an empty segment";
  if (seg == "." || seg == "..") return std::string(what) + " has a \"" + std::string(seg) + "\" segment";
  for (const char c : seg) {
    if (!is_name_char(c)) return std::string(what) + " may only contain letters, digits, '.', '_' and '-'";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> node_id_error(std::string_view id) {
  if (id.empty() || id.size() > kMaxNodeIdBytes) {
    return "node id " + inet::quoted_for_error(id) + " must be 1 to " + std::to_string(kMaxNodeIdBytes) + " characters";
  }
  if (auto e = segment_error(id, "node id")) return *e + ": " + inet::quoted_for_error(id);
  return std::nullopt;
}

std::optional<std::string> root_error(std::string_view root) {
  if (root.empty() || root.size() > kMaxRootBytes) {
    return "ZooKeeper root " + inet::quoted_for_error(root) + " must be 1 to " + std::to_string(kMaxRootBytes) +
           " characters";
  }
  if (root.front() != '/')
    return "ZooKeeper root " + inet::quoted_for_error(root) + " must be an absolute path (start with '/')";
  if (root == "/") return std::string("ZooKeeper root must not be \"/\": give Parley its own path, e.g. /parley");
  std::string_view rest = root.substr(1);
  bool first = true;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (auto e = segment_error(seg, "ZooKeeper root")) return *e + ": " + inet::quoted_for_error(root);
    if (first && seg == "zookeeper")
      return "ZooKeeper root " + inet::quoted_for_error(root) + " is under /zookeeper, which the server reserves";
    first = false;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return std::nullopt;
}

std::optional<std::string> advertise_url_error(std::string_view url) {
  if (url.size() > kMaxUrlBytes) return "advertised URL is longer than " + std::to_string(kMaxUrlBytes) + " bytes";
  for (const char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\'' || c == '\\' || c == '<' || c == '>' || c == '`') {
      return "advertised URL " + inet::quoted_for_error(url) +
             " may only contain printable ASCII without spaces or quotes";
    }
  }
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return "advertised URL " + inet::quoted_for_error(url) + " must start with http:// or https://";
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.front() == ':')
    return "advertised URL " + inet::quoted_for_error(url) + " has no host";
  if (authority.find('@') != std::string_view::npos)
    return "advertised URL " + inet::quoted_for_error(url) + " must not carry credentials";
  return std::nullopt;
}

std::optional<std::string> connect_string_error(std::string_view hosts) {
  auto parsed = inet::parse_host_port_list(hosts, kMaxConnectStringBytes);
  if (parsed.addresses.empty()) {
    return "ZooKeeper address: " + parsed.error + " (HOST:PORT[,HOST:PORT...]; no chroot: use the root setting)";
  }
  return std::nullopt;
}

}  // namespace parley::cluster
