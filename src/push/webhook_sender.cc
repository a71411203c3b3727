#include "push/webhook_sender.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "push/webhook_url.h"

namespace parley {
using push::parse_webhook_url;
using push::refusal;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using asio::ip::tcp;

struct WebhookPushSender::Impl {
  std::chrono::milliseconds timeout;
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;

  inet::HostAllowList allow;

  asio::awaitable<bool> post(PushJob job) {
    auto url = parse_webhook_url(job.url);
    if (!url) {
      spdlog::warn("push to device {} not sent: {}", job.device_id, url.error().message);
      co_return false;
    }
    beast::error_code ec;
    // Resolve once, check every address, connect only to the ones checked:
    // a second lookup could answer differently (DNS rebinding).
    std::vector<tcp::endpoint> endpoints;
    std::string refused;
    auto consider = [&](const asio::ip::address& address) {
      if (auto why = refusal(*url, address, allow)) {
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
      if (ec) co_return false;
      for (const auto& entry : results) consider(entry.endpoint().address());
    }
    if (endpoints.empty()) {
      spdlog::warn("push to device {} refused: {} ({}); see --push-allow-hosts", job.device_id, url->host, refused);
      co_return false;
    }
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;

    // Redirects are not followed: a 3xx is a failed delivery like any non-2xx.
    http::request<http::string_body> req{http::verb::post, url->target, 11};
    req.set(http::field::host, url->host_header);
    req.set(http::field::user_agent, "parleyd-push");
    req.set(http::field::content_type, "application/json");
    req.keep_alive(false);
    req.body() = body_of(job);
    req.prepare_payload();
    co_await http::async_write(stream, req, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{64} * 1024);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return http::to_status_class(parser.get().result()) == http::status_class::successful;
  }
};

WebhookPushSender::WebhookPushSender(inet::HostAllowList allow, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
  impl_->allow = std::move(allow);
}

WebhookPushSender::~WebhookPushSender() {
  stop();
}

void WebhookPushSender::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

void WebhookPushSender::stop() {
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void WebhookPushSender::send(const PushJob& job, std::function<void(PushOutcome)> done) {
  // Any failure of a webhook is retried: it is the operator's own service.
  asio::co_spawn(impl_->ioc, impl_->post(job), [done = std::move(done)](const std::exception_ptr& e, bool delivered) {
    done(!e && delivered ? PushOutcome::delivered : PushOutcome::retry);
  });
}

std::string WebhookPushSender::body_of(const PushJob& job) {
  return boost::json::serialize(boost::json::object{{"user_id", job.user_id},
                                                    {"device_id", job.device_id},
                                                    {"chat_id", job.chat_id},
                                                    {"seq", job.seq},
                                                    {"sender_id", job.sender_id},
                                                    {"preview", job.preview},
                                                    {"count", job.count}});
}

}  // namespace parley
