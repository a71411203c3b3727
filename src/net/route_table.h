#pragma once
// RouteTable: the REST endpoints as rows of (method, path pattern, handler).
// A pattern is literal segments and {name} parameters, e.g.
// "/v1/chats/{chat_id}/members/{user_id}"; a parameter matches exactly one
// non-empty segment. lookup() answers the handler and its parameters, or that
// the path exists with other methods (for 405 and its Allow header), or that
// no route has this path. Filled once at start-up (a malformed or duplicate
// row throws then), read-only afterwards: any thread may look up.

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace parley {

// The {name} values of a matched path, percent-decoded.
class PathParams {
 public:
  void add(std::string name, std::string value) { values_.emplace_back(std::move(name), std::move(value)); }
  // A name the route's pattern declares; any other is a programming error.
  const std::string& operator[](std::string_view name) const {
    for (const auto& [n, v] : values_) {
      if (n == name) return v;
    }
    throw std::logic_error("route has no parameter " + std::string(name));
  }
  std::size_t size() const { return values_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

template <typename Handler>
class RouteTable {
 public:
  struct Found {
    const Handler* handler;
    PathParams params;
  };
  struct WrongMethod {
    std::string allow;  // "GET, POST": the methods this path has
  };
  struct NoRoute {};
  using Lookup = std::variant<NoRoute, WrongMethod, Found>;

  void add(std::string method, std::string_view pattern, Handler handler) {
    Row row{std::move(method), split(pattern), std::move(handler)};
    std::vector<std::string_view> names;
    for (const auto& seg : row.segments) {
      if (seg.empty()) throw std::logic_error("empty segment in route " + std::string(pattern));
      if (is_param(seg)) {
        auto name = std::string_view(seg).substr(1, seg.size() - 2);
        if (name.empty() || std::find(names.begin(), names.end(), name) != names.end()) {
          throw std::logic_error("bad parameter in route " + std::string(pattern));
        }
        names.push_back(name);
      }
    }
    for (const auto& other : rows_) {
      if (other.method == row.method && same_shape(other.segments, row.segments)) {
        throw std::logic_error("duplicate route " + row.method + " " + std::string(pattern));
      }
    }
    rows_.push_back(std::move(row));
  }

  // `segments`: the request path split on '/', percent-decoded, without a
  // trailing empty segment.
  Lookup lookup(std::string_view method, const std::vector<std::string>& segments) const {
    std::string allow;
    for (const auto& row : rows_) {
      if (!matches(row, segments)) continue;
      if (row.method == method) return Found{&row.handler, params_of(row, segments)};
      if (allow.find(row.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + row.method;
    }
    if (!allow.empty()) return WrongMethod{std::move(allow)};
    return NoRoute{};
  }

  // Every row, for documentation and tests: "METHOD /pattern".
  std::vector<std::string> describe() const {
    std::vector<std::string> out;
    for (const auto& row : rows_) {
      std::string path;
      for (const auto& seg : row.segments) path += "/" + seg;
      out.push_back(row.method + " " + path);
    }
    return out;
  }

 private:
  struct Row {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };

  static bool is_param(const std::string& seg) { return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}'; }

  // "/a/{id}" and "/a/{x}" would match the same requests.
  static bool same_shape(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (is_param(a[i]) != is_param(b[i]) || (!is_param(a[i]) && a[i] != b[i])) return false;
    }
    return true;
  }

  static std::vector<std::string> split(std::string_view pattern) {
    if (pattern.empty() || pattern.front() != '/') throw std::logic_error("route must start with /");
    std::vector<std::string> out;
    std::size_t start = 1;
    while (start <= pattern.size()) {
      auto slash = pattern.find('/', start);
      if (slash == std::string_view::npos) slash = pattern.size();
      out.emplace_back(pattern.substr(start, slash - start));
      start = slash + 1;
    }
    return out;
  }

  static bool matches(const Row& row, const std::vector<std::string>& segments) {
    if (row.segments.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (is_param(row.segments[i]) ? segments[i].empty() : row.segments[i] != segments[i]) return false;
    }
    return true;
  }

  static PathParams params_of(const Row& row, const std::vector<std::string>& segments) {
    PathParams params;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (is_param(row.segments[i])) params.add(row.segments[i].substr(1, row.segments[i].size() - 2), segments[i]);
    }
    return params;
  }

  std::vector<Row> rows_;
};

}  // namespace parley
