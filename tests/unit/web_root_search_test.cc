// Where an unflagged parleyd looks for the web app: the installed share
// directory beside its binary, else the source tree's web/ only for a binary
// inside its own build tree.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "net/web_root_search.h"

namespace parley {
namespace {

namespace fs = std::filesystem;

class WebRootSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("parley-webroot-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    base_ = fs::weakly_canonical(base_);
    // An installed layout, a source tree with its build tree, and a build
    // tree whose name starts like the real one.
    make_binary(base_ / "prefix" / "bin" / "parleyd");
    make_app(base_ / "prefix" / "share" / "parley" / "web");
    make_binary(base_ / "src" / "build" / "src" / "app" / "parleyd");
    make_binary(base_ / "src" / "build-other" / "parleyd");
    make_binary(base_ / "elsewhere" / "bin" / "parleyd");
    make_app(base_ / "src" / "web");
  }
  void TearDown() override { fs::remove_all(base_); }

  static void make_binary(const fs::path& path) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "binary";
  }
  static void make_app(const fs::path& dir) {
    fs::create_directories(dir);
    std::ofstream(dir / "index.html") << "<!doctype html>";
  }
  WebRootSearch from(const fs::path& executable) const {
    return {executable, base_ / "src" / "build", base_ / "src" / "web"};
  }

  fs::path base_;
};

TEST_F(WebRootSearchTest, InstalledBinaryUsesShareBesideIt) {
  EXPECT_EQ(find_default_web_root(from(base_ / "prefix" / "bin" / "parleyd")),
            base_ / "prefix" / "share" / "parley" / "web");
}

TEST_F(WebRootSearchTest, BuildTreeBinaryUsesTheSourceWebDirectory) {
  EXPECT_EQ(find_default_web_root(from(base_ / "src" / "build" / "src" / "app" / "parleyd")), base_ / "src" / "web");
}

TEST_F(WebRootSearchTest, BinaryOutsideTheBuildTreeNeverReachesIntoTheSources) {
  EXPECT_EQ(find_default_web_root(from(base_ / "elsewhere" / "bin" / "parleyd")), std::nullopt);
  EXPECT_EQ(find_default_web_root(from(base_ / "src" / "build-other" / "parleyd")), std::nullopt)
      << "a sibling whose name starts like the build tree is not inside it";
}

TEST_F(WebRootSearchTest, ShareWithoutIndexHtmlIsNoWebApp) {
  fs::remove(base_ / "prefix" / "share" / "parley" / "web" / "index.html");
  EXPECT_EQ(find_default_web_root(from(base_ / "prefix" / "bin" / "parleyd")), std::nullopt);
  fs::remove(base_ / "src" / "web" / "index.html");
  fs::create_directory(base_ / "src" / "web" / "index.html");  // a directory is not the page
  EXPECT_EQ(find_default_web_root(from(base_ / "src" / "build" / "src" / "app" / "parleyd")), std::nullopt);
}

TEST_F(WebRootSearchTest, UnknownExecutableFindsNothing) {
  EXPECT_EQ(find_default_web_root(from("")), std::nullopt);
  EXPECT_EQ(find_default_web_root(from(base_ / "no" / "such" / "parleyd")), std::nullopt);
}

TEST_F(WebRootSearchTest, RunningExecutableIsThisTestBinary) {
  auto self = running_executable();
  ASSERT_FALSE(self.empty());
  EXPECT_TRUE(fs::is_regular_file(self)) << self;
}

}  // namespace
}  // namespace parley
