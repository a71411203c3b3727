#pragma once
// Synchronous HTTP/1.1 client for Parley's REST API.
//
// One HttpClient owns at most one TCP connection and reuses it (keep-alive)
// across requests. It is NOT thread-safe: give each thread its own client.
// Beast/Asio stay in http_client.cc (pimpl) so users of this header compile
// fast.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace parley::client {

// Transport failure: connect refused, timeout, connection dropped before a
// complete response. HTTP error statuses are NOT exceptions; see HttpResponse.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HttpResponse {
  int status = 0;
  // Parsed JSON body; null when the body is empty or is not valid JSON.
  boost::json::value json;
  std::string raw;  // the body exactly as received
  std::vector<std::pair<std::string, std::string>> headers;

  bool ok() const { return status >= 200 && status < 300; }
  // Case-insensitive header lookup; empty when absent.
  std::string header(std::string_view name) const;
  // `error.code` of a Parley error body, or "" when there is none.
  std::string error_code() const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::optional<std::string> body;  // sent as-is when present
  std::string content_type = "application/json";
  std::string bearer_token;  // "Authorization: Bearer ..." when non-empty
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

class HttpClient {
 public:
  // Does not connect yet; the first request does.
  HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method target` with an optional JSON body (serialized) and bearer
  // token; returns the response whatever its status. Throws HttpError on
  // transport failure or when the whole exchange exceeds the timeout.
  HttpResponse request(std::string_view method, std::string_view target,
                       const std::optional<boost::json::value>& body = std::nullopt,
                       std::string_view bearer_token = {});

  // Full control: raw body bytes (malformed JSON, oversized bodies, ...).
  HttpResponse send(const HttpRequest& req);

  HttpResponse get(std::string_view target, std::string_view bearer_token = {}) {
    return request("GET", target, std::nullopt, bearer_token);
  }
  HttpResponse post(std::string_view target, const boost::json::value& body, std::string_view bearer_token = {}) {
    return request("POST", target, body, bearer_token);
  }
  HttpResponse put(std::string_view target, const boost::json::value& body, std::string_view bearer_token = {}) {
    return request("PUT", target, body, bearer_token);
  }
  HttpResponse del(std::string_view target, std::string_view bearer_token = {}) {
    return request("DELETE", target, std::nullopt, bearer_token);
  }

  // Per-request deadline (connect + write + read).
  void set_timeout(std::chrono::milliseconds timeout);
  // When false, every request uses a fresh connection ("Connection: close").
  void set_keep_alive(bool keep_alive);
  // Drops the pooled connection, if any.
  void disconnect();

  const std::string& host() const;
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes a query-string component.
std::string url_encode(std::string_view s);

}  // namespace parley::client
