#include "net/rest_replies.h"

#include <boost/json/serialize.hpp>

#include "protocol/errors.h"
#include "protocol/views.h"

namespace parley::rest {
namespace http = boost::beast::http;

Response reply(const Request& req, http::status status, std::string body, const char* content_type) {
  Response res{status, req.version()};
  res.set(http::field::server, "parleyd");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_reply(const Request& req, http::status status, const boost::json::value& body) {
  return reply(req, status, boost::json::serialize(body));
}

Response error_reply(const Request& req, const Error& error) {
  return reply(req, static_cast<http::status>(protocol::http_status(error.code)), protocol::encode_error_body(error));
}

Response no_content(const Request& req) {
  Response res{http::status::no_content, req.version()};
  res.set(http::field::server, "parleyd");
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

Response method_not_allowed(const Request& req, const std::string& allow) {
  auto res = reply(req, http::status::method_not_allowed,
                   protocol::encode_error_body(make_error(ErrorCode::invalid_request, "method not allowed")));
  res.set(http::field::allow, allow);
  return res;
}

}  // namespace parley::rest
