// Unit tests of CLI pieces that need no server: URL parsing and the
// permissions of the stored login.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/cli_context.h"
#include "cli/login_store.h"
#include "cli/output.h"

namespace parley::cli {
namespace {

namespace fs = std::filesystem;

TEST(ServerAddressTest, ParsesHttpUrlsAndHostPort) {
  auto a = ServerAddress::parse("http://127.0.0.1:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->url(), "http://127.0.0.1:8080");
  auto b = ServerAddress::parse("chat.example.org:9000/");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "chat.example.org");
  EXPECT_EQ(b->port, 9000);
  auto c = ServerAddress::parse("http://example.org");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 80);
  auto d = ServerAddress::parse("http://[::1]:7000");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->host, "::1");
  EXPECT_EQ(d->url(), "http://[::1]:7000");
  auto e = ServerAddress::parse("[::1]");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 80);
  EXPECT_EQ(ServerAddress::parse("http://example.org:8080//")->port, 8080);
  for (const char* bad : {"https://example.org", "http://", "host:", "host:99999", "host:0", "http://h:1/v1", ""}) {
    EXPECT_FALSE(ServerAddress::parse(bad)) << bad;
  }
}

// --server comes from the user's command line or a stored login and route
// answers from the network: hostile spellings are refused, not guessed at.
TEST(ServerAddressTest, RefusesHostileSpellings) {
  std::vector<std::string> refused{
      ":8080",     "http://:8080",   "http://[]:80", "http://[]",  "[::1",       "::1]:80",         "::1",
      "::1:8080",  "http://[redis]", "[::1]:",       "[::1]8080",  "host:65536", "host:4294967376", "host:-1",
      "host:+80",  "host:8o",        "host:0x50",    "host: 80",   " host",      "host ",           "host:80:81",
      "user@host", "a:1,b:2",        "host?x",       "-host",      "host\\x",    "red\nis",         "r\xc3\xa9",
      "\xff\xfe",  "%68ost",         "ftp://host",   "HTTP://host"};
  refused.emplace_back("h\0st", 4);
  refused.emplace_back(254, 'a');
  refused.push_back("http://" + std::string(100'000, 'a'));
  for (const std::string& bad : refused) {
    EXPECT_FALSE(ServerAddress::parse(bad)) << bad.substr(0, 80);
  }
  EXPECT_EQ(ServerAddress::parse(std::string(253, 'a'))->port, 80);
}

TEST(ServerAddressTest, TheUsageErrorQuotesABadServerSafely) {
  LoginStore store(fs::temp_directory_path() / "parley-no-such-store");
  Output out(false);
  try {
    CommandContext context(GlobalOptions{"http://a\nb:80", false}, store, out);
    FAIL() << "a bad --server was taken";
  } catch (const CliError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\\x0a"), std::string::npos) << e.what();
  }
}

class LoginStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "parley-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }
  static unsigned mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  fs::path root_;
};

TEST_F(LoginStoreTest, SavesPrivatelyAndTightensAnExistingDirectory) {
  const fs::path dir = root_ / "cfg" / "parley";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);  // 0777, as a careless umask might leave it
  LoginStore store(dir);
  EXPECT_FALSE(store.load());
  store.save({"http://h:1", "tok", "u1", "d1", "a@example.org", "Ann"});
  EXPECT_EQ(mode(dir), 0700u);
  EXPECT_EQ(mode(store.login_path()), 0600u);
  auto loaded = store.load();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->token, "tok");
  EXPECT_EQ(loaded->display_name, "Ann");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1) << "no temporary files left";
}

TEST_F(LoginStoreTest, CursorBelongsToOneDeviceAndGoesWithTheLogin) {
  LoginStore store(root_ / "parley");
  store.save({"http://h:1", "tok", "u1", "d1", "", ""});
  store.save_cursor("d1", "o42");
  EXPECT_EQ(mode(store.cursor_path()), 0600u);
  EXPECT_EQ(store.load_cursor("d1"), "o42");
  EXPECT_FALSE(store.load_cursor("d2"));
  store.save({"http://h:1", "tok2", "u1", "d2", "", ""});  // a new login is a new device
  EXPECT_FALSE(store.load_cursor("d1"));
  store.save_cursor("d2", "o7");
  store.forget();
  EXPECT_FALSE(store.load());
  EXPECT_FALSE(fs::exists(store.cursor_path()));
}

TEST(LoginStoreDirTest, FollowsXdgConfigHome) {
  ::setenv("XDG_CONFIG_HOME", "/tmp/xdg-test", 1);
  EXPECT_EQ(LoginStore::default_dir(), fs::path("/tmp/xdg-test/parley"));
  ::setenv("XDG_CONFIG_HOME", "relative/ignored", 1);
  ::setenv("HOME", "/tmp/home-test", 1);
  EXPECT_EQ(LoginStore::default_dir(), fs::path("/tmp/home-test/.config/parley"));
}

}  // namespace
}  // namespace parley::cli
