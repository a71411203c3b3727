#pragma once
// Building HTTP replies: JSON bodies, errors in the documented shape.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "core/result.h"

namespace parley::rest {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

Response reply(const Request& req, boost::beast::http::status status, std::string body,
               const char* content_type = "application/json");
Response json_reply(const Request& req, boost::beast::http::status status, const boost::json::value& body);
// `{"error":{"code","message"}}` with the status the code maps to.
Response error_reply(const Request& req, const Error& error);
Response no_content(const Request& req);
// 405 with `Allow: <allow>` (e.g. "GET, POST"): the path exists, the method does not.
Response method_not_allowed(const Request& req, const std::string& allow);

}  // namespace parley::rest
