// GET /v1/search of RestApi: the caller's messages that have every word of
// `q`, newest first, in pages (core/message_search.h).

#include <boost/json.hpp>

#include "net/rest_api.h"
#include "net/rest_replies.h"
#include "protocol/search_params.h"
#include "protocol/views.h"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;
using Response = RestApi::Response;

Response RestApi::search(const Call& call) {
  auto request = protocol::parse_search_params(call.query);
  if (!request) return rest::error_reply(call.req, request.error());
  auto page = ctx_.core.search.search(call.who->user_id, *request);
  if (!page) return rest::error_reply(call.req, page.error());
  json::array results;
  results.reserve(page->results.size());
  for (const Message& m : page->results) results.push_back(protocol::message_object(m));
  json::value next = nullptr;
  if (page->next) next = json::string(protocol::encode_search_cursor(*page->next));
  return rest::json_reply(call.req, http::status::ok, {{"results", std::move(results)}, {"next", std::move(next)}});
}

}  // namespace parley
