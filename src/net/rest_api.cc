#include "net/rest_api.h"

#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <chrono>
#include <fstream>
#include <random>

#include "core/text.h"
#include "net/client_address.h"
#include "net/rest_replies.h"
#include "net/static_files.h"
#include "protocol/views.h"
#include "push/webhook_url.h"
#include "push/webpush_subscription.h"

namespace parley {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using Response = RestApi::Response;
using Request = RestApi::Request;

namespace {

constexpr std::size_t kMaxPresenceIds = 1000;

// Resident memory of this process, all of it and the anonymous part (heap,
// stacks: what is not the binary and libraries paged in from their files).
// Linux /proc/self/statm; zeros if unknown.
struct Resident {
  std::uint64_t all = 0;
  std::uint64_t anonymous = 0;
};
Resident resident_memory() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0, shared = 0;
  if (!(statm >> size >> resident >> shared) || shared > resident) return {};
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return {resident * page, (resident - shared) * page};
}

std::optional<std::string> bearer_token(const Request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return std::nullopt;
  std::string_view value = it->value();
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() <= kPrefix.size() || value.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return std::string(value.substr(kPrefix.size()));
}

// "/v1/chats/abc/members" as {"v1","chats","abc","members"}, percent-decoded.
std::vector<std::string> path_segments(const boost::urls::url_view& url) {
  std::vector<std::string> out;
  for (auto seg : url.segments()) out.push_back(seg);
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

protocol::QueryParams query_params(const boost::urls::url_view& url) {
  std::vector<std::pair<std::string, std::string>> values;
  for (auto param : url.params()) values.emplace_back(param.key, param.value);
  return protocol::QueryParams(std::move(values));
}

}  // namespace

TimeMs RestApi::steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Response RestApi::too_many_attempts(const Request& req, TimeMs retry_after_ms) {
  auto seconds = std::max<TimeMs>(1, (retry_after_ms + 999) / 1000);
  auto res = rest::error_reply(
      req, make_error(ErrorCode::rate_limited, "too many attempts; retry in " + std::to_string(seconds) + " s"));
  res.set(http::field::retry_after, std::to_string(seconds));
  return res;
}

RestApi::RestApi(NetContext& context, asio::thread_pool& blocking)
    : ctx_(context), blocking_(blocking), throttle_(context.config.login_throttle, std::random_device{}()) {
  add_routes();
}

void RestApi::add(const char* method, const char* pattern, Endpoint endpoint) {
  routes_.add(method, pattern, endpoint);
}

void RestApi::add_routes() {
  add("GET", "/healthz", {false, &RestApi::healthz});
  if (ctx_.config.stats_endpoint) {
    add("GET", "/v1/stats", {false, &RestApi::stats});
    add("GET", "/metrics", {false, &RestApi::metrics});
  }
  add("POST", "/v1/signup", {false, &RestApi::signup});
  add("POST", "/v1/login", {false, &RestApi::login});
  add("POST", "/v1/logout", {true, &RestApi::logout});
  add("GET", "/v1/me", {true, &RestApi::me});
  add("PATCH", "/v1/me", {true, &RestApi::update_me});
  add("POST", "/v1/me/password", {true, &RestApi::change_password});
  add("GET", "/v1/devices", {true, &RestApi::list_devices});
  add("GET", "/v1/blocks", {true, &RestApi::list_blocks});
  add("PUT", "/v1/blocks/{user_id}", {true, &RestApi::block_user});
  add("DELETE", "/v1/blocks/{user_id}", {true, &RestApi::unblock_user});
  add("DELETE", "/v1/devices/{device_id}", {true, &RestApi::logout_device});
  add("GET", "/v1/route", {true, &RestApi::route});
  add("GET", "/v1/users", {true, &RestApi::find_user});
  add("GET", "/v1/presence", {true, &RestApi::presence});
  add("PUT", "/v1/devices/current/push", {true, &RestApi::set_push});
  add("DELETE", "/v1/devices/current/push", {true, &RestApi::clear_push});
  add("GET", "/v1/push/vapid-public-key", {false, &RestApi::vapid_public_key});
  add("GET", "/v1/chats", {true, &RestApi::list_chats});
  add("POST", "/v1/chats", {true, &RestApi::create_chat});
  add("GET", "/v1/chats/{chat_id}", {true, &RestApi::get_chat});
  add("DELETE", "/v1/chats/{chat_id}", {true, &RestApi::forget_chat});
  add("POST", "/v1/chats/{chat_id}/members", {true, &RestApi::add_member});
  add("PATCH", "/v1/chats/{chat_id}", {true, &RestApi::update_chat});
  add("POST", "/v1/chats/{chat_id}/accept", {true, &RestApi::accept_chat});
  add("PUT", "/v1/chats/{chat_id}/mute", {true, &RestApi::mute_chat});
  add("DELETE", "/v1/chats/{chat_id}/mute", {true, &RestApi::unmute_chat});
  add("DELETE", "/v1/chats/{chat_id}/members/{user_id}", {true, &RestApi::remove_member});
  add("PATCH", "/v1/chats/{chat_id}/members/{user_id}", {true, &RestApi::update_member});
  add("GET", "/v1/chats/{chat_id}/messages", {true, &RestApi::history});
  add("GET", "/v1/chats/{chat_id}/receipts", {true, &RestApi::receipts});
  add("POST", "/v1/chats/{chat_id}/messages", {true, nullptr, &RestApi::post_message});
  add("GET", "/v1/search", {true, &RestApi::search});
  if (!ctx_.config.admin_token.empty()) add_admin_routes();
}

Response RestApi::error_response(const Error& e, unsigned version, bool keep_alive) {
  Request req{http::verb::get, "/", version};
  req.keep_alive(keep_alive);
  return rest::error_reply(req, e);
}

RestApi::Dispatch RestApi::dispatch(const Request& request, const asio::ip::address& peer) const {
  Dispatch d;
  auto url = boost::urls::parse_origin_form(request.target());
  if (!url) {
    d.reply = rest::error_reply(request, make_error(ErrorCode::invalid_request, "malformed request target"));
    return d;
  }
  auto segments = path_segments(*url);
  d.query = query_params(*url);
  d.client = throttle_key(client_address(peer, request["X-Forwarded-For"], ctx_.config.trusted_proxies));
  auto lookup = routes_.lookup(request.method_string(), segments);
  if (auto* found = std::get_if<RouteTable<Endpoint>::Found>(&lookup)) {
    d.endpoint = found->handler;
    d.path = std::move(found->params);
  } else if (auto* wrong = std::get_if<RouteTable<Endpoint>::WrongMethod>(&lookup)) {
    d.reply = rest::method_not_allowed(request, wrong->allow);
  } else if (!segments.empty() && segments[0] == "v1") {
    d.reply = rest::error_reply(request, make_error(ErrorCode::not_found, "no such endpoint"));
  } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
    d.reply = rest::method_not_allowed(request, "GET, HEAD");
  }  // else: a static file
  return d;
}

asio::awaitable<Response> RestApi::handle(Request request, asio::ip::address peer) {
  Dispatch d = dispatch(request, peer);
  if (d.reply) co_return std::move(*d.reply);
  if (d.endpoint && d.endpoint->run_async) {
    // Token checks are one indexed read; sends must not wait for a pool thread.
    auto who = authenticate(request);
    if (!who) co_return rest::error_reply(request, who.error());
    Call call{request, &*who, d.path, d.query, d.client};
    auto response = co_await (this->*d.endpoint->run_async)(call);
    co_return response;
  }
  // A named coroutine lambda: g++ 12 mishandles temporaries that live across
  // a co_await, so nothing the pool uses may be one.
  auto on_pool = [this, &request, &d]() -> asio::awaitable<Response> {
    if (!d.endpoint) co_return serve_static(ctx_.config.web_root, request);
    co_return run_on_pool(*d.endpoint, request, d.path, d.query, d.client);
  };
  auto response = co_await asio::co_spawn(blocking_, std::move(on_pool), asio::use_awaitable);
  co_return response;
}

Result<AuthContext> RestApi::authenticate(const Request& req) {
  auto token = bearer_token(req);
  if (!token) return make_error(ErrorCode::unauthorized, "missing bearer token");
  return ctx_.core.accounts.authenticate(*token);
}

Response RestApi::run_on_pool(const Endpoint& endpoint, const Request& req, const PathParams& path,
                              const protocol::QueryParams& query, const std::string& client) {
  if (endpoint.admin) {
    if (auto ok = check_admin_token(req); !ok) return rest::error_reply(req, ok.error());
    return (this->*endpoint.run)(Call{req, nullptr, path, query, client});
  }
  if (!endpoint.needs_token) return (this->*endpoint.run)(Call{req, nullptr, path, query, client});
  auto who = authenticate(req);
  if (!who) return rest::error_reply(req, who.error());
  return (this->*endpoint.run)(Call{req, &*who, path, query, client});
}

// A load balancer takes a node out while any of its engines is down: 503.
Response RestApi::healthz(const Call& call) {
  if (!ctx_.config.dependencies) return rest::json_reply(call.req, http::status::ok, {{"status", "ok"}});
  bool all_ok = true;
  json::object dependencies;
  for (const auto& dependency : ctx_.config.dependencies()) {
    all_ok = all_ok && dependency.ok;
    dependencies[dependency.name] = {{"ok", dependency.ok}, {"detail", dependency.detail}};
  }
  json::array ring;
  if (ctx_.config.ring) {
    for (const auto& id : ctx_.config.ring()) ring.emplace_back(id);
  }
  return rest::json_reply(call.req, all_ok ? http::status::ok : http::status::service_unavailable,
                          {{"status", all_ok ? "ok" : "degraded"},
                           {"node_id", ctx_.config.node_id},
                           {"ring", std::move(ring)},
                           {"dependencies", std::move(dependencies)}});
}

// Where the caller's devices belong. A single node is everyone's home.
Response RestApi::route(const Call& call) {
  if (!ctx_.config.home_of) return rest::json_reply(call.req, http::status::ok, {{"cluster", false}});
  auto home = ctx_.config.home_of(call.who->user_id);
  if (!home) {
    return rest::error_reply(call.req, make_error(ErrorCode::unavailable, "no node of the cluster is known alive"));
  }
  json::array nodes;
  for (const auto& url : home->node_urls) nodes.emplace_back(url);
  return rest::json_reply(
      call.req, http::status::ok,
      {{"cluster", true}, {"node_id", home->node_id}, {"url", home->url}, {"nodes", std::move(nodes)}});
}

Response RestApi::stats(const Call& call) {
  json::object store;
  if (ctx_.config.store_stats) {
    for (const auto& [name, value] : ctx_.config.store_stats()) store[name] = value;
  }
  const Resident rss = resident_memory();
  return rest::json_reply(call.req, http::status::ok,
                          {{"rss_bytes", rss.all},
                           {"rss_anon_bytes", rss.anonymous},
                           {"ws_connections", ctx_.bus.connection_count()},
                           {"store", std::move(store)}});
}

Response RestApi::signup(const Call& call) {
  auto body = protocol::parse_signup_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  auto account = ascii_lower(body->email);
  auto admission = throttle_.admit(call.client, account, steady_now_ms());
  if (!admission.admitted) return too_many_attempts(call.req, admission.retry_after_ms);
  auto user = ctx_.core.accounts.signup(body->email, body->password, body->display_name);
  if (!user) return rest::error_reply(call.req, user.error());
  throttle_.succeeded(account, steady_now_ms());
  return rest::json_reply(call.req, http::status::created, {{"user_id", *user}});
}

Response RestApi::login(const Call& call) {
  auto body = protocol::parse_login_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  // Before any hashing: a refused guess costs the server nothing, and known
  // and unknown e-mails are throttled alike.
  auto account = ascii_lower(body->email);
  auto admission = throttle_.admit(call.client, account, steady_now_ms());
  if (!admission.admitted) return too_many_attempts(call.req, admission.retry_after_ms);
  auto login = ctx_.core.accounts.login(body->email, body->password, body->device_name);
  if (!login) return rest::error_reply(call.req, login.error());
  throttle_.succeeded(account, steady_now_ms());
  return rest::json_reply(call.req, http::status::ok,
                          {{"token", login->token}, {"user_id", login->user_id}, {"device_id", login->device_id}});
}

Response RestApi::logout(const Call& call) {
  if (auto ok = ctx_.core.accounts.logout(*call.who); !ok) return rest::error_reply(call.req, ok.error());
  cut_off(call.who->user_id, call.who->device_id);
  return rest::no_content(call.req);
}

Response RestApi::me(const Call& call) {
  return me_reply(call);
}

Response RestApi::me_reply(const Call& call) {
  auto found = ctx_.core.accounts.find_user(call.who->user_id);
  if (!found) return rest::error_reply(call.req, found.error());
  const auto& user = *found;
  if (!user) return rest::error_reply(call.req, make_error(ErrorCode::unauthorized, "account no longer exists"));
  json::object o = protocol::user_object(*user);
  o.emplace("email", user->email);
  o.emplace("device_id", call.who->device_id);
  o.emplace("presence_visibility", to_string(user->presence_visibility));
  return rest::json_reply(call.req, http::status::ok, o);
}

Response RestApi::find_user(const Call& call) {
  auto email = call.query.required("email");
  if (!email) return rest::error_reply(call.req, email.error());
  auto user = ctx_.core.accounts.find_user_by_email(*email);
  if (!user) return rest::error_reply(call.req, user.error());
  if (!*user) return rest::error_reply(call.req, make_error(ErrorCode::not_found, "no user with that email"));
  return rest::json_reply(call.req, http::status::ok, protocol::user_object(**user));
}

Response RestApi::presence(const Call& call) {
  auto ids = protocol::parse_user_ids_param(call.query, kMaxPresenceIds);
  if (!ids) return rest::error_reply(call.req, ids.error());
  auto statuses = ctx_.core.presence.query(call.who->user_id, *ids);
  if (!statuses) return rest::error_reply(call.req, statuses.error());
  json::array out;
  for (const auto& s : *statuses) out.push_back(protocol::presence_object(s));
  return rest::json_reply(call.req, http::status::ok, {{"presence", std::move(out)}});
}

Response RestApi::set_push(const Call& call) {
  auto body = protocol::parse_push_registration_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  PushRegistration registration{body->provider, body->url, body->p256dh, body->auth};
  if (registration.provider == push::kWebPushProvider) {
    if (ctx_.config.vapid_public_key.empty()) {
      return rest::error_reply(call.req, make_error(ErrorCode::invalid_request, "web push is not enabled here"));
    }
    if (auto ok = push::check_webpush_registration(registration, ctx_.config.push_allow); !ok) {
      return rest::error_reply(call.req, ok.error());
    }
  } else if (auto ok = push::check_webhook_registration(body->url, ctx_.config.push_allow); !ok) {
    return rest::error_reply(call.req, ok.error());
  }
  if (auto ok = ctx_.core.accounts.set_push(*call.who, registration); !ok) {
    return rest::error_reply(call.req, ok.error());
  }
  return rest::no_content(call.req);
}

Response RestApi::vapid_public_key(const Call& call) {
  if (ctx_.config.vapid_public_key.empty()) {
    return rest::error_reply(call.req, make_error(ErrorCode::not_found, "web push is not enabled here"));
  }
  return rest::json_reply(call.req, http::status::ok, {{"public_key", ctx_.config.vapid_public_key}});
}

Response RestApi::clear_push(const Call& call) {
  if (auto ok = ctx_.core.accounts.clear_push(*call.who); !ok) return rest::error_reply(call.req, ok.error());
  return rest::no_content(call.req);
}

}  // namespace parley
