// The address classifier and the webhook URL policy that keep push webhooks
// from reaching inside the server's network (server-side request forgery).
#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>

#include "inet/ip_network.h"
#include "push/webhook_url.h"

namespace parley {
namespace {

using inet::Address;
using inet::HostAllowList;
using inet::IpNetwork;

Address addr(const char* text) {
  return boost::asio::ip::make_address(text);
}

HostAllowList allow(const char* list) {
  return HostAllowList::parse(list).value();
}

TEST(SpecialUseAddress, ForbiddenRangesAreNamed) {
  const char* forbidden[] = {
      "127.0.0.1",
      "127.255.255.254",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.0.1",
      "169.254.169.254",
      "100.64.0.1",
      "100.100.100.200",
      "192.0.0.192",
      "0.0.0.0",
      "0.1.2.3",
      "224.0.0.1",
      "239.255.255.250",
      "255.255.255.255",
      "240.0.0.1",
      "198.18.0.1",
      "::",
      "::1",
      "fc00::1",
      "fd00:ec2::254",
      "fe80::1",
      "fec0::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "::ffff:169.254.169.254",
      "::127.0.0.1",
      "64:ff9b::7f00:1",
      "2002:7f00:1::1",
      "2002:a9fe:a9fe::",
      "100::1",
  };
  for (const char* a : forbidden) EXPECT_TRUE(inet::special_use(addr(a)).has_value()) << a;
  EXPECT_EQ(inet::special_use(addr("127.0.0.1")).value(), "loopback");
  EXPECT_EQ(inet::special_use(addr("::ffff:127.0.0.1")).value(), "loopback, inside an IPv6 address");
}

TEST(SpecialUseAddress, PublicAddressesPass) {
  const char* public_addresses[] = {"8.8.8.8",        "93.184.216.34",    "172.32.0.1",           "100.128.0.1",
                                    "169.255.0.1",    "11.0.0.1",         "2001:4860:4860::8888", "2a00:1450::1",
                                    "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"};
  for (const char* a : public_addresses) EXPECT_FALSE(inet::special_use(addr(a)).has_value()) << a;
}

TEST(NumericHost, LegacySpellingsAreTheAddressesTheResolverConnectsTo) {
  for (const char* spelling : {"2130706433", "0x7f.1", "017700000001", "127.1", "0177.0.0.1", "0x7f000001"}) {
    auto a = inet::parse_numeric_host(spelling);
    ASSERT_TRUE(a) << spelling;
    EXPECT_EQ(a->to_string(), "127.0.0.1") << spelling;
  }
  EXPECT_EQ(inet::parse_numeric_host("0")->to_string(), "0.0.0.0");
  EXPECT_EQ(inet::parse_numeric_host("::ffff:7f00:1")->to_string(), "::ffff:127.0.0.1");
  EXPECT_FALSE(inet::parse_numeric_host("example.org"));
  EXPECT_FALSE(inet::parse_numeric_host("localhost"));
  EXPECT_FALSE(inet::parse_numeric_host(""));
}

TEST(IpNetwork, ParsesAndContains) {
  auto n = IpNetwork::parse("10.0.0.0/8").value();
  EXPECT_TRUE(n.contains(addr("10.255.0.1")));
  EXPECT_TRUE(n.contains(addr("::ffff:10.0.0.1"))) << "IPv4-mapped compares as IPv4";
  EXPECT_FALSE(n.contains(addr("11.0.0.1")));
  EXPECT_FALSE(n.contains(addr("::1")));
  auto host = IpNetwork::parse("127.0.0.1").value();
  EXPECT_EQ(host.to_string(), "127.0.0.1/32");
  EXPECT_FALSE(host.contains(addr("127.0.0.2")));
  auto v6 = IpNetwork::parse("fd00::/8").value();
  EXPECT_TRUE(v6.contains(addr("fd12::1")));
  EXPECT_FALSE(v6.contains(addr("fc00::1")));
  EXPECT_TRUE(IpNetwork::parse("0.0.0.0/0").value().contains(addr("1.2.3.4")));
}

TEST(IpNetwork, RejectsMalformedNetworks) {
  for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.1/8", "::1/129", "10.0.0.0/-1", "10.0.0.0/8x",
                          "example.org/8", "1.2.3/24", "10.0.0.0/08x"}) {
    EXPECT_FALSE(IpNetwork::parse(bad)) << bad;
  }
}

TEST(HostAllowList, NamesAddressesAndNetworks) {
  auto list = allow(" push.internal , 127.0.0.1,10.0.0.0/8, [::1] ,fd00::/8");
  EXPECT_TRUE(list.allows_name("PUSH.internal."));
  EXPECT_FALSE(list.allows_name("evil.push.internal"));
  EXPECT_TRUE(list.allows_address(addr("127.0.0.1")));
  EXPECT_TRUE(list.allows_address(addr("::ffff:127.0.0.1")));
  EXPECT_FALSE(list.allows_address(addr("127.0.0.2")));
  EXPECT_TRUE(list.allows_address(addr("10.9.8.7")));
  EXPECT_TRUE(list.allows_address(addr("::1")));
  EXPECT_TRUE(list.allows_address(addr("fd00:ec2::254")));
  EXPECT_TRUE(allow("").empty());
  EXPECT_FALSE(HostAllowList::parse("exa mple.org"));
  EXPECT_FALSE(HostAllowList::parse("10.0.0.1/8"));
  EXPECT_FALSE(HostAllowList::parse("1.2.3.4.5"));
}

TEST(WebhookUrl, ParsesTheStrictForm) {
  auto url = push::parse_webhook_url("http://Example.org:8080/hook?x=1").value();
  EXPECT_EQ(url.host, "Example.org");
  EXPECT_FALSE(url.literal);
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(url.target, "/hook?x=1");
  EXPECT_EQ(url.host_header, "Example.org:8080");
  auto v6 = push::parse_webhook_url("http://[2001:db8::1]/").value();
  EXPECT_EQ(v6.host, "2001:db8::1");
  ASSERT_TRUE(v6.literal);
  EXPECT_EQ(v6.port, 80);
  EXPECT_EQ(push::parse_webhook_url("http://example.org").value().target, "/");
  // A percent-encoded host is the name it decodes to, and a numeric one is an address.
  auto encoded = push::parse_webhook_url("http://%31%32%37.0.0.1/").value();
  ASSERT_TRUE(encoded.literal);
  EXPECT_EQ(encoded.literal->to_string(), "127.0.0.1");
}

TEST(WebhookUrl, RegistrationRefusesForbiddenTargetsByDefault) {
  const char* refused[] = {
      "http://127.0.0.1:6379/",
      "http://169.254.169.254/latest/meta-data/",
      "http://[::1]:22/",
      "http://2130706433/",
      "http://0x7f.1/",
      "http://017700000001/",
      "http://127.1/",
      "http://0/",
      "http://0.0.0.0/",
      "http://%31%32%37.0.0.1/",
      "http://localhost/",
      "http://LOCALHOST./",
      "http://api.localhost/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:7f00:1]/",
      "http://[64:ff9b::a9fe:a9fe]/",
      "http://[fd00:ec2::254]/",
      "http://[fe80::1]/",
      "http://10.0.0.1/",
      "http://172.16.5.4/",
      "http://192.168.1.1/",
      "http://100.100.100.200/",
      "http://224.0.0.1/",
      "http://255.255.255.255/",
      "http://[::]/",
      "http://evil@127.0.0.1/",
      "http://example.org@127.0.0.1/",
      "http://user:pass@example.org/",
      "https://example.org/",
      "ftp://example.org/",
      "file:///etc/passwd",
      "gopher://127.0.0.1:6379/_INFO",
      "javascript:alert(1)",
      "http:///nohost",
      "http:nohost",
      "//example.org/",
      "not a url",
      "",
      "http://example.org:0/",
      "http://example.org:99999/",
      "http://example.org:65616/",
      "http://example.org/#fragment",
      "http://[v1.x]/",
      "http://exa%00mple.org/",
      "http://exa%20mple.org/",
      "http://\xC3\xA9xample.org/",
  };
  HostAllowList none;
  for (const char* url : refused) {
    auto ok = push::check_webhook_registration(url, none);
    EXPECT_FALSE(ok) << url;
    if (!ok) {
      EXPECT_EQ(ok.error().code, ErrorCode::invalid_request) << url;
    }
  }
  std::string oversized = "http://example.org/" + std::string(push::kMaxWebhookUrlBytes, 'a');
  EXPECT_FALSE(push::check_webhook_registration(oversized, none));
  EXPECT_TRUE(push::check_webhook_registration("http://example.org/hook", none));
  EXPECT_TRUE(push::check_webhook_registration("http://93.184.216.34:8080/hook", none));
  EXPECT_TRUE(push::check_webhook_registration("http://[2001:4860:4860::8888]/", none));
}

TEST(WebhookUrl, OperatorAllowListExemptsChosenHostsAndNetworks) {
  auto list = allow("127.0.0.1,push.internal,10.1.0.0/16");
  for (const char* url : {"http://127.0.0.1:9000/", "http://2130706433:9000/", "http://[::ffff:127.0.0.1]/",
                          "http://localhost:9000/", "http://10.1.2.3/", "http://push.internal/"}) {
    EXPECT_TRUE(push::check_webhook_registration(url, list)) << url;
  }
  for (const char* url : {"http://127.0.0.2/", "http://[::1]/", "http://10.2.0.1/", "http://169.254.169.254/",
                          "http://evil@127.0.0.1/"}) {
    EXPECT_FALSE(push::check_webhook_registration(url, list)) << url;
  }
  // A name on the list is trusted whatever it resolves to; an address is judged by itself.
  auto named = push::parse_webhook_url("http://push.internal/").value();
  EXPECT_FALSE(push::refusal(named, addr("10.9.9.9"), list));
  auto other = push::parse_webhook_url("http://rebinding.example/").value();
  EXPECT_TRUE(push::refusal(other, addr("10.9.9.9"), list));
  EXPECT_TRUE(push::refusal(other, addr("169.254.169.254"), list));
  EXPECT_FALSE(push::refusal(other, addr("10.1.9.9"), list));
  EXPECT_FALSE(push::refusal(other, addr("93.184.216.34"), list));
  // A literal host never benefits from a name entry.
  auto localhost_only = allow("localhost");
  EXPECT_TRUE(push::check_webhook_registration("http://localhost/", localhost_only));
  EXPECT_FALSE(push::check_webhook_registration("http://127.0.0.1/", localhost_only));
}

}  // namespace
}  // namespace parley
