#pragma once
// RestApi: the HTTP endpoints under /v1, /healthz and the static web client.
// A route table maps (method, path pattern) to one short handler per
// endpoint; a known path with another method is 405 with Allow. Handlers
// decode their body with a typed parser from protocol/, call the core and
// encode the reply; no domain logic here. Handlers that may block (password
// hashing, synced metadata writes) run on the blocking pool, never on the I/O
// threads; sends wait for their commit without holding a pool thread.
// Thread-safe; the table is built in the constructor and read-only after.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/login_throttle.h"
#include "net/net_context.h"
#include "net/route_table.h"
#include "protocol/bodies.h"

namespace parley {

class RestApi {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  RestApi(NetContext& context, boost::asio::thread_pool& blocking);

  // `peer`: the TCP peer's address (the client, or a proxy in front of it).
  boost::asio::awaitable<Response> handle(Request request, boost::asio::ip::address peer);
  // A reply for a request that could not be read (e.g. an oversized body).
  static Response error_response(const Error& error, unsigned version, bool keep_alive);

 private:
  // What a handler is given. `who` is set on routes that need a token.
  struct Call {
    const Request& req;
    const AuthContext* who;
    const PathParams& path;
    const protocol::QueryParams& query;
    const std::string& client;  // throttle key of the client address
  };
  using Handler = Response (RestApi::*)(const Call&);
  using AsyncHandler = boost::asio::awaitable<Response> (RestApi::*)(const Call&);
  struct Endpoint {
    bool needs_token = true;
    Handler run = nullptr;             // on the blocking pool
    AsyncHandler run_async = nullptr;  // on the connection's strand
    bool admin = false;                // needs the operator's token instead (rest_admin.cc)
  };

  // The route of a request, or the reply when there is none (400, 404, 405);
  // neither: a static file.
  struct Dispatch {
    std::optional<Response> reply;
    const Endpoint* endpoint = nullptr;
    PathParams path;
    protocol::QueryParams query;
    std::string client;
  };
  Dispatch dispatch(const Request& request, const boost::asio::ip::address& peer) const;
  Result<AuthContext> authenticate(const Request& request);

  void add_routes();
  void add(const char* method, const char* pattern, Endpoint endpoint);
  // Authenticates (when the route needs it), then runs a pool handler.
  Response run_on_pool(const Endpoint& endpoint, const Request& req, const PathParams& path,
                       const protocol::QueryParams& query, const std::string& client);

  // Accounts and devices (rest_api.cc).
  Response healthz(const Call& call);
  Response route(const Call& call);
  Response stats(const Call& call);
  Response metrics(const Call& call);  // rest_metrics.cc
  Response signup(const Call& call);
  Response login(const Call& call);
  Response logout(const Call& call);
  Response me(const Call& call);
  Response find_user(const Call& call);
  Response presence(const Call& call);
  Response set_push(const Call& call);
  Response clear_push(const Call& call);
  Response vapid_public_key(const Call& call);
  // Profile, password and devices (rest_account.cc).
  Response update_me(const Call& call);
  Response list_blocks(const Call& call);
  Response block_user(const Call& call);
  Response unblock_user(const Call& call);
  Response change_password(const Call& call);
  Response list_devices(const Call& call);
  Response logout_device(const Call& call);
  // GET /v1/me's answer (also PATCH's).
  Response me_reply(const Call& call);
  static TimeMs steady_now_ms();  // the login throttle's clock
  static Response too_many_attempts(const Request& req, TimeMs retry_after_ms);
  // The device's token is gone: it is offline and its connections close (4401), on every node.
  void cut_off(const UserId& user, const DeviceId& device);
  // The admin API (rest_admin.cc), for the operator's token only.
  void add_admin_routes();
  Status check_admin_token(const Request& req) const;
  Response admin_users(const Call& call);
  Response admin_user(const Call& call);
  Response admin_disable(const Call& call);
  Response admin_enable(const Call& call);
  Response admin_password(const Call& call);
  Response admin_stats(const Call& call);
  Response admin_export(const Call& call);
  Response admin_messages(const Call& call);
  Response admin_delete(const Call& call);
  // The user named by the path's {user} (an id or an e-mail).
  Result<User> admin_subject(const Call& call);
  // Chats and messages (rest_chats.cc).
  Response list_chats(const Call& call);
  Response create_chat(const Call& call);
  Response get_chat(const Call& call);
  Response forget_chat(const Call& call);
  Response add_member(const Call& call);
  Response remove_member(const Call& call);
  Response update_chat(const Call& call);
  Response update_member(const Call& call);
  Response mute_chat(const Call& call);
  Response accept_chat(const Call& call);
  Response receipts(const Call& call);
  Response unmute_chat(const Call& call);
  Response history(const Call& call);
  boost::asio::awaitable<Response> post_message(const Call& call);
  // Message search (rest_search.cc).
  Response search(const Call& call);

  NetContext& ctx_;
  boost::asio::thread_pool& blocking_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  LoginThrottle throttle_;
  RouteTable<Endpoint> routes_;
};

}  // namespace parley
