#pragma once
// Webhook URLs: the strict form parleyd accepts (absolute http://, a host,
// no user info, at most kMaxWebhookUrlBytes) and the policy on where they may
// point. By default a webhook may not reach loopback, private, link-local,
// metadata or other special-use addresses (see inet::special_use); the
// operator exempts chosen hosts or networks (`--push-allow-hosts`).
// Registration checks what it can without DNS; the sender checks every
// resolved address again and connects only to the addresses it checked.
// Free functions; any thread.

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "inet/ip_network.h"

namespace parley::push {

inline constexpr std::size_t kMaxWebhookUrlBytes = 2048;

struct WebhookUrl {
  std::string host;                      // decoded name, or the address without brackets
  std::optional<inet::Address> literal;  // set when the host is an IP literal
  std::uint16_t port = 80;
  std::string target;       // path and query, never empty
  std::string host_header;  // as written, for the Host header
  bool tls = false;         // https:// (push endpoints only)
};

// invalid_request with a message naming the problem.
Result<WebhookUrl> parse_webhook_url(const std::string& url);

// Why a connection to `address` for `url` is refused, or nullopt when allowed.
std::optional<std::string> refusal(const WebhookUrl& url, const inet::Address& address,
                                   const inet::HostAllowList& allow);

// The registration-time check: the URL's form, and where the host alone
// (a literal in any spelling, or `localhost`) says it points.
Status check_webhook_registration(const std::string& url, const inet::HostAllowList& allow);

// A Web Push endpoint: https:// (default port 443), or http:// only for a
// host or address `allow` exempts (a local push service in tests).
Result<WebhookUrl> parse_push_endpoint(const std::string& url, const inet::HostAllowList& allow);
// The registration-time check of a Web Push endpoint, with the webhooks' policy.
Status check_push_endpoint_registration(const std::string& url, const inet::HostAllowList& allow);

}  // namespace parley::push
