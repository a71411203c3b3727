// HOST:PORT as parleyd reads it for --listen, --redis and each ZooKeeper
// server: the spellings it takes, and the hostile ones it refuses with a
// message that never echoes control bytes or megabytes.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster/cluster_names.h"
#include "inet/host_port.h"

namespace parley::inet {
namespace {

// A spelling that is taken, and the address it names.
struct Taken {
  const char* text;
  const char* host;
  std::uint16_t port;
};

void expect_taken(const Taken& c, const ParsedHostPort& parsed) {
  ASSERT_TRUE(parsed.address) << c.text << ": " << parsed.error;
  EXPECT_EQ(parsed.address->host, c.host);
  EXPECT_EQ(parsed.address->port, c.port);
  EXPECT_TRUE(parsed.error.empty());
}

TEST(HostPortTest, NamesIpv4AndBracketedIpv6AreTaken) {
  for (const Taken& c :
       {Taken{"127.0.0.1:8080", "127.0.0.1", 8080}, Taken{"redis.internal:6379", "redis.internal", 6379},
        Taken{"zk_1-a:2181", "zk_1-a", 2181}, Taken{"[::1]:6379", "::1", 6379}, Taken{"[::]:1", "::", 1},
        Taken{"[2001:db8::7]:65535", "2001:db8::7", 65535}, Taken{"[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1", 80},
        Taken{"host:00080", "host", 80}}) {
    expect_taken(c, parse_host_port(c.text));
  }
}

TEST(HostPortTest, PortZeroOnlyWhereAllowed) {
  EXPECT_FALSE(parse_host_port("127.0.0.1:0").address);
  auto any = parse_host_port("127.0.0.1:0", PortZero::allowed);
  ASSERT_TRUE(any.address) << any.error;
  EXPECT_EQ(any.address->port, 0);
  EXPECT_FALSE(parse_host_port("127.0.0.1:65536", PortZero::allowed).address);
}

TEST(HostPortTest, HostileSpellingsAreRefused) {
  const std::string too_long_name = std::string(kMaxHostBytes + 1, 'a') + ":80";
  for (const std::string& text : std::vector<std::string>{
           "",                            // empty
           ":",                           // nothing at all
           ":6379",                       // no host
           "redis",                       // no port
           "redis:",                      // empty port
           "[::1]",                       // IPv6 without a port
           "::1",                         // IPv6, no brackets, no port
           "::1:6379",                    // IPv6 without brackets: which colon ends it?
           "2001:db8::7:80",              //
           "[::1:6379",                   // unclosed bracket
           "::1]:6379",                   //
           "[]:6379",                     // empty brackets
           "[redis]:6379",                // a name is no IPv6 address
           "[1.2.3.4]:80",                //
           "[::1]x:80",                   // bytes after the bracket
           "[::1%eth0]:80",               // zone ids are not taken
           "redis:0",                     // port 0
           "redis:65536",                 // past 65535
           "redis:99999",                 //
           "redis:4294967376",            // wraps 32 bits to 80
           "redis:18446744073709551696",  // wraps 64 bits to 80
           "redis:-1",                    // signs
           "redis:+80",                   //
           "redis: 80",                   // spaces
           "redis :80",                   //
           " redis:80",                   //
           "redis:80 ",                   //
           "redis:8o",                    // non-digits
           "redis:0x50",                  //
           "redis:80.0",                  //
           "redis:１２",                  // full-width digits (UTF-8)
           "redis:80:81",                 // two ports
           "a:1,b:2",                     // a list where one belongs
           "user@redis:80",               // credentials
           "redis/0:80",                  // paths
           "redis:80/chroot",             //
           "-redis:80",                   // looks like an option
           ".:80",                        //
           std::string("red\0is:80", 9),  // NUL
           "red\nis:80",                  // control bytes
           "r\xc3\xa9"
           "dis:80",                   // non-ASCII name
           "\xff\xfe:80",              // invalid UTF-8
           "%72edis:80",               // percent-encoded
           too_long_name,              // oversized name
           std::string(100'000, '9'),  // oversized anything
       }) {
    auto parsed = parse_host_port(text);
    EXPECT_FALSE(parsed.address) << quoted_for_error(text) << " was taken";
    EXPECT_FALSE(parsed.error.empty());
    EXPECT_LT(parsed.error.size(), 200u) << "the message quotes at most 80 bytes";
    for (const char c : parsed.error) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "a raw byte " << static_cast<int>(static_cast<unsigned char>(c))
                                         << " in the message for " << quoted_for_error(text);
    }
  }
}

TEST(HostPortTest, ADefaultPortStandsInOnlyForAMissingOne) {
  for (const Taken& c : {Taken{"example.org", "example.org", 80}, Taken{"10.0.0.1", "10.0.0.1", 80},
                         Taken{"[::1]", "::1", 80}, Taken{"[2001:db8::7]", "2001:db8::7", 80},
                         Taken{"example.org:8080", "example.org", 8080}, Taken{"[::1]:7000", "::1", 7000}}) {
    expect_taken(c, parse_host_port(c.text, PortZero::refused, 80));
  }
  // The host is checked as strictly as with a port, and a port that is
  // there is checked as strictly as without a default.
  std::vector<std::string> refused{"",          ":",       ":80",      "host:",    "[::1]:", "::1",    "2001:db8::7",
                                   "[]",        "[::1",    "::1]",     "[redis]",  "[::1]x", "host:0", "host:65536",
                                   "host:8o",   "host:-1", "host: 80", " host",    "host ",  "-host",  "user@host",
                                   "host/path", "a,b",     "red\nis",  "\xff\xfe", "%72edis"};
  refused.emplace_back("h\0st", 4);
  refused.emplace_back(kMaxHostBytes + 1, 'a');
  refused.emplace_back(100'000, 'a');
  for (const std::string& text : refused) {
    auto parsed = parse_host_port(text, PortZero::refused, 80);
    EXPECT_FALSE(parsed.address) << quoted_for_error(text) << " was taken";
    EXPECT_FALSE(parsed.error.empty());
    EXPECT_LT(parsed.error.size(), 200u);
  }
  EXPECT_NE(parse_host_port("host:", PortZero::refused, 80).error.find("1 to 65535"), std::string::npos);
  EXPECT_NE(parse_host_port("::1", PortZero::refused, 80).error.find("brackets"), std::string::npos);
}

TEST(HostPortTest, FormattingReadsBack) {
  EXPECT_EQ(format_host_port("127.0.0.1", 8080), "127.0.0.1:8080");
  EXPECT_EQ(format_host_port("redis.internal", 1), "redis.internal:1");
  EXPECT_EQ(format_host_port("::1", 6379), "[::1]:6379");
  for (const char* text : {"127.0.0.1:8080", "zk_1-a:2181", "[::1]:6379", "[2001:db8::7]:65535"}) {
    auto parsed = parse_host_port(text);
    ASSERT_TRUE(parsed.address) << text;
    EXPECT_EQ(format_host_port(parsed.address->host, parsed.address->port), text);
  }
}

TEST(HostPortTest, TheLongestNameFits) {
  const std::string name(kMaxHostBytes, 'a');
  auto parsed = parse_host_port(name + ":65535");
  ASSERT_TRUE(parsed.address) << parsed.error;
  EXPECT_EQ(parsed.address->host, name);
}

TEST(HostPortTest, MessagesSayWhatIsWrong) {
  EXPECT_NE(parse_host_port("::1:6379").error.find("brackets"), std::string::npos);
  EXPECT_NE(parse_host_port("redis").error.find("no :PORT"), std::string::npos);
  EXPECT_NE(parse_host_port("redis:0").error.find("1 to 65535"), std::string::npos);
  EXPECT_NE(parse_host_port("redis:0", PortZero::refused).error.find("\"redis:0\""), std::string::npos);
  EXPECT_NE(parse_host_port("a:1,b:2").error.find("not a list"), std::string::npos);
  EXPECT_EQ(parse_host_port("red\nis:80").error.find('\n'), std::string::npos);
  EXPECT_NE(parse_host_port("red\nis:80").error.find("\\x0a"), std::string::npos);
}

TEST(HostPortListTest, EveryServerOfAListIsChecked) {
  auto three = parse_host_port_list("zk1:2181,[::1]:2182,10.0.0.3:2183", 1024);
  ASSERT_EQ(three.addresses.size(), 3u) << three.error;
  EXPECT_EQ(three.addresses[1].host, "::1");
  EXPECT_EQ(three.addresses[2].port, 2183);
  for (const std::string& text :
       std::vector<std::string>{"", ",", "zk1:2181,", ",zk1:2181", "zk1:2181,,zk2:2181", "zk1:2181,zk2",
                                "zk1:2181,zk2:0", "zk1:2181/parley", "zk1:2181, zk2:2181"}) {
    auto parsed = parse_host_port_list(text, 1024);
    EXPECT_TRUE(parsed.addresses.empty()) << quoted_for_error(text) << " was taken";
    EXPECT_FALSE(parsed.error.empty());
  }
  std::string long_list = "zk:1";
  while (long_list.size() <= 1024) long_list += ",zk:1";
  EXPECT_TRUE(parse_host_port_list(long_list, 1024).addresses.empty());
}

TEST(HostPortListTest, TheZooKeeperConnectStringIsReadTheSameWay) {
  EXPECT_FALSE(cluster::connect_string_error("127.0.0.1:2181,[::1]:2182"));
  for (const char* text : {"", "127.0.0.1", "127.0.0.1:2181/chroot", "::1:2181", "zk:0", "zk:65536", "zk:2181,"}) {
    auto error = cluster::connect_string_error(text);
    ASSERT_TRUE(error) << text;
    EXPECT_NE(error->find("ZooKeeper address"), std::string::npos) << *error;
  }
}

}  // namespace
}  // namespace parley::inet
