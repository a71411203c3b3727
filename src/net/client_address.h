#pragma once
// Which client a request comes from, for throttles: the TCP peer, or, when
// the peer is a reverse proxy the operator trusts (`--trusted-proxies`), the
// address that proxy put in X-Forwarded-For. Free functions; any thread.

#include <string>
#include <string_view>
#include <vector>

#include "inet/ip_network.h"

namespace parley {

// The rightmost X-Forwarded-For entry that is not itself a trusted proxy
// (entries left of it are written by the client and prove nothing); the peer
// when it is not trusted or the header holds no usable address.
inet::Address client_address(const inet::Address& peer, std::string_view forwarded_for,
                             const std::vector<inet::IpNetwork>& trusted_proxies);

// The key a client is throttled under: an IPv4 address, or the /64 of an
// IPv6 one (a subscriber usually holds a whole /64).
std::string throttle_key(const inet::Address& address);

}  // namespace parley
