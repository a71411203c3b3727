#include "store/mariadb/mariadb_url.h"

#include <charconv>
#include <optional>
#include <string_view>

#include "store/mariadb/mariadb_schema.h"

namespace parley::mariadb {

namespace {

Error bad(const std::string& what) {
  return make_error(ErrorCode::invalid_request, "mariadb URL: " + what);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; nullopt for a broken escape or a NUL byte (which
// the client library would cut the value at).
std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int high = hex_value(in[i + 1]), low = hex_value(in[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

}  // namespace

Result<ConnectionConfig> parse_mariadb_url(const std::string& url) {
  constexpr std::string_view kScheme = "mariadb://";
  std::string_view rest(url);
  if (rest.substr(0, kScheme.size()) != kScheme) return bad("must start with mariadb://");
  rest.remove_prefix(kScheme.size());
  ConnectionConfig config;

  // Query: only ?socket=PATH.
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    const std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (query.substr(0, 7) != "socket=" || query.size() == 7) return bad("the only option is ?socket=PATH");
    auto socket = percent_decode(query.substr(7));
    if (!socket || socket->front() != '/') return bad("socket must be an absolute path");
    config.unix_socket = *socket;
  }
  // The first '/' ends the authority: a '/' in a password must be encoded.
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return bad("no /DATABASE");
  config.database = std::string(rest.substr(slash + 1));
  if (!is_valid_database_name(config.database)) return bad("database must be 1-64 of [A-Za-z0-9_]");
  std::string_view authority = rest.substr(0, slash);

  // The last '@' ends the credentials (an unencoded '@' in a password would
  // otherwise be read as the host).
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const auto colon = credentials.find(':');
    auto user = percent_decode(credentials.substr(0, colon));
    if (!user || user->empty()) return bad("bad or empty user");
    config.user = *user;
    if (colon != std::string_view::npos) {
      auto password = percent_decode(credentials.substr(colon + 1));
      if (!password) return bad("bad escape in the password");
      config.password = *password;
    }
  }

  // HOST[:PORT], HOST possibly [IPv6].
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the host");
      port = after.substr(1);
      if (port.empty()) return bad("empty port");
    }
    for (char c : host) {
      if (!(hex_value(c) >= 0 || c == ':' || c == '.')) return bad("bad IPv6 host");
    }
  } else {
    if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
    for (char c : host) {
      if (!is_host_char(c)) return bad("bad host");
    }
  }
  if (host.empty() || host.size() > 253) return bad("no host");
  config.host = std::string(host);
  if (!port.empty()) {
    unsigned int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad("port must be 1-65535");
    }
    config.port = static_cast<std::uint16_t>(value);
  }
  if (!config.unix_socket.empty() && config.host != "localhost") return bad("?socket= needs the host localhost");
  return config;
}

}  // namespace parley::mariadb
