#pragma once
// Validation of the names a cluster node is configured with. Each function
// returns an error message for a hostile or malformed spelling, or nullopt
// when the value is acceptable; parleyd refuses to start on an error.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::cluster {

constexpr std::size_t kMaxNodeIdBytes = 64;
constexpr std::size_t kMaxRootBytes = 256;
constexpr std::size_t kMaxUrlBytes = 512;
constexpr std::size_t kMaxConnectStringBytes = 1024;

// [A-Za-z0-9._-]{1,64}, and not "." or "..": it becomes a znode name.
std::optional<std::string> node_id_error(std::string_view id);

// An absolute ZooKeeper path ("/parley", "/prod/chat"): no trailing slash, no
// empty, "." or ".." segment, segments of [A-Za-z0-9._-], not "/" itself and
// not under /zookeeper (reserved by the server).
std::optional<std::string> root_error(std::string_view root);

// http:// or https://, a host, at most kMaxUrlBytes, printable ASCII without
// spaces, quotes, backslashes or angle brackets: it is handed to devices.
std::optional<std::string> advertise_url_error(std::string_view url);

// host:port[,host:port...] without a chroot suffix (the root is configured
// separately), each as inet/host_port.h reads it.
std::optional<std::string> connect_string_error(std::string_view hosts);

}  // namespace parley::cluster
