#pragma once
// RestApi: the HTTP endpoints under /v1, /healthz and the static web client.
// Decodes requests, calls the core, encodes replies; no domain logic here.
// Handlers that may block (password hashing, synced metadata writes) run on
// the blocking pool, never on the I/O threads. Thread-safe.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <vector>

#include "core/login_throttle.h"
#include "net/net_context.h"

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
  Response route(const Request& request, const std::string& client);  // runs on the blocking pool
  Response signup(const Request& request, const std::string& client);
  Response login(const Request& request, const std::string& client);
  Response route_chats(const Request& request, const AuthContext& who, const std::vector<std::string>& segments);
  boost::asio::awaitable<Response> post_message(const Request& request, const AuthContext& who, const ChatId& chat);

  NetContext& ctx_;
  boost::asio::thread_pool& blocking_;
  LoginThrottle throttle_;
};

}  // namespace parley
