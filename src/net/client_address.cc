#include "net/client_address.h"

#include <algorithm>

namespace parley {
namespace {

bool trusted(const inet::Address& a, const std::vector<inet::IpNetwork>& proxies) {
  return std::any_of(proxies.begin(), proxies.end(), [&](const inet::IpNetwork& n) { return n.contains(a); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

inet::Address client_address(const inet::Address& peer, std::string_view forwarded_for,
                             const std::vector<inet::IpNetwork>& trusted_proxies) {
  if (!trusted(peer, trusted_proxies)) return peer;
  inet::Address client = peer;
  // Walk from the right: each trusted hop vouches for the one before it.
  while (!forwarded_for.empty()) {
    auto comma = forwarded_for.rfind(',');
    std::string_view entry = trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for = comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
    std::string text(entry);
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(text, ec);
    if (ec) break;  // garbage: trust what we have
    client = address;
    if (!trusted(address, trusted_proxies)) break;
  }
  return client;
}

std::string throttle_key(const inet::Address& address_in) {
  auto address = inet::unwrap_ipv4(address_in);
  if (address.is_v4()) return address.to_string();
  auto bytes = address.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace parley
