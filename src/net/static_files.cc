#include "net/static_files.h"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace parley {
namespace http = boost::beast::http;
namespace fs = std::filesystem;

namespace {

// Longer request paths than this are never a file of the web app.
constexpr std::size_t kMaxPathBytes = 1024;
// The web app's files are small; anything larger is not ours to serve.
constexpr std::uintmax_t kMaxFileBytes = 16u << 20;

const char* content_type_of(const fs::path& path) {
  auto ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".webmanifest") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  return "application/octet-stream";
}

rest::Response not_found(const rest::Request& req) {
  return rest::reply(req, http::status::not_found, R"({"error":{"code":"not_found","message":"no such page"}})");
}

// A decoded path segment that names an ordinary entry of its directory: not
// empty (doubled slashes), no separator of any platform (encoded "/" or "\"),
// no NUL or control byte, and no leading dot ("." and ".." and hidden files).
bool plain_segment(std::string_view segment) {
  if (segment.empty() || segment.front() == '.') return false;
  for (unsigned char c : segment) {
    if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// True when `path` is `root` itself or lies below it, component by component
// (so "/srv/web-private" is not inside "/srv/web").
bool is_within(const fs::path& root, const fs::path& path) {
  auto r = root.begin();
  auto p = path.begin();
  for (; r != root.end(); ++r, ++p) {
    if (p == path.end() || *r != *p) return false;
  }
  return true;
}

// Maps a request target to a file under `root`, or nothing. Every segment is
// decoded and checked on its own, then the result is resolved through
// symlinks and must still be a regular file inside the resolved root.
std::optional<fs::path> resolve(const std::string& root, std::string_view target) {
  if (target.size() > kMaxPathBytes) return std::nullopt;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  // Split the encoded path by hand: a segments view would hide a leading
  // "/./", and every spelling must be judged as the client sent it.
  std::string_view path = url->encoded_path();
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  fs::path relative;
  if (path.empty()) {
    relative = "index.html";
  } else {
    for (;;) {
      auto slash = path.find('/');
      auto encoded = boost::urls::make_pct_string_view(path.substr(0, slash));
      if (!encoded) return std::nullopt;
      std::string segment = encoded->decode();
      if (!plain_segment(segment)) return std::nullopt;
      relative /= segment;
      if (slash == std::string_view::npos) break;
      path.remove_prefix(slash + 1);
    }
  }
  std::error_code ec;
  fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  fs::path file = fs::canonical(canonical_root / relative, ec);
  if (ec || !is_within(canonical_root, file)) return std::nullopt;
  if (!fs::is_regular_file(file, ec) || ec) return std::nullopt;
  return file;
}

}  // namespace

rest::Response serve_static(const std::string& root, const rest::Request& req) {
  if (root.empty()) return not_found(req);
  auto file = resolve(root, req.target());
  if (!file) return not_found(req);
  std::error_code ec;
  auto size = fs::file_size(*file, ec);
  if (ec || size > kMaxFileBytes) return not_found(req);
  std::ifstream in(*file, std::ios::binary);
  if (!in) return not_found(req);
  std::ostringstream body;
  body << in.rdbuf();
  auto res = rest::reply(req, http::status::ok, body.str(), content_type_of(*file));
  res.set(http::field::cache_control, "no-cache");
  return res;
}

}  // namespace parley
