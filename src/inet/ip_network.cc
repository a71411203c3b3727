#include "inet/ip_network.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace parley::inet {
namespace {

using V4 = boost::asio::ip::address_v4;
using V6 = boost::asio::ip::address_v6;

// First `bits` bits of two byte arrays equal?
template <std::size_t N>
bool prefix_equal(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b, unsigned bits) {
  std::size_t whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xFFu << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

template <std::size_t N>
bool host_bits_zero(const std::array<unsigned char, N>& a, unsigned bits) {
  for (std::size_t i = 0; i < N; ++i) {
    unsigned start = static_cast<unsigned>(i) * 8;
    if (start + 8 <= bits) continue;
    auto keep = start >= bits ? 0u : 0xFFu << (8 - (bits - start));
    if ((a[i] & static_cast<unsigned char>(~keep)) != 0) return false;
  }
  return true;
}

struct Range {
  const char* network;
  const char* why;
};

// IANA special-purpose registries, plus the places cloud metadata services
// live (169.254.169.254 and fd00:ec2::254 fall in link-local and ULA;
// Alibaba's 100.100.100.200 in CGNAT; Oracle's 192.0.0.192 in 192.0.0.0/24).
constexpr Range kV4Ranges[] = {
    {"0.0.0.0/8", "unspecified (\"this network\")"},
    {"10.0.0.0/8", "private"},
    {"100.64.0.0/10", "shared address space (CGNAT, cloud metadata)"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local (cloud metadata)"},
    {"172.16.0.0/12", "private"},
    {"192.0.0.0/24", "IETF protocol assignments (cloud metadata)"},
    {"192.168.0.0/16", "private"},
    {"198.18.0.0/15", "benchmarking"},
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved or broadcast"},
};
constexpr Range kV6Ranges[] = {
    {"::/128", "unspecified"},    {"::1/128", "loopback"},
    {"100::/64", "discard-only"}, {"fc00::/7", "unique local (private, cloud metadata)"},
    {"fe80::/10", "link-local"},  {"fec0::/10", "site-local"},
    {"ff00::/8", "multicast"},
};

const std::vector<std::pair<IpNetwork, const char*>>& special_ranges() {
  static const auto ranges = [] {
    std::vector<std::pair<IpNetwork, const char*>> out;
    for (const auto& r : kV4Ranges) out.emplace_back(IpNetwork::parse(r.network).value(), r.why);
    for (const auto& r : kV6Ranges) out.emplace_back(IpNetwork::parse(r.network).value(), r.why);
    return out;
  }();
  return ranges;
}

}  // namespace

Result<IpNetwork> IpNetwork::parse(std::string_view text) {
  auto slash = text.find('/');
  std::string addr_text(text.substr(0, slash));
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(addr_text, ec);
  if (ec) return make_error(ErrorCode::invalid_request, "not an IP address: " + addr_text);
  unsigned max_bits = address.is_v4() ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || err != std::errc{} || end != digits.data() + digits.size() || bits > max_bits) {
      return make_error(ErrorCode::invalid_request, "bad prefix length in " + std::string(text));
    }
  }
  bool clean = address.is_v4() ? host_bits_zero(address.to_v4().to_bytes(), bits)
                               : host_bits_zero(address.to_v6().to_bytes(), bits);
  if (!clean)
    return make_error(ErrorCode::invalid_request, "address has bits set past the prefix: " + std::string(text));
  IpNetwork n;
  n.base_ = address;
  n.bits_ = bits;
  return n;
}

Result<std::vector<IpNetwork>> IpNetwork::parse_list(std::string_view list) {
  std::vector<IpNetwork> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view entry = list.substr(start, comma - start);
    start = comma + 1;
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) continue;
    auto network = parse(entry);
    if (!network) return network.error();
    out.push_back(*network);
  }
  return out;
}

bool IpNetwork::contains(const Address& address_in) const {
  Address address = address_in;
  if (address.is_v6() && address.to_v6().is_v4_mapped() && base_.is_v4()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4() != base_.is_v4()) return false;
  if (address.is_v4()) return prefix_equal(address.to_v4().to_bytes(), base_.to_v4().to_bytes(), bits_);
  return prefix_equal(address.to_v6().to_bytes(), base_.to_v6().to_bytes(), bits_);
}

std::string IpNetwork::to_string() const {
  return base_.to_string() + "/" + std::to_string(bits_);
}

Address unwrap_ipv4(const Address& address) {
  if (!address.is_v6()) return address;
  auto b = address.to_v6().to_bytes();
  auto v4_at = [&](std::size_t i) { return Address(V4(V4::bytes_type{b[i], b[i + 1], b[i + 2], b[i + 3]})); };
  bool zero_80 = std::all_of(b.begin(), b.begin() + 10, [](unsigned char c) { return c == 0; });
  if (zero_80 && b[10] == 0xFF && b[11] == 0xFF) return v4_at(12);  // ::ffff:a.b.c.d
  // ::a.b.c.d (deprecated "IPv4-compatible"); :: and ::1 stay themselves.
  if (zero_80 && b[10] == 0 && b[11] == 0 && (b[12] | b[13] | b[14]) != 0) return v4_at(12);
  static const std::array<unsigned char, 12> kNat64{0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::equal(kNat64.begin(), kNat64.end(), b.begin())) return v4_at(12);
  if (b[0] == 0x20 && b[1] == 0x02) return v4_at(2);  // 6to4
  return address;
}

std::optional<std::string> special_use(const Address& address_in) {
  Address address = unwrap_ipv4(address_in);
  for (const auto& [network, why] : special_ranges()) {
    if (network.contains(address)) {
      if (address != address_in) return std::string(why) + ", inside an IPv6 address";
      return std::string(why);
    }
  }
  return std::nullopt;
}

std::optional<Address> parse_numeric_host(const std::string& host) {
  if (host.empty() || host.size() > 255) return std::nullopt;
  // Ask the resolver itself, without DNS, so that every spelling it would
  // accept at connect time is recognised here too.
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) return std::nullopt;
  std::optional<Address> out;
  if (found->ai_family == AF_INET) {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
    V4::bytes_type bytes;
    std::memcpy(bytes.data(), &sa->sin_addr, 4);
    out = Address(V4(bytes));
  } else if (found->ai_family == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(found->ai_addr);
    V6::bytes_type bytes;
    std::memcpy(bytes.data(), &sa->sin6_addr, 16);
    out = Address(V6(bytes, sa->sin6_scope_id));
  }
  ::freeaddrinfo(found);
  return out;
}

std::string canonical_host_name(std::string_view host) {
  std::string out(host);
  if (!out.empty() && out.back() == '.') out.pop_back();
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

Result<HostAllowList> HostAllowList::parse(std::string_view list) {
  HostAllowList out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view entry = list.substr(start, comma - start);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    start = comma + 1;
    if (entry.empty()) continue;
    std::string text(entry);
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    bool looks_numeric = text.find('/') != std::string::npos || text.find(':') != std::string::npos ||
                         text.find_first_not_of("0123456789.") == std::string::npos;
    if (looks_numeric) {
      auto network = IpNetwork::parse(text);
      if (!network) return network.error();
      out.networks_.push_back(*network);
      continue;
    }
    if (text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
        std::string::npos) {
      return make_error(ErrorCode::invalid_request, "not a host name, address or network: " + text);
    }
    out.names_.push_back(canonical_host_name(text));
  }
  return out;
}

bool HostAllowList::allows_name(std::string_view host) const {
  auto name = canonical_host_name(host);
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

bool HostAllowList::allows_address(const Address& address) const {
  Address unwrapped = unwrap_ipv4(address);
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const IpNetwork& n) { return n.contains(address) || n.contains(unwrapped); });
}

}  // namespace parley::inet
