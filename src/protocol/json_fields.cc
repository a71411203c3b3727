#include "protocol/json_fields.h"

#include <boost/json/parse.hpp>

namespace parley::protocol {
namespace json = boost::json;

Result<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 16;
  // Invalid UTF-8 inside strings is let through so that the field's own
  // check can name the problem (`invalid_utf8` for text, for example).
  options.allow_invalid_utf8 = true;
  json::value v = json::parse(text, ec, {}, options);
  if (ec) return make_error(ErrorCode::invalid_json, "body is not valid JSON: " + ec.message());
  if (!v.is_object()) return make_error(ErrorCode::invalid_request, "expected a JSON object");
  return std::move(v.as_object());
}

Result<std::string> required_string(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v) return make_error(ErrorCode::invalid_request, "missing field: " + std::string(name));
  if (!v->is_string()) return make_error(ErrorCode::invalid_request, std::string(name) + " must be a string");
  return std::string(v->get_string());
}

Result<std::vector<std::string>> required_strings(const json::object& o,
                                                  std::initializer_list<std::string_view> names) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (auto name : names) {
    auto value = required_string(o, name);
    if (!value) return value.error();
    out.push_back(std::move(*value));
  }
  return out;
}

Result<std::optional<std::string>> optional_string(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return make_error(ErrorCode::invalid_request, std::string(name) + " must be a string");
  return std::optional<std::string>{std::string(v->get_string())};
}

Result<std::uint64_t> required_uint(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v) return make_error(ErrorCode::invalid_request, "missing field: " + std::string(name));
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  return make_error(ErrorCode::invalid_request, std::string(name) + " must be a non-negative integer");
}

Result<std::vector<std::string>> required_string_array(const json::object& o, std::string_view name,
                                                       std::size_t max_items) {
  auto* v = o.if_contains(name);
  if (!v) return make_error(ErrorCode::invalid_request, "missing field: " + std::string(name));
  if (!v->is_array()) return make_error(ErrorCode::invalid_request, std::string(name) + " must be an array of strings");
  const auto& a = v->get_array();
  if (a.size() > max_items) {
    return make_error(ErrorCode::invalid_request,
                      std::string(name) + " has more than " + std::to_string(max_items) + " items");
  }
  std::vector<std::string> out;
  out.reserve(a.size());
  for (const auto& item : a) {
    if (!item.is_string())
      return make_error(ErrorCode::invalid_request, std::string(name) + " must be an array of strings");
    out.emplace_back(item.get_string());
  }
  return out;
}

}  // namespace parley::protocol
