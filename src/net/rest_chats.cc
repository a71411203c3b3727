// The /v1/chats endpoints of RestApi.

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

#include "net/rest_api.h"
#include "net/rest_replies.h"
#include "protocol/json_fields.h"
#include "protocol/views.h"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;
using Response = RestApi::Response;
using Request = RestApi::Request;

namespace {

constexpr std::size_t kMaxMemberIds = 100'000;  // the group size limit is the core's to enforce

Result<std::optional<Seq>> seq_param(const boost::urls::params_view& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end()) return std::optional<Seq>{};
  std::string value = (*it).value;
  Seq v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
    return make_error(ErrorCode::invalid_request, std::string(name) + " must be a non-negative integer");
  }
  return std::optional<Seq>{v};
}

}  // namespace

Response RestApi::route_chats(const Request& req, const AuthContext& who, const std::vector<std::string>& seg) {
  auto& core = ctx_.core;
  auto method = req.method();
  if (seg.size() == 2) {
    if (method == http::verb::get) {
      auto views = core.conversations.list_chats(who.user_id);
      if (!views) return rest::error_reply(req, views.error());
      json::array chats;
      for (const auto& view : *views) chats.push_back(protocol::chat_object(view));
      return rest::json_reply(req, http::status::ok, {{"chats", std::move(chats)}});
    }
    if (method != http::verb::post) return rest::method_not_allowed(req);
    auto body = protocol::parse_object(req.body());
    if (!body) return rest::error_reply(req, body.error());
    auto kind = protocol::required_string(*body, "kind");
    if (!kind) return rest::error_reply(req, kind.error());
    if (*kind == "direct") {
      auto peer = protocol::required_string(*body, "peer_id");
      if (!peer) return rest::error_reply(req, peer.error());
      auto opened = core.chats.open_direct(who.user_id, *peer);
      if (!opened) return rest::error_reply(req, opened.error());
      auto view = core.chats.view(*opened->chat, &who.user_id);
      if (!view) return rest::error_reply(req, view.error());
      return rest::json_reply(req, opened->created ? http::status::created : http::status::ok,
                              protocol::chat_object(*view));
    }
    if (*kind == "group") {
      auto name = protocol::required_string(*body, "name");
      if (!name) return rest::error_reply(req, name.error());
      auto members = protocol::required_string_array(*body, "member_ids", kMaxMemberIds);
      if (!members) return rest::error_reply(req, members.error());
      auto chat = core.chats.create_group(who.user_id, *name, *members);
      if (!chat) return rest::error_reply(req, chat.error());
      auto view = core.chats.view(**chat, &who.user_id);
      if (!view) return rest::error_reply(req, view.error());
      return rest::json_reply(req, http::status::created, protocol::chat_object(*view));
    }
    return rest::error_reply(req, make_error(ErrorCode::invalid_request, "kind must be direct or group"));
  }

  const ChatId& chat_id = seg[2];
  if (seg.size() == 3) {
    if (method != http::verb::get) return rest::method_not_allowed(req);
    auto chat = core.chats.find_for_member(who.user_id, chat_id);
    if (!chat) return rest::error_reply(req, chat.error());
    auto view = core.chats.view(**chat, &who.user_id);
    if (!view) return rest::error_reply(req, view.error());
    return rest::json_reply(req, http::status::ok, protocol::chat_object(*view));
  }
  if (seg[3] == "members" && seg.size() == 4) {
    if (method != http::verb::post) return rest::method_not_allowed(req);
    auto body = protocol::parse_object(req.body());
    if (!body) return rest::error_reply(req, body.error());
    auto user = protocol::required_string(*body, "user_id");
    if (!user) return rest::error_reply(req, user.error());
    auto chat = core.chats.add_member(who.user_id, chat_id, *user);
    if (!chat) return rest::error_reply(req, chat.error());
    auto view = core.chats.view(**chat, &who.user_id);
    if (!view) return rest::error_reply(req, view.error());
    return rest::json_reply(req, http::status::ok, protocol::chat_object(*view));
  }
  if (seg[3] == "members" && seg.size() == 5) {
    if (method != http::verb::delete_) return rest::method_not_allowed(req);
    auto chat = core.chats.remove_member(who.user_id, chat_id, seg[4]);
    if (!chat) return rest::error_reply(req, chat.error());
    return rest::no_content(req);
  }
  if (seg[3] == "messages" && seg.size() == 4) {
    if (method != http::verb::get) return rest::method_not_allowed(req);
    auto url = boost::urls::parse_origin_form(req.target());
    auto params = url->params();
    HistoryQuery query;
    auto before = seq_param(params, "before");
    if (!before) return rest::error_reply(req, before.error());
    auto after = seq_param(params, "after");
    if (!after) return rest::error_reply(req, after.error());
    auto limit = seq_param(params, "limit");
    if (!limit) return rest::error_reply(req, limit.error());
    query.before = *before;
    query.after = *after;
    if (*limit) query.limit = static_cast<std::size_t>(std::min<Seq>(**limit, 1'000'000));
    auto messages = core.conversations.history(who.user_id, chat_id, query);
    if (!messages) return rest::error_reply(req, messages.error());
    json::array out;
    out.reserve(messages->size());
    for (const auto& m : *messages) out.push_back(protocol::message_object(m));
    return rest::json_reply(req, http::status::ok, {{"messages", std::move(out)}});
  }
  return rest::error_reply(req, make_error(ErrorCode::not_found, "no such endpoint"));
}

}  // namespace parley
