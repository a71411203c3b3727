#include "inet/host_port.h"

#include <arpa/inet.h>

namespace parley::inet {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

ParsedHostPort refuse(std::string_view text, const std::string& why) {
  return ParsedHostPort{std::nullopt, quoted_for_error(text) + " is not HOST:PORT (" + why + ")"};
}

// Why `host` is not a name, an IPv4 address or a bracketed IPv6 address; empty when it is one.
std::string host_error(std::string_view host) {
  if (host.empty()) return "no host";
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return "an IPv6 address goes in brackets: [::1]:PORT";
    const std::string inside(host.substr(1, host.size() - 2));
    in6_addr ignored{};
    if (inside.size() > INET6_ADDRSTRLEN || inet_pton(AF_INET6, inside.c_str(), &ignored) != 1) {
      return "not an IPv6 address in the brackets";
    }
    return {};
  }
  if (host.find(':') != std::string_view::npos) return "an IPv6 address goes in brackets: [::1]:PORT";
  if (host.size() > kMaxHostBytes) return "the host is longer than " + std::to_string(kMaxHostBytes) + " bytes";
  if (host.front() == '-' || host.front() == '.') return "the host must start with a letter or digit";
  for (const char c : host) {
    if (!is_name_char(c)) return "the host may only contain letters, digits, '.', '_' and '-'";
  }
  return {};
}

// A valid host without the brackets of an IPv6 address.
std::string unbracketed(std::string_view host) {
  return host.front() == '[' ? std::string(host.substr(1, host.size() - 2)) : std::string(host);
}

}  // namespace

std::string quoted_for_error(std::string_view text) {
  constexpr std::size_t kShown = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > kShown) out += "...";
  return out + "\"";
}

ParsedHostPort parse_host_port(std::string_view text, PortZero port_zero, std::optional<std::uint16_t> port_if_absent) {
  if (text.empty()) return refuse(text, "empty");
  if (text.size() > kMaxHostPortBytes) {
    return refuse(text, "longer than " + std::to_string(kMaxHostPortBytes) + " bytes");
  }
  if (text.find(',') != std::string_view::npos) return refuse(text, "one address, not a list");
  const auto colon = text.rfind(':');
  // "[::1]" alone: its last colon is inside the brackets.
  if (colon == std::string_view::npos || text.find(']', colon) != std::string_view::npos) {
    if (!port_if_absent) return refuse(text, "no :PORT");
    if (auto why = host_error(text); !why.empty()) return refuse(text, why);
    return ParsedHostPort{HostPort{unbracketed(text), *port_if_absent}, {}};
  }
  const std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (auto why = host_error(host); !why.empty()) return refuse(text, why);
  const std::uint32_t lowest = port_zero == PortZero::allowed ? 0 : 1;
  const std::string range = "the port must be " + std::to_string(lowest) + " to 65535";
  if (port.empty() || port.size() > 5) return refuse(text, range);
  std::uint32_t value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return refuse(text, range);
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value < lowest || value > 65535) return refuse(text, range);
  return ParsedHostPort{HostPort{unbracketed(host), static_cast<std::uint16_t>(value)}, {}};
}

std::string format_host_port(std::string_view host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

ParsedHostPortList parse_host_port_list(std::string_view text, std::size_t max_bytes) {
  if (text.empty()) return ParsedHostPortList{{}, "empty: expected HOST:PORT[,HOST:PORT...]"};
  if (text.size() > max_bytes) {
    return ParsedHostPortList{{}, quoted_for_error(text) + " is longer than " + std::to_string(max_bytes) + " bytes"};
  }
  ParsedHostPortList out;
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    auto one = parse_host_port(rest.substr(0, comma));
    if (!one.address) return ParsedHostPortList{{}, std::move(one.error)};
    out.addresses.push_back(std::move(*one.address));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

}  // namespace parley::inet
