#include "net/rest_api.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>
#include <chrono>
#include <random>
#include <fstream>
#include <sstream>

#include "core/text.h"
#include "net/client_address.h"
#include "net/rest_replies.h"
#include "net/static_files.h"
#include "protocol/errors.h"
#include "protocol/json_fields.h"
#include "protocol/views.h"
#include "push/webhook_url.h"

namespace parley {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using Response = RestApi::Response;
using Request = RestApi::Request;

namespace {

std::optional<std::string> bearer_token(const Request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return std::nullopt;
  std::string_view value = it->value();
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() <= kPrefix.size() || value.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return std::string(value.substr(kPrefix.size()));
}

// Splits "/v1/chats/abc/members" into {"v1","chats","abc","members"}.
std::vector<std::string> path_segments(const boost::urls::url_view& url) {
  std::vector<std::string> out;
  for (auto seg : url.segments()) out.push_back(seg);
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

}  // namespace

RestApi::RestApi(NetContext& context, asio::thread_pool& blocking)
    : ctx_(context), blocking_(blocking), throttle_(context.config.login_throttle, std::random_device{}()) {}

Response RestApi::error_response(const Error& e, unsigned version, bool keep_alive) {
  Request req{http::verb::get, "/", version};
  req.keep_alive(keep_alive);
  return rest::error_reply(req, e);
}

asio::awaitable<Response> RestApi::handle(Request request, asio::ip::address peer) {
  auto url = boost::urls::parse_origin_form(request.target());
  if (url) {
    auto segments = path_segments(*url);
    // Sends wait for the group commit without holding a pool thread.
    if (request.method() == http::verb::post && segments.size() == 4 && segments[0] == "v1" &&
        segments[1] == "chats" && segments[3] == "messages") {
      auto token = bearer_token(request);
      auto who = token ? ctx_.core.accounts.authenticate(*token)
                       : Result<AuthContext>(make_error(ErrorCode::unauthorized, "missing bearer token"));
      if (!who) co_return rest::error_reply(request, who.error());
      co_return co_await post_message(request, *who, segments[2]);
    }
  }
  // A named coroutine lambda: g++ 12 mishandles temporaries that live across
  // a co_await, so nothing the pool uses may be one.
  std::string client = throttle_key(
      client_address(peer, request["X-Forwarded-For"], ctx_.config.trusted_proxies));
  auto on_pool = [this, &request, &client]() -> asio::awaitable<Response> { co_return route(request, client); };
  auto response = co_await asio::co_spawn(blocking_, std::move(on_pool), asio::use_awaitable);
  co_return response;
}

asio::awaitable<Response> RestApi::post_message(const Request& req, const AuthContext& who, const ChatId& chat) {
  auto body = protocol::parse_object(req.body());
  if (!body) co_return rest::error_reply(req, body.error());
  auto client_msg_id = protocol::required_string(*body, "client_msg_id");
  if (!client_msg_id) co_return rest::error_reply(req, client_msg_id.error());
  auto text = protocol::required_string(*body, "text");
  if (!text) co_return rest::error_reply(req, text.error());

  // The commit thread answers through a timer on this connection's strand;
  // all shared state is in one heap object, never in a temporary.
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor) : wake(executor) {}
    asio::steady_timer wake;
    std::optional<Result<SendAck>> result;
  };
  auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  waiter->wake.expires_at(asio::steady_timer::time_point::max());
  ctx_.core.pipeline.submit(SendRequest{who, chat, *client_msg_id, *text}, [waiter](Result<SendAck> r) {
    asio::post(waiter->wake.get_executor(), [waiter, r = std::move(r)]() mutable {
      waiter->result = std::move(r);
      waiter->wake.cancel();
    });
  });
  while (!waiter->result) {
    boost::system::error_code ec;
    co_await waiter->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  const Result<SendAck>& result = *waiter->result;
  if (!result) co_return rest::error_reply(req, result.error());
  co_return rest::json_reply(req, http::status::ok, json::object{{"seq", result->seq}, {"ts", result->ts}});
}

namespace {

TimeMs steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Response too_many_attempts(const Request& req, TimeMs retry_after_ms) {
  auto seconds = std::max<TimeMs>(1, (retry_after_ms + 999) / 1000);
  auto res = rest::error_reply(
      req, make_error(ErrorCode::rate_limited, "too many attempts; retry in " + std::to_string(seconds) + " s"));
  res.set(http::field::retry_after, std::to_string(seconds));
  return res;
}

}  // namespace

Response RestApi::signup(const Request& req, const std::string& client) {
  auto body = protocol::parse_object(req.body());
  if (!body) return rest::error_reply(req, body.error());
  auto fields = protocol::required_strings(*body, {"email", "password", "display_name"});
  if (!fields) return rest::error_reply(req, fields.error());
  auto account = ascii_lower((*fields)[0]);
  auto admission = throttle_.admit(client, account, steady_now_ms());
  if (!admission.admitted) return too_many_attempts(req, admission.retry_after_ms);
  auto user = ctx_.core.accounts.signup((*fields)[0], (*fields)[1], (*fields)[2]);
  if (!user) return rest::error_reply(req, user.error());
  throttle_.succeeded(account, steady_now_ms());
  return rest::json_reply(req, http::status::created, {{"user_id", *user}});
}

Response RestApi::login(const Request& req, const std::string& client) {
  auto body = protocol::parse_object(req.body());
  if (!body) return rest::error_reply(req, body.error());
  auto fields = protocol::required_strings(*body, {"email", "password"});
  if (!fields) return rest::error_reply(req, fields.error());
  auto device = protocol::optional_string(*body, "device_name");
  if (!device) return rest::error_reply(req, device.error());
  // Before any hashing: a refused guess costs the server nothing, and known
  // and unknown e-mails are throttled alike.
  auto account = ascii_lower((*fields)[0]);
  auto admission = throttle_.admit(client, account, steady_now_ms());
  if (!admission.admitted) return too_many_attempts(req, admission.retry_after_ms);
  auto login = ctx_.core.accounts.login((*fields)[0], (*fields)[1], device->value_or(""));
  if (!login) return rest::error_reply(req, login.error());
  throttle_.succeeded(account, steady_now_ms());
  return rest::json_reply(req, http::status::ok,
                          {{"token", login->token}, {"user_id", login->user_id}, {"device_id", login->device_id}});
}

Response RestApi::route(const Request& req, const std::string& client) {
  auto& core = ctx_.core;
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return rest::error_reply(req, make_error(ErrorCode::invalid_request, "malformed request target"));
  auto seg = path_segments(*url);
  auto params = url->params();
  auto method = req.method();
  auto method_not_allowed = [&] { return rest::method_not_allowed(req); };

  if (seg.size() == 1 && seg[0] == "healthz") return rest::json_reply(req, http::status::ok, {{"status", "ok"}});
  if (seg.empty() || seg[0] != "v1") {
    if (method != http::verb::get && method != http::verb::head) return method_not_allowed();
    return serve_static(ctx_.config.web_root, req);
  }

  // ---- unauthenticated ----
  if (seg.size() == 2 && seg[1] == "signup") {
    if (method != http::verb::post) return method_not_allowed();
    return signup(req, client);
  }
  if (seg.size() == 2 && seg[1] == "login") {
    if (method != http::verb::post) return method_not_allowed();
    return login(req, client);
  }

  // ---- authenticated ----
  auto token = bearer_token(req);
  if (!token) return rest::error_reply(req, make_error(ErrorCode::unauthorized, "missing bearer token"));
  auto who = core.accounts.authenticate(*token);
  if (!who) return rest::error_reply(req, who.error());

  if (seg.size() == 2 && seg[1] == "logout") {
    if (method != http::verb::post) return method_not_allowed();
    if (auto ok = core.accounts.logout(*who); !ok) return rest::error_reply(req, ok.error());
    core.presence.logged_out(*who);
    ctx_.bus.close_device(who->user_id, who->device_id);
    return rest::no_content(req);
  }
  if (seg.size() == 2 && seg[1] == "me") {
    if (method != http::verb::get) return method_not_allowed();
    auto found = core.accounts.find_user(who->user_id);
    if (!found) return rest::error_reply(req, found.error());
    const auto& user = *found;
    if (!user) return rest::error_reply(req, make_error(ErrorCode::unauthorized, "account no longer exists"));
    json::object o = protocol::user_object(*user);
    o.emplace("email", user->email);
    o.emplace("device_id", who->device_id);
    return rest::json_reply(req, http::status::ok, o);
  }
  if (seg.size() == 2 && seg[1] == "users") {
    if (method != http::verb::get) return method_not_allowed();
    auto it = params.find("email");
    if (it == params.end()) return rest::error_reply(req, make_error(ErrorCode::invalid_request, "missing parameter: email"));
    auto user = core.accounts.find_user_by_email((*it).value);
    if (!user) return rest::error_reply(req, user.error());
    if (!*user) return rest::error_reply(req, make_error(ErrorCode::not_found, "no user with that email"));
    return rest::json_reply(req, http::status::ok, protocol::user_object(**user));
  }
  if (seg.size() == 2 && seg[1] == "presence") {
    if (method != http::verb::get) return method_not_allowed();
    auto it = params.find("user_ids");
    if (it == params.end()) return rest::error_reply(req, make_error(ErrorCode::invalid_request, "missing parameter: user_ids"));
    std::vector<UserId> ids;
    std::string list = (*it).value;
    for (std::size_t start = 0; start <= list.size();) {
      auto comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      if (comma > start) ids.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
    if (ids.empty() || ids.size() > 1000) {
      return rest::error_reply(req, make_error(ErrorCode::invalid_request, "user_ids must name 1 to 1000 users"));
    }
    auto statuses = core.presence.query(who->user_id, ids);
    if (!statuses) return rest::error_reply(req, statuses.error());
    json::array out;
    for (const auto& s : *statuses) out.push_back(protocol::presence_object(s));
    return rest::json_reply(req, http::status::ok, {{"presence", std::move(out)}});
  }
  if (seg.size() == 4 && seg[1] == "devices" && seg[2] == "current" && seg[3] == "push") {
    if (method == http::verb::delete_) {
      if (auto ok = core.accounts.clear_push(*who); !ok) return rest::error_reply(req, ok.error());
      return rest::no_content(req);
    }
    if (method != http::verb::put) return method_not_allowed();
    auto body = protocol::parse_object(req.body());
    if (!body) return rest::error_reply(req, body.error());
    auto provider = protocol::required_string(*body, "provider");
    if (!provider) return rest::error_reply(req, provider.error());
    if (*provider != "webhook") return rest::error_reply(req, make_error(ErrorCode::invalid_request, "provider must be webhook"));
    auto push_url = protocol::required_string(*body, "url");
    if (!push_url) return rest::error_reply(req, push_url.error());
    if (auto ok = push::check_webhook_registration(*push_url, ctx_.config.push_allow); !ok) return rest::error_reply(req, ok.error());
    if (auto ok = core.accounts.set_push(*who, PushRegistration{*provider, *push_url}); !ok) {
      return rest::error_reply(req, ok.error());
    }
    return rest::no_content(req);
  }
  if (seg.size() >= 2 && seg[1] == "chats") return route_chats(req, *who, seg);
  return rest::error_reply(req, make_error(ErrorCode::not_found, "no such endpoint"));
}

}  // namespace parley
