#include "push/webpush_sender.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <thread>
#include <variant>
#include <vector>

#include <spdlog/spdlog.h>

#include "push/vapid.h"
#include "push/webhook_url.h"
#include "push/webpush_encryption.h"
#include "push/webpush_subscription.h"

namespace parley {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// The plaintext is padded to a multiple of this, so that the size of what
// crosses the push service tells little about the message.
constexpr std::size_t kPadBlock = 256;
// The JWT is valid this long (RFC 8292 allows at most 24 h).
constexpr std::int64_t kJwtLifetimeSeconds = 12 * 3600;

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct WebPushSender::Impl {
  const push::P256Key* vapid;
  WebPushConfig config;
  std::string vapid_public;  // base64url, the "k" of the Authorization header
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  ssl::context tls{ssl::context::tls_client};
  std::thread thread;

  Impl(const push::P256Key* key, WebPushConfig cfg)
      : vapid(key), config(std::move(cfg)), vapid_public(key ? push::base64url_encode(key->public_point()) : "") {
    tls.set_default_verify_paths();
    tls.set_verify_mode(ssl::verify_peer);
  }

  // The request for `job`, or the outcome when it cannot be built.
  std::variant<http::request<http::string_body>, PushOutcome> request_for(const PushJob& job,
                                                                          const push::WebhookUrl& url) {
    if (!vapid) {
      spdlog::warn("web push to device {} not sent: Web Push is off (no --vapid-key-file)", job.device_id);
      return PushOutcome::rejected;
    }
    auto keys = push::decode_webpush_keys(job.p256dh, job.auth);
    if (!keys) {
      spdlog::warn("web push to device {} not sent: {}", job.device_id, keys.error().message);
      return PushOutcome::rejected;
    }
    const std::string payload = payload_of(job);
    const std::size_t padded = (payload.size() + kPadBlock - 1) / kPadBlock * kPadBlock;
    auto body = push::encrypt_aes128gcm(payload, keys->p256dh, keys->auth, padded);
    auto jwt =
        push::sign_vapid_jwt(*vapid, {push::origin_of(job.url), unix_seconds() + kJwtLifetimeSeconds, config.subject});
    if (!body || !jwt) {
      spdlog::error("web push to device {} not sent: {}", job.device_id,
                    !body ? body.error().message : jwt.error().message);
      return PushOutcome::retry;
    }
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, url.host_header);
    req.set(http::field::user_agent, "parleyd-push");
    req.set(http::field::content_type, "application/octet-stream");
    req.set(http::field::content_encoding, "aes128gcm");
    req.set("TTL", std::to_string(config.ttl.count()));
    req.set("Urgency", "high");  // a chat message: the user is waiting for it
    req.set(http::field::authorization, "vapid t=" + *jwt + ", k=" + vapid_public);
    req.keep_alive(false);
    req.body() = std::move(*body);
    req.prepare_payload();
    return req;
  }

  template <typename Stream>
  asio::awaitable<PushOutcome> exchange(Stream& stream, http::request<http::string_body>& req, const PushJob& job) {
    beast::error_code ec;
    co_await http::async_write(stream, req, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return PushOutcome::retry;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{64} * 1024);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return PushOutcome::retry;
    const unsigned status = parser.get().result_int();
    const PushOutcome outcome = outcome_of(status);
    if (outcome != PushOutcome::delivered) {
      spdlog::info("web push to device {}: push service answered {}", job.device_id, status);
    }
    co_return outcome;
  }

  asio::awaitable<PushOutcome> post(PushJob job) {
    auto url = push::parse_push_endpoint(job.url, config.allow);
    if (!url) {
      spdlog::warn("web push to device {} not sent: {}", job.device_id, url.error().message);
      co_return PushOutcome::rejected;
    }
    auto req = request_for(job, *url);
    if (auto* outcome = std::get_if<PushOutcome>(&req)) co_return *outcome;
    beast::error_code ec;
    // Resolve once, check every address, connect only to the ones checked.
    std::vector<tcp::endpoint> endpoints;
    std::string refused;
    auto consider = [&](const asio::ip::address& address) {
      if (auto why = push::refusal(*url, address, config.allow)) {
        refused = *why;
        return;
      }
      endpoints.emplace_back(address, url->port);
    };
    if (url->literal) {
      consider(*url->literal);
    } else {
      tcp::resolver resolver(ioc);
      auto results = co_await resolver.async_resolve(url->host, std::to_string(url->port),
                                                     asio::redirect_error(use_awaitable, ec));
      if (ec) co_return PushOutcome::retry;
      for (const auto& entry : results) consider(entry.endpoint().address());
    }
    if (endpoints.empty()) {
      spdlog::warn("web push to device {} refused: {} ({}); see --push-allow-hosts", job.device_id, url->host, refused);
      co_return PushOutcome::retry;
    }
    auto& request = std::get<http::request<http::string_body>>(req);
    if (!url->tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_after(config.timeout);
      co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return PushOutcome::retry;
      const PushOutcome outcome = co_await exchange(stream, request, job);
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      co_return outcome;
    }
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
    beast::get_lowest_layer(stream).expires_after(config.timeout);
    if (!url->literal && !SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str())) {
      co_return PushOutcome::retry;
    }
    stream.set_verify_callback(ssl::host_name_verification(url->host));
    co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return PushOutcome::retry;
    co_await stream.async_handshake(ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      spdlog::warn("web push to device {}: TLS with {} failed: {}", job.device_id, url->host, ec.message());
      co_return PushOutcome::retry;
    }
    const PushOutcome outcome = co_await exchange(stream, request, job);
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return outcome;
  }
};

WebPushSender::WebPushSender(const push::P256Key* vapid, WebPushConfig config)
    : impl_(std::make_unique<Impl>(vapid, std::move(config))) {}

WebPushSender::~WebPushSender() {
  stop();
}

void WebPushSender::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

void WebPushSender::stop() {
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void WebPushSender::send(const PushJob& job, std::function<void(PushOutcome)> done) {
  asio::co_spawn(impl_->ioc, impl_->post(job), [done = std::move(done)](const std::exception_ptr& e, PushOutcome o) {
    done(e ? PushOutcome::retry : o);
  });
}

std::string WebPushSender::payload_of(const PushJob& job) {
  boost::json::object payload{
      {"type", "message"},      {"chat_id", job.chat_id}, {"seq", job.seq}, {"sender_id", job.sender_id},
      {"preview", job.preview}, {"count", job.count},     {"id", job.id}};
  std::string text = boost::json::serialize(payload);
  // A preview is short (100 characters); the limit holds whatever it becomes.
  if (text.size() > push::kMaxPlaintextBytes) {
    payload["preview"] = "";
    text = boost::json::serialize(payload);
  }
  return text;
}

PushOutcome WebPushSender::outcome_of(unsigned status) {
  if (status >= 200 && status < 300) return PushOutcome::delivered;
  if (status == 404 || status == 410) return PushOutcome::gone;
  if (status == 429 || status >= 500 || status < 400) return PushOutcome::retry;
  return PushOutcome::rejected;
}

}  // namespace parley
