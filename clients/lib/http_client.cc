#include "lib/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cctype>

namespace parley::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Errors that mean "the pooled connection was closed by the peer while idle":
// worth one retry on a fresh connection.
bool is_stale_connection_error(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::string HttpResponse::error_code() const {
  if (!json.is_object()) return {};
  const auto* err = json.as_object().if_contains("error");
  if (err == nullptr || !err->is_object()) return {};
  const auto* code = err->as_object().if_contains("code");
  if (code == nullptr || !code->is_string()) return {};
  return std::string(code->as_string());
}

struct HttpClient::Impl {
  std::string host;
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  bool keep_alive = true;
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  Impl(std::string h, std::uint16_t p, std::chrono::milliseconds t) : host(std::move(h)), port(p), timeout(t) {}

  // Runs one async operation to completion on this thread. The stream's
  // expiry (set by the caller) bounds it.
  template <class Initiate>
  beast::error_code run(Initiate&& initiate) {
    beast::error_code result;
    initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  void close() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->socket().close(ignored);
      stream.reset();
    }
    buffer.clear();
  }

  void connect(std::chrono::steady_clock::time_point deadline) {
    close();
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) throw HttpError("resolve " + host + ": " + ec.message());
    stream.emplace(ioc);
    stream->expires_at(deadline);
    ec = run([&](auto handler) { stream->async_connect(endpoints, std::move(handler)); });
    if (ec) {
      close();
      throw HttpError("connect " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
  }

  http::request<http::string_body> build(const HttpRequest& req) const {
    http::request<http::string_body> r;
    r.method_string(req.method);
    r.target(req.target);
    r.version(11);
    r.set(http::field::host, host + ":" + std::to_string(port));
    r.set(http::field::user_agent, "parley-client");
    r.keep_alive(keep_alive);
    if (!req.bearer_token.empty()) {
      r.set(http::field::authorization, "Bearer " + req.bearer_token);
    }
    for (const auto& [k, v] : req.extra_headers) r.set(k, v);
    if (req.body) {
      r.set(http::field::content_type, req.content_type);
      r.body() = *req.body;
    }
    r.prepare_payload();
    return r;
  }

  // One attempt on the current connection. Returns the error of the first
  // failing step; `got_bytes` tells whether any response byte arrived.
  beast::error_code exchange(http::request<http::string_body>& r, HttpResponse& out,
                             std::chrono::steady_clock::time_point deadline) {
    stream->expires_at(deadline);
    beast::error_code write_ec = run([&](auto handler) { http::async_write(*stream, r, std::move(handler)); });
    if (write_ec == beast::error::timeout) return write_ec;
    // Even when the write failed (the server may answer 413 and close before
    // reading the whole body), try to read a response.
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{256} << 20);
    parser.header_limit(64 * 1024);
    stream->expires_at(deadline);
    beast::error_code read_ec =
        run([&](auto handler) { http::async_read(*stream, buffer, parser, std::move(handler)); });
    if (read_ec) return write_ec ? write_ec : read_ec;
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.raw = std::move(res.body());
    out.headers.clear();
    for (const auto& field : res) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.json = nullptr;
    if (!out.raw.empty()) {
      boost::json::error_code jec;
      auto parsed = boost::json::parse(out.raw, jec);
      if (!jec) out.json = std::move(parsed);
    }
    if (!keep_alive || !res.keep_alive() || write_ec) close();
    return {};
  }
};

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(host), port, timeout)) {}

HttpClient::~HttpClient() {
  if (impl_) impl_->close();
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 const std::optional<boost::json::value>& body, std::string_view bearer_token) {
  HttpRequest req;
  req.method = std::string(method);
  req.target = std::string(target);
  if (body) req.body = boost::json::serialize(*body);
  req.bearer_token = std::string(bearer_token);
  return send(req);
}

HttpResponse HttpClient::send(const HttpRequest& req) {
  Impl& d = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + d.timeout;
  auto r = d.build(req);
  HttpResponse out;
  const bool reused = d.stream && d.stream->socket().is_open();
  if (!reused) d.connect(deadline);
  beast::error_code ec = d.exchange(r, out, deadline);
  if (ec && reused && is_stale_connection_error(ec)) {
    // The server closed the idle pooled connection; retry once afresh.
    d.connect(deadline);
    ec = d.exchange(r, out, deadline);
  }
  if (ec) {
    d.close();
    throw HttpError(req.method + " " + req.target + ": " + ec.message());
  }
  return out;
}

void HttpClient::set_timeout(std::chrono::milliseconds timeout) {
  impl_->timeout = timeout;
}

void HttpClient::set_keep_alive(bool keep_alive) {
  impl_->keep_alive = keep_alive;
  if (!keep_alive) impl_->close();
}

void HttpClient::disconnect() {
  impl_->close();
}

const std::string& HttpClient::host() const {
  return impl_->host;
}

std::uint16_t HttpClient::port() const {
  return impl_->port;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace parley::client
