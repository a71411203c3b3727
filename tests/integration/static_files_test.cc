// The web root is the only part of the disk the static file server shows:
// every spelling of a path that leaves it answers 404.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fixture.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

class StaticFilesTest : public ParleyTest {
 protected:
  // A web root with one app file, and beside it things that must stay hidden:
  // a sibling directory whose name starts like the root's, a secret outside,
  // a hidden file inside, and symlinks that lead out.
  static void SetUpTestSuite() {
    base_ = fs::temp_directory_path() / ("parley-static-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "web" / "assets");
    fs::create_directories(base_ / "web-private");
    write_file(base_ / "web" / "index.html", "<!doctype html><title>Parley</title>");
    write_file(base_ / "web" / "assets" / "app.js", "export const ok = 1;");
    write_file(base_ / "web" / ".env", "SECRET=hidden");
    write_file(base_ / "web-private" / "key.txt", "SECRET=sibling");
    write_file(base_ / "secret.txt", "SECRET=outside");
    fs::create_symlink(base_ / "secret.txt", base_ / "web" / "leak.txt");
    fs::create_directory_symlink("/etc", base_ / "web" / "etc");
    fs::create_symlink("assets/app.js", base_ / "web" / "alias.js");  // stays inside: allowed
  }
  static void TearDownTestSuite() { fs::remove_all(base_); }

  std::vector<std::string> server_flags() const override {
    return {"--web-root", (base_ / "web").string(), "--threads", "2"};
  }

  client::HttpResponse get(const std::string& target) {
    client::HttpRequest req;
    req.target = target;
    return server().http().send(req);
  }

  void expect_refused(const std::string& target) {
    auto r = get(target);
    EXPECT_EQ(r.status, 404) << target << " answered " << r.status << ": " << r.raw.substr(0, 80);
    EXPECT_EQ(r.raw.find("SECRET"), std::string::npos) << target;
    EXPECT_EQ(r.raw.find("root:"), std::string::npos) << target;
  }

  static inline fs::path base_;
};

TEST_F(StaticFilesTest, ServesFilesOfTheWebRoot) {
  auto index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.raw.find("<title>Parley</title>"), std::string::npos);
  EXPECT_EQ(get("/index.html").status, 200);
  auto js = get("/assets/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_NE(js.header("content-type").find("text/javascript"), std::string::npos);
  EXPECT_EQ(get("/assets/app.js?v=3").status, 200);
  EXPECT_EQ(get("/assets/%61pp.js").status, 200) << "percent-encoded ordinary letters are fine";
  EXPECT_EQ(get("/alias.js").status, 200) << "a symlink that stays inside the root is served";
  EXPECT_EQ(get("/assets/missing.js").status, 404);
  EXPECT_EQ(get("/assets").status, 404) << "directories are not files";
}

TEST_F(StaticFilesTest, RefusesAbsoluteAndDoubledSlashes) {
  for (const char* target :
       {"//etc/passwd", "///etc/passwd", "//proc/self/environ", "/assets//app.js", "//" /* doubled root */}) {
    expect_refused(target);
  }
}

TEST_F(StaticFilesTest, RefusesEncodedSlashesAndBackslashes) {
  for (const char* target : {"/%2Fetc/passwd", "/%2fetc%2fpasswd", "/%2F%2Fetc%2Fpasswd", "/assets%2Fapp.js",
                             "/%5Cetc%5Cpasswd", "/assets%5capp.js", "/..%5C..%5Csecret.txt", "/%252Fetc%252Fpasswd"}) {
    expect_refused(target);
  }
}

TEST_F(StaticFilesTest, RefusesDotSegmentsInEverySpelling) {
  for (const char* target :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2E%2E/etc/passwd",
        "/.%2e/secret.txt", "/../web-private/key.txt", "/./index.html", "/%2e/index.html", "/.env", "/%2eenv"}) {
    expect_refused(target);
  }
}

TEST_F(StaticFilesTest, RefusesNulControlAndOversizedPaths) {
  expect_refused("/index.html%00.png");
  expect_refused("/%00");
  expect_refused("/index%0a.html");
  expect_refused("/" + std::string(4000, 'a'));
  expect_refused("/assets/" + std::string(300, 'x') + "/%ff%fe.js");  // invalid UTF-8, long
}

TEST_F(StaticFilesTest, RefusesSymlinksLeadingOut) {
  expect_refused("/leak.txt");
  expect_refused("/etc/passwd");
  expect_refused("/etc/hostname");
}

TEST_F(StaticFilesTest, NeverServesTheDataDirectory) {
  // The store's files (the write-ahead log holds every message) by absolute
  // path, encoded and not.
  std::string data = fs::canonical(server().data_dir()).string();
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (!entry.is_regular_file()) continue;
    std::string path = entry.path().string();
    expect_refused("/" + path);
    std::string encoded;
    for (char c : path) encoded += c == '/' ? std::string("%2F") : std::string(1, c);
    expect_refused("/" + encoded);
  }
}

}  // namespace
}  // namespace parley::testing
