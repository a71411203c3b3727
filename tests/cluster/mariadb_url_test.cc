// parse_mariadb_url: the addresses of the accounts database and of each
// message shard, as operators write them. Needs no server.
#include <gtest/gtest.h>

#include <string>

#include "store/mariadb/mariadb_url.h"

namespace parley::mariadb {
namespace {

TEST(MariaDbUrl, ReadsEveryPart) {
  auto full = parse_mariadb_url("mariadb://parley:s%40cret%3A%2F@db-1.example.com:3307/parley_shard_0");
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->user, "parley");
  EXPECT_EQ(full->password, "s@cret:/");
  EXPECT_EQ(full->host, "db-1.example.com");
  EXPECT_EQ(full->port, 3307);
  EXPECT_EQ(full->database, "parley_shard_0");

  auto plain = parse_mariadb_url("mariadb://10.0.0.7/messages1");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->host, "10.0.0.7");
  EXPECT_EQ(plain->port, 3306);
  EXPECT_TRUE(plain->user.empty());
  EXPECT_TRUE(plain->password.empty());

  auto v6 = parse_mariadb_url("mariadb://u:@[::1]:3310/db");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 3310);
  EXPECT_EQ(v6->user, "u");
  EXPECT_TRUE(v6->password.empty());

  auto socket = parse_mariadb_url("mariadb://root@localhost/db?socket=/run/mysqld/mysqld.sock");
  ASSERT_TRUE(socket.ok()) << socket.error().message;
  EXPECT_EQ(socket->host, "localhost");
  EXPECT_EQ(socket->unix_socket, "/run/mysqld/mysqld.sock");

  // An unencoded '@' in the password: the last '@' ends the credentials.
  auto at = parse_mariadb_url("mariadb://u:p@ss@host/db");
  ASSERT_TRUE(at.ok()) << at.error().message;
  EXPECT_EQ(at->password, "p@ss");
  EXPECT_EQ(at->host, "host");
}

TEST(MariaDbUrl, RefusesHostileOrBrokenUrlsWithoutEchoingThePassword) {
  const std::string nul("mariadb://u:p%00w@h/db");
  for (const std::string& url : {std::string(""),
                                 std::string("mysql://h/db"),
                                 std::string("mariadb://h"),
                                 std::string("mariadb://h/"),
                                 std::string("mariadb://h/db;DROP"),
                                 std::string("mariadb://h/db`x"),
                                 std::string("mariadb://h/../etc"),
                                 std::string("mariadb://h/") + std::string(65, 'a'),
                                 std::string("mariadb://h:0/db"),
                                 std::string("mariadb://h:65536/db"),
                                 std::string("mariadb://h:/db"),
                                 std::string("mariadb://h:12x/db"),
                                 std::string("mariadb://:3306/db"),
                                 std::string("mariadb://h o/db"),
                                 std::string("mariadb://[::1/db"),
                                 std::string("mariadb://[::1]x/db"),
                                 std::string("mariadb://u:secret%zz@h/db"),
                                 std::string("mariadb://u:secret%4@h/db"),
                                 nul,
                                 std::string("mariadb://@h/db"),
                                 std::string("mariadb://h/db?socket=relative"),
                                 std::string("mariadb://h/db?socket=/s"),
                                 std::string("mariadb://localhost/db?user=x"),
                                 std::string("mariadb://h\xff/db")}) {
    auto parsed = parse_mariadb_url(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.error().code, ErrorCode::invalid_request) << url;
    EXPECT_EQ(parsed.error().message.find("secret"), std::string::npos) << parsed.error().message;
  }
}

}  // namespace
}  // namespace parley::mariadb
