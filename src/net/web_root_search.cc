#include "net/web_root_search.h"

#include <system_error>

namespace parley {
namespace fs = std::filesystem;

namespace {

std::optional<fs::path> web_app_at(const fs::path& dir) {
  std::error_code ec;
  fs::path canonical = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(canonical, ec) || ec) return std::nullopt;
  if (!fs::is_regular_file(canonical / "index.html", ec) || ec) return std::nullopt;
  return canonical;
}

// Component by component, so "/src/build-asan" is not inside "/src/build".
bool is_within(const fs::path& dir, const fs::path& path) {
  auto d = dir.begin();
  auto p = path.begin();
  for (; d != dir.end(); ++d, ++p) {
    if (p == path.end() || *d != *p) return false;
  }
  return true;
}

}  // namespace

std::optional<fs::path> find_default_web_root(const WebRootSearch& search) {
  std::error_code ec;
  fs::path executable = search.executable.empty() ? fs::path{} : fs::canonical(search.executable, ec);
  if (ec || executable.empty()) return std::nullopt;
  if (auto installed = web_app_at(executable.parent_path() / ".." / "share" / "parley" / "web")) return installed;
  if (search.build_dir.empty() || search.source_web_dir.empty()) return std::nullopt;
  fs::path build_dir = fs::canonical(search.build_dir, ec);
  if (ec || !is_within(build_dir, executable)) return std::nullopt;
  return web_app_at(search.source_web_dir);
}

fs::path running_executable() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : self;
}

}  // namespace parley
