#pragma once
// HOST:PORT, the one spelling of an address an operator gives parleyd
// (--listen, --redis, each server of --zookeeper) and of a node's address in
// the clients (`parley --server`, the URLs of a /v1/route answer). HOST is a name or IPv4
// address ([A-Za-z0-9._-], at most 253 bytes) or an IPv6 address in
// brackets ("[::1]:6379"); PORT is 1 to 65535 in at most 5 decimal digits
// (0 only where the caller allows it: "pick a free port"; left out only
// where the caller gives a default: http://HOST means port 80). Anything else is
// refused with a message that quotes the text safely (control bytes escaped,
// cut at 80 bytes).
//
// Standard library only, so that every layer may use it (the cluster
// library depends on nothing of Parley's). Pure functions: any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::inet {

inline constexpr std::size_t kMaxHostBytes = 253;  // a DNS name
inline constexpr std::size_t kMaxHostPortBytes = kMaxHostBytes + 2 + 1 + 5;

struct HostPort {
  std::string host;  // without the brackets of an IPv6 address
  std::uint16_t port = 0;
};

enum class PortZero { refused, allowed };

// An address, or why `text` is not one.
struct ParsedHostPort {
  std::optional<HostPort> address;
  std::string error;
};

// `port_if_absent`: the port of a text without ":PORT" ("HOST", "[::1]");
// without it such a text is refused. "HOST:" (an empty port) is refused either way.
ParsedHostPort parse_host_port(std::string_view text, PortZero port_zero = PortZero::refused,
                               std::optional<std::uint16_t> port_if_absent = std::nullopt);

// The inverse: "HOST:PORT", an IPv6 host in brackets ("[::1]:6379").
std::string format_host_port(std::string_view host, std::uint16_t port);

// HOST:PORT[,HOST:PORT...], at most `max_bytes` in all (a ZooKeeper connect
// string without its chroot suffix).
struct ParsedHostPortList {
  std::vector<HostPort> addresses;  // empty on error
  std::string error;
};
ParsedHostPortList parse_host_port_list(std::string_view text, std::size_t max_bytes);

// `text` in double quotes for an error message: printable ASCII as is,
// other bytes as \xNN, at most 80 bytes of it.
std::string quoted_for_error(std::string_view text);

}  // namespace parley::inet
