#pragma once
// IpNetwork: an address prefix ("10.0.0.0/8", "::1/128"); HostAllowList: the
// operator's list of host names and networks exempt from a policy; and the
// classification of special-use addresses that a server must not be made to
// contact on a user's behalf (server-side request forgery).
// Immutable values; any thread.

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::inet {

using Address = boost::asio::ip::address;

class IpNetwork {
 public:
  // "ADDR/BITS" or a bare address (one host). Refuses host bits set past the
  // prefix ("10.0.0.1/8"), so a typo does not silently widen a list.
  static Result<IpNetwork> parse(std::string_view text);
  // Comma-separated networks; empty entries are skipped.
  static Result<std::vector<IpNetwork>> parse_list(std::string_view list);

  // IPv4-mapped IPv6 addresses are compared as the IPv4 address they carry.
  bool contains(const Address& address) const;
  std::string to_string() const;

 private:
  Address base_;
  unsigned bits_ = 0;
};

// The IPv4 address inside an IPv6 address that only wraps one (IPv4-mapped
// ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4
// 2002:AABB:CCDD::/48), else the address itself.
Address unwrap_ipv4(const Address& address);

// Why `address` is a special-use address ("loopback", "private",
// "link-local (cloud metadata)", …), or nullopt for an ordinary public one.
std::optional<std::string> special_use(const Address& address);

// Numeric host spellings the system resolver accepts without DNS, including
// the legacy ones ("2130706433", "0x7f.1", "017700000001", "127.1") that
// getaddrinfo turns into 127.0.0.1. nullopt when `host` is a name.
std::optional<Address> parse_numeric_host(const std::string& host);

class HostAllowList {
 public:
  // Comma-separated HOST, IP or CIDR entries; empty means nothing is allowed.
  static Result<HostAllowList> parse(std::string_view list);

  bool allows_name(std::string_view host) const;  // case-insensitive, exact
  bool allows_address(const Address& address) const;
  bool empty() const { return names_.empty() && networks_.empty(); }

 private:
  std::vector<std::string> names_;  // lower case, without a trailing dot
  std::vector<IpNetwork> networks_;
};

// Lower case without one trailing dot: the form host names are compared in.
std::string canonical_host_name(std::string_view host);

}  // namespace parley::inet
