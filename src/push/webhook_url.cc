#include "push/webhook_url.h"

#include <boost/url/parse.hpp>
#include <charconv>

namespace parley::push {
namespace {

Error bad(const std::string& why) {
  return make_error(ErrorCode::invalid_request, "url " + why);
}

bool is_localhost_name(const std::string& name) {
  constexpr std::string_view kSuffix = ".localhost";  // RFC 6761: always loopback
  return name == "localhost" ||
         (name.size() > kSuffix.size() && name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0);
}

Result<WebhookUrl> parse_url(const std::string& text, bool https) {
  const char* form = https ? "must be an absolute https:// URL" : "must be an absolute http:// URL";
  if (text.size() > kMaxWebhookUrlBytes) {
    return bad("is longer than " + std::to_string(kMaxWebhookUrlBytes) + " bytes");
  }
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return bad(form);
  WebhookUrl out;
  if (https && url->scheme_id() == boost::urls::scheme::https) {
    out.tls = true;
    out.port = 443;
  } else if (url->scheme_id() != boost::urls::scheme::http) {
    return bad(form);
  }
  if (!url->has_authority() || url->encoded_host().empty()) return bad("must name a host");
  // "http://trusted@127.0.0.1/" reads as one host and goes to another.
  if (url->has_userinfo()) return bad("must not contain user info (name@host)");
  switch (url->host_type()) {
    case boost::urls::host_type::ipv4:
      out.literal = inet::Address(boost::asio::ip::address_v4(url->host_ipv4_address().to_bytes()));
      out.host = out.literal->to_string();
      break;
    case boost::urls::host_type::ipv6:
      out.literal = inet::Address(boost::asio::ip::address_v6(url->host_ipv6_address().to_bytes()));
      out.host = out.literal->to_string();
      break;
    case boost::urls::host_type::name: {
      out.host = url->host_name();  // percent-decoded
      if (out.host.size() > 253 ||
          out.host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
              std::string::npos) {
        return bad("host must be a DNS name or an IP address");
      }
      // "2130706433", "0x7f.1" and friends are addresses to the resolver.
      out.literal = inet::parse_numeric_host(out.host);
      break;
    }
    default:
      return bad("host must be a DNS name or an IP address");
  }
  if (url->has_port()) {
    // port_number() wraps values past 65535; read the digits ourselves.
    std::string_view digits = url->port();
    unsigned port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      return bad("port must be 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  out.target = url->encoded_target().empty() ? "/" : std::string(url->encoded_target());
  if (out.target.front() != '/') out.target.insert(out.target.begin(), '/');
  out.host_header = url->encoded_host_and_port();
  return out;
}

Status check_parsed(const WebhookUrl& url, const inet::HostAllowList& allow) {
  if (url.literal) {
    if (auto why = refusal(url, *url.literal, allow)) return bad("points to a forbidden address: " + *why);
    return Ok{};
  }
  auto name = inet::canonical_host_name(url.host);
  if (is_localhost_name(name) && !allow.allows_name(name)) {
    // Judged as the address it always resolves to.
    static const inet::Address kLoopback = boost::asio::ip::make_address("127.0.0.1");
    if (!allow.allows_address(kLoopback)) return bad("points to a forbidden address: " + name + " is loopback");
  }
  return Ok{};
}

}  // namespace

Result<WebhookUrl> parse_webhook_url(const std::string& text) {
  return parse_url(text, false);
}

Result<WebhookUrl> parse_push_endpoint(const std::string& text, const inet::HostAllowList& allow) {
  auto url = parse_url(text, true);
  if (!url) return url.error();
  if (!url->tls) {
    // Plain http only to a push service the operator named: a browser's
    // endpoint is always https.
    const bool exempt =
        url->literal ? allow.allows_address(*url->literal) : allow.allows_name(inet::canonical_host_name(url->host));
    if (!exempt) return bad("must be an absolute https:// URL (http:// only for hosts in --push-allow-hosts)");
  }
  return url;
}

Status check_push_endpoint_registration(const std::string& text, const inet::HostAllowList& allow) {
  auto url = parse_push_endpoint(text, allow);
  if (!url) return url.error();
  return check_parsed(*url, allow);
}

std::optional<std::string> refusal(const WebhookUrl& url, const inet::Address& address,
                                   const inet::HostAllowList& allow) {
  if (!url.literal && allow.allows_name(url.host)) return std::nullopt;
  if (allow.allows_address(address)) return std::nullopt;
  if (auto why = inet::special_use(address)) return address.to_string() + " is " + *why;
  return std::nullopt;
}

Status check_webhook_registration(const std::string& text, const inet::HostAllowList& allow) {
  auto url = parse_webhook_url(text);
  if (!url) return url.error();
  return check_parsed(*url, allow);
}

}  // namespace parley::push
