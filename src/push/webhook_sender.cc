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
#include <boost/url/parse.hpp>
#include <thread>

namespace parley {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using asio::use_awaitable;

struct WebhookPushSender::Impl {
  std::chrono::milliseconds timeout;
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;

  asio::awaitable<bool> post(PushJob job) {
    auto url = boost::urls::parse_absolute_uri(job.url);
    if (!url || url->scheme() != "http") co_return false;
    std::string host = url->host();
    std::string port = url->has_port() ? std::string(url->port()) : "80";
    std::string target = url->encoded_target().empty() ? "/" : std::string(url->encoded_target());

    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto endpoints = co_await resolver.async_resolve(host, port, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;

    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, url->encoded_host_and_port());
    req.set(http::field::user_agent, "parleyd-push");
    req.set(http::field::content_type, "application/json");
    req.keep_alive(false);
    req.body() = body_of(job);
    req.prepare_payload();
    co_await http::async_write(stream, req, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return http::to_status_class(parser.get().result()) == http::status_class::successful;
  }
};

WebhookPushSender::WebhookPushSender(std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
}

WebhookPushSender::~WebhookPushSender() { stop(); }

void WebhookPushSender::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

void WebhookPushSender::stop() {
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void WebhookPushSender::send(const PushJob& job, std::function<void(bool delivered)> done) {
  asio::co_spawn(impl_->ioc, impl_->post(job), [done = std::move(done)](std::exception_ptr e, bool delivered) {
    done(!e && delivered);
  });
}

std::string WebhookPushSender::body_of(const PushJob& job) {
  return boost::json::serialize(boost::json::object{{"user_id", job.user_id},
                                                    {"device_id", job.device_id},
                                                    {"chat_id", job.chat_id},
                                                    {"seq", job.seq},
                                                    {"sender_id", job.sender_id},
                                                    {"preview", job.preview}});
}

}  // namespace parley
