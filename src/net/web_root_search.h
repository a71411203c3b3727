#pragma once
// Where parleyd finds the browser client when --web-root is not given.

#include <filesystem>
#include <optional>

namespace parley {

// The places an unflagged parleyd looks for the web app, first match wins.
struct WebRootSearch {
  std::filesystem::path executable;  // this process's binary (see running_executable)
  // The build tree and the source tree's web/ this binary was built from
  // (set by CMake); the source web/ is only used by a binary inside the build tree.
  std::filesystem::path build_dir;
  std::filesystem::path source_web_dir;
};

// 1. <dir of the executable>/../share/parley/web (an installed parleyd);
// 2. the source tree's web/, only when the executable lies inside the build
//    tree it was built in (a developer's build; an installed copy of the
//    binary never reaches back into a source tree).
// A candidate counts only if it is a directory holding index.html. The
// result is canonical; nullopt when no candidate fits.
std::optional<std::filesystem::path> find_default_web_root(const WebRootSearch& search);

// The running binary's path (/proc/self/exe), or empty when unknown.
std::filesystem::path running_executable();

}  // namespace parley
