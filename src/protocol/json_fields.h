#pragma once
// Typed access to the fields of a parsed JSON object, with the error a
// client should see for a missing or wrong-typed field.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::protocol {

// Parses `text` as a JSON object; invalid_json / invalid_request otherwise.
Result<boost::json::object> parse_object(std::string_view text);

Result<std::string> required_string(const boost::json::object& o, std::string_view name);
// Several required string fields at once, in the order named; the first
// missing or wrong-typed one is the error.
Result<std::vector<std::string>> required_strings(const boost::json::object& o,
                                                  std::initializer_list<std::string_view> names);
Result<std::optional<std::string>> optional_string(const boost::json::object& o, std::string_view name);
Result<std::uint64_t> required_uint(const boost::json::object& o, std::string_view name);
Result<std::vector<std::string>> required_string_array(const boost::json::object& o, std::string_view name,
                                                       std::size_t max_items);

}  // namespace parley::protocol
