#include "net/static_files.h"

#include <boost/url/parse.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace parley {
namespace http = boost::beast::http;

namespace {

const char* content_type_of(const std::filesystem::path& path) {
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
  return rest::reply(req, http::status::not_found,
                     R"({"error":{"code":"not_found","message":"no such page"}})");
}

}  // namespace

rest::Response serve_static(const std::string& root, const rest::Request& req) {
  if (root.empty()) return not_found(req);
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return not_found(req);
  std::string path = url->path();
  if (path.empty() || path == "/") path = "/index.html";
  if (path.find("..") != std::string::npos || path.find('\0') != std::string::npos) return not_found(req);
  std::filesystem::path file = std::filesystem::path(root) / path.substr(1);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return not_found(req);
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found(req);
  std::ostringstream body;
  body << in.rdbuf();
  auto res = rest::reply(req, http::status::ok, body.str(), content_type_of(file));
  res.set(http::field::cache_control, "no-cache");
  return res;
}

}  // namespace parley
