#include "net/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>

#include <spdlog/spdlog.h>

#include <thread>

#include "core/metrics.h"
#include "net/rest_replies.h"
#include "net/wake_pacer.h"
#include "net/ws_session.h"

namespace parley {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// A warning logged at most once per second, with the count of the ones
// suppressed in between. Used from one strand.
class ThrottledLog {
 public:
  void warn(const std::string& message) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1)) {
      ++suppressed_;
      return;
    }
    if (suppressed_ > 0) {
      spdlog::warn("{} ({} more like it in the last second)", message, suppressed_);
    } else {
      spdlog::warn("{}", message);
    }
    last_ = now;
    suppressed_ = 0;
  }

 private:
  std::chrono::steady_clock::time_point last_{};
  std::size_t suppressed_ = 0;
};

unsigned thread_count(const ServerConfig& config) {
  if (config.threads > 0) return config.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

asio::awaitable<void> write_error_and_close(beast::tcp_stream& stream, const Error& error, unsigned version) {
  auto res = RestApi::error_response(error, version, false);
  beast::error_code ec;
  co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

// Serves one HTTP connection until it closes or upgrades to a WebSocket.
asio::awaitable<void> serve_http(beast::tcp_stream stream, NetContext& context, RestApi& api,
                                 ConnectionLimit::Slot slot, std::size_t loop, WritePacer& pacer) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(context.config.max_body_bytes);
    parser.header_limit(16 * 1024);
    stream.expires_after(std::chrono::seconds(60));
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::body_limit) {
      co_await write_error_and_close(
          stream,
          make_error(ErrorCode::payload_too_large,
                     "body larger than " + std::to_string(context.config.max_body_bytes) + " bytes"),
          11);
      co_return;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      break;
    }
    if (ec) {
      co_await write_error_and_close(stream, make_error(ErrorCode::invalid_request, "malformed HTTP request"), 11);
      co_return;
    }
    auto request = parser.release();
    auto url = boost::urls::parse_origin_form(request.target());
    bool ws_path = url && url->path() == "/v1/ws";
    if (ws_path && beast::websocket::is_upgrade(request)) {
      auto session = std::make_shared<WsSession>(stream.release_socket(), context, std::move(slot), loop, pacer);
      WsSession::start(std::move(session), std::move(request));
      co_return;
    }
    RestApi::Response response;
    if (ws_path) {
      response = rest::error_reply(request, make_error(ErrorCode::invalid_request, "expected a WebSocket upgrade"));
    } else {
      beast::error_code peer_ec;
      auto peer = stream.socket().remote_endpoint(peer_ec).address();
      response = co_await api.handle(std::move(request), peer);
    }
    bool keep_alive = response.keep_alive();
    co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

Server::Server(const ServerConfig& config, Core& core, DeviceBus& bus)
    : config_(config),
      blocking_(std::max(4u, 2 * thread_count(config))),
      context_{core, bus, config_, blocking_},
      connections_(connection_limit_for(config.max_connections, config.fd_reserve)),
      ioc_(static_cast<int>(thread_count(config))),
      courier_(ioc_, thread_count(config), std::chrono::milliseconds(config.write_delay_ms), config.write_pacing_above),
      api_(context_, blocking_),
      acceptor_(asio::make_strand(ioc_)) {
  bus.set_courier(&courier_);
}

Server::~Server() {
  context_.bus.set_courier(nullptr);
  // Stopping can only fail for want of memory; a destructor must not throw.
  try {
    stop(std::chrono::milliseconds(0));
    blocking_.join();
  } catch (const std::exception& e) {
    spdlog::error("stopping the server: {}", e.what());
  }
}

void Server::listen() {
  auto address = asio::ip::make_address(config_.host);
  tcp::endpoint endpoint{address, config_.port};
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

std::uint16_t Server::port() const {
  return acceptor_.local_endpoint().port();
}

void Server::run() {
  // The accept loop and stop_accepting() share the acceptor's strand.
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
  unsigned n = thread_count(config_);
  for (unsigned i = 1; i < n; ++i) threads_.emplace_back([this] { run_io_thread(); });
  run_io_thread();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Server::run_io_thread() {
  WakePacer pacer(std::chrono::microseconds(config_.wake_pause_us), config_.wake_pacing_above);
  ProcessMetrics& metrics = process_metrics();
  // io_context::run(), one wake at a time: the thread blocks for the first
  // job, runs everything else ready, and may pause before looking again.
  for (;;) {
    std::size_t jobs = ioc_.run_one();
    if (jobs == 0) return;  // stopped, or nothing left to do
    const auto woke = WakePacer::Clock::now();
    jobs += ioc_.poll();
    metrics.io_wakes.add();
    metrics.io_jobs.add(jobs);
    const auto pause = pacer.woke(woke, jobs);
    if (pause == WakePacer::Clock::duration::zero()) continue;
    metrics.io_paused_wakes.add();
    std::this_thread::sleep_until(woke + pause);
  }
}

void Server::stop_accepting() {
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
}

void Server::stop(std::chrono::milliseconds grace) {
  if (grace.count() == 0) {
    ioc_.stop();
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(ioc_, grace);
  timer->async_wait([this, timer](beast::error_code) { ioc_.stop(); });
}

asio::awaitable<void> Server::accept_loop() {
  beast::error_code ec;
  // Under a flood of refusals, one line per second says how many there were.
  ThrottledLog refusals;
  ThrottledLog failures;
  spdlog::info("accepting up to {} connections ({} descriptors kept in reserve)", connections_.max(),
               config_.fd_reserve);
  for (;;) {
    const std::size_t loop = courier_.next_loop();
    tcp::socket socket = co_await acceptor_.async_accept(courier_.loop(loop), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (!acceptor_.is_open()) co_return;
      failures.warn("accept failed: " + ec.message());
      // Out of file descriptors: back off instead of spinning; the pending
      // connections wait in the listen backlog.
      asio::steady_timer pause(ioc_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    auto slot = connections_.try_take();
    if (!slot) {
      refusals.warn("connection limit reached (" + std::to_string(connections_.max()) + " open); refusing new ones");
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(
        executor,
        serve_http(beast::tcp_stream(std::move(socket)), context_, api_, std::move(*slot), loop, courier_.pacer(loop)),
        asio::detached);
  }
}

}  // namespace parley
