// parleyd started without --web-root serves the web app of its source tree
// (it runs from the build tree here), and that default root is as closed as
// a flagged one: every spelling of a path out of web/ (into the source tree
// around it, or the disk) answers 404.

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fixture.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class DefaultWebRootTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override { return {"--threads", "2"}; }

  client::HttpResponse get(const std::string& target) {
    client::HttpRequest req;
    req.target = target;
    return server().http().send(req);
  }

  void expect_refused(const std::string& target) {
    auto r = get(target);
    EXPECT_EQ(r.status, 404) << target << " answered " << r.status << ": " << r.raw.substr(0, 80);
    EXPECT_EQ(r.raw.find("cmake_minimum_required"), std::string::npos) << target;
    EXPECT_EQ(r.raw.find("root:"), std::string::npos) << target;
  }

  const fs::path web_ = fs::canonical(PARLEY_SOURCE_WEB_DIR);
};

TEST_F(DefaultWebRootTest, ServesTheWebAppWithoutAFlag) {
  auto index = get("/");
  ASSERT_EQ(index.status, 200) << index.raw.substr(0, 200);
  EXPECT_EQ(index.raw, read_file(web_ / "index.html"));
  EXPECT_NE(index.header("content-type").find("text/html"), std::string::npos);
  auto favicon = get("/favicon.svg");
  EXPECT_EQ(favicon.status, 200);
  EXPECT_EQ(favicon.raw, read_file(web_ / "favicon.svg"));
}

// The service worker lives at the root, so that its default scope ("/")
// covers the whole app, and is served as JavaScript (browsers refuse to
// register a worker of another type).
TEST_F(DefaultWebRootTest, ServesTheServiceWorkerAtTheRootAsJavaScript) {
  auto worker = get("/sw.js");
  ASSERT_EQ(worker.status, 200);
  EXPECT_EQ(worker.raw, read_file(web_ / "sw.js"));
  EXPECT_EQ(worker.header("content-type").rfind("text/javascript", 0), 0u) << worker.header("content-type");
  auto module = get("/js/push.js");
  ASSERT_EQ(module.status, 200);
  EXPECT_EQ(module.header("content-type").rfind("text/javascript", 0), 0u);
}

TEST_F(DefaultWebRootTest, RefusesEveryWayOutOfTheDefaultRoot) {
  const std::string cmake_lists = fs::canonical(web_ / ".." / "CMakeLists.txt").string();
  std::string encoded_absolute;
  for (char c : cmake_lists) encoded_absolute += c == '/' ? std::string("%2F") : std::string(1, c);
  for (const std::string& target : {std::string("/../CMakeLists.txt"),
                                    std::string("/js/../../CMakeLists.txt"),
                                    std::string("/%2e%2e/CMakeLists.txt"),
                                    std::string("/%2E%2E/%2E%2E/etc/passwd"),
                                    std::string("/.%2e/CMakeLists.txt"),
                                    std::string("/..%2FCMakeLists.txt"),
                                    std::string("/..%5CCMakeLists.txt"),
                                    std::string("/%252e%252e/CMakeLists.txt"),
                                    std::string("//etc/passwd"),
                                    std::string("///etc/passwd"),
                                    "/" + cmake_lists,
                                    "/" + encoded_absolute,
                                    std::string("/index.html%00.png"),
                                    std::string("/%00"),
                                    std::string("/index%0a.html"),
                                    std::string("/%ff%fe.html"),
                                    std::string("/js/") + std::string(300, 'x') + "/%c0%ae%c0%ae/CMakeLists.txt",
                                    "/" + std::string(4000, 'a'),
                                    std::string("/./index.html"),
                                    std::string("/.git")}) {
    expect_refused(target);
  }
}

}  // namespace
}  // namespace parley::testing
