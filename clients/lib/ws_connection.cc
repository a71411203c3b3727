// The only translation unit of parley_client that instantiates a Beast
// WebSocket stream (they are slow to compile); protocol helpers that need no
// Beast live in ws_protocol.cc.
#include "lib/ws_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace parley::client {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;

struct WsConnection::Impl : std::enable_shared_from_this<Impl> {
  // An outgoing item: a data frame, or a close request queued behind data.
  struct Outgoing {
    enum class Kind { text, binary, close } kind;
    std::string data;
    int close_code = 1000;
  };

  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer read_buffer;
  net::steady_timer heartbeat_timer{ioc};
  std::thread thread;

  // I/O thread only.
  std::deque<Outgoing> write_queue;
  bool writing = false;
  bool heartbeat_on = false;
  Ms heartbeat_interval{0};

  // Shared with callers; guarded by mu.
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<json::value> frames;
  std::vector<json::value> all_frames;
  std::string last_cursor;
  std::size_t pending_writes = 0;
  bool closed = false;
  int close_code = 0;
  std::string close_detail;
  bool keep_history = true;  // set before the I/O thread starts

  template <class Initiate>
  beast::error_code run_blocking(Initiate&& initiate) {
    beast::error_code result;
    bool done = false;
    initiate([&result, &done](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc.restart();
    while (!done) ioc.run_one();  // the work guard keeps run() from returning
    return result;
  }

  void start_reading() {
    ws.async_read(read_buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      int code = kCloseAbnormal;
      std::string detail = ec.message();
      // A close frame may have arrived even when replying to it failed
      // (e.g. broken pipe because the server already tore the socket down).
      if (ec == websocket::error::closed || ws.reason().code != websocket::close_code::none) {
        code = ws.reason().code;
        detail = std::string(ws.reason().reason.c_str());
      }
      {
        std::lock_guard lock(mu);
        if (!closed) close_detail = std::move(detail);
      }
      mark_closed(code);
      return;
    }
    json::value frame;
    std::string data = beast::buffers_to_string(read_buffer.data());
    read_buffer.consume(read_buffer.size());
    if (ws.got_text()) {
      json::error_code jec;
      frame = json::parse(data, jec);
      if (jec) frame = json::object{{"type", "_unparsable"}, {"raw", data}};
    } else {
      frame = json::object{{"type", "_binary"}, {"size", data.size()}};
    }
    {
      std::lock_guard lock(mu);
      if (frame.is_object()) {
        if (const auto* c = frame.as_object().if_contains("cursor"); c && c->is_string()) {
          last_cursor = std::string(c->as_string());
        }
      }
      if (keep_history) all_frames.push_back(frame);
      frames.push_back(std::move(frame));
    }
    cv.notify_all();
    start_reading();
  }

  void mark_closed(int code) {
    heartbeat_on = false;
    heartbeat_timer.cancel();
    {
      std::lock_guard lock(mu);
      if (!closed) {
        closed = true;
        close_code = code;
      }
    }
    // Queued writes are discarded by write_next() once it sees `closed`.
    cv.notify_all();
  }

  // Caller thread.
  void enqueue(Outgoing item) {
    {
      std::lock_guard lock(mu);
      if (closed) return;
      ++pending_writes;
    }
    net::post(ioc, [self = shared_from_this(), item = std::move(item)]() mutable {
      self->write_queue.push_back(std::move(item));
      if (!self->writing) self->write_next();
    });
  }

  void write_next() {
    bool is_closed;
    {
      std::lock_guard lock(mu);
      is_closed = closed;
    }
    if (is_closed) {
      finish_writes(write_queue.size());
      write_queue.clear();
      return;
    }
    if (write_queue.empty()) return;
    writing = true;
    Outgoing& item = write_queue.front();
    auto self = shared_from_this();
    if (item.kind == Outgoing::Kind::close) {
      ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(item.close_code)),
                     [self](beast::error_code) { self->on_written(); });
      return;
    }
    ws.text(item.kind == Outgoing::Kind::text);
    ws.async_write(net::buffer(item.data), [self](beast::error_code, std::size_t) { self->on_written(); });
  }

  void on_written() {
    writing = false;
    if (!write_queue.empty()) write_queue.pop_front();
    finish_writes(1);
    write_next();
  }

  void finish_writes(std::size_t n) {
    {
      std::lock_guard lock(mu);
      pending_writes -= std::min(n, pending_writes);
    }
    cv.notify_all();
  }

  void arm_heartbeat() {
    heartbeat_timer.expires_after(heartbeat_interval);
    heartbeat_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->heartbeat_on) return;
      self->enqueue({Outgoing::Kind::text, R"({"type":"heartbeat"})"});
      self->arm_heartbeat();
    });
  }

  // I/O thread: drop the socket; the pending read then completes with an error.
  void drop_socket() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws).socket().close(ignored);
    heartbeat_on = false;
    heartbeat_timer.cancel();
  }

  // First queued object frame satisfying pred, waiting until the deadline.
  template <class Pred>
  std::optional<json::object> wait_match(Pred&& pred, Ms timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mu);
    auto take = [&]() -> std::optional<json::object> {
      for (auto it = frames.begin(); it != frames.end(); ++it) {
        if (it->is_object() && pred(it->as_object())) {
          json::object out = std::move(it->as_object());
          frames.erase(it);
          return out;
        }
      }
      return std::nullopt;
    };
    for (;;) {
      if (auto out = take()) return out;
      if (closed) return std::nullopt;
      if (cv.wait_until(lock, deadline) == std::cv_status::timeout) return take();
    }
  }
};

WsConnection::WsConnection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<WsConnection> WsConnection::connect(const std::string& host, std::uint16_t port, WsOptions options) {
  auto impl = std::make_shared<Impl>();
  impl->keep_history = options.keep_history;
  auto& ws = impl->ws;
  const std::string where = host + ":" + std::to_string(port);
  tcp::resolver resolver(impl->ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) throw WsError("resolve " + where + ": " + ec.message());
  beast::get_lowest_layer(ws).expires_after(options.connect_timeout);
  ec = impl->run_blocking(
      [&](auto handler) { beast::get_lowest_layer(ws).async_connect(endpoints, std::move(handler)); });
  if (ec) throw WsError("connect " + where + ": " + ec.message());
  beast::get_lowest_layer(ws).expires_after(options.connect_timeout);
  ws.read_message_max(options.max_incoming_bytes);
  ws.auto_fragment(false);
  ec = impl->run_blocking([&](auto handler) { ws.async_handshake(where, options.target, std::move(handler)); });
  if (ec) throw WsError("websocket handshake " + where + options.target + ": " + ec.message());
  beast::get_lowest_layer(ws).expires_never();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(5);  // also bounds the close handshake
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  ws.set_option(t);
  impl->ioc.restart();
  impl->start_reading();
  impl->thread = std::thread([raw = impl.get()] { raw->ioc.run(); });
  return std::unique_ptr<WsConnection>(new WsConnection(std::move(impl)));
}

WsConnection::~WsConnection() {
  if (is_open()) close();
  auto impl = impl_;
  net::post(impl->ioc, [impl] { impl->drop_socket(); });
  impl->work.reset();
  if (impl->thread.joinable()) impl->thread.join();
}

void WsConnection::send(const boost::json::value& frame) {
  impl_->enqueue({Impl::Outgoing::Kind::text, json::serialize(frame)});
}

void WsConnection::send_text(std::string text) {
  impl_->enqueue({Impl::Outgoing::Kind::text, std::move(text)});
}

void WsConnection::send_binary(std::string bytes) {
  impl_->enqueue({Impl::Outgoing::Kind::binary, std::move(bytes)});
}

bool WsConnection::flush(Ms timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->pending_writes == 0; });
}

std::optional<boost::json::value> WsConnection::next(Ms timeout) {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait_for(lock, timeout, [&] { return !impl_->frames.empty() || impl_->closed; });
  if (impl_->frames.empty()) return std::nullopt;
  json::value v = std::move(impl_->frames.front());
  impl_->frames.pop_front();
  return v;
}

std::optional<boost::json::object> WsConnection::next_of_type(std::string_view type, Ms timeout) {
  return impl_->wait_match(
      [type](const json::object& o) {
        const auto* t = o.if_contains("type");
        return t && t->is_string() && t->as_string() == type;
      },
      timeout);
}

std::optional<boost::json::object> WsConnection::next_matching(
    const std::function<bool(const boost::json::object&)>& pred, Ms timeout) {
  return impl_->wait_match(pred, timeout);
}

std::optional<std::vector<boost::json::object>> WsConnection::take_until_type(std::string_view type, Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(impl_->mu);
  auto& frames = impl_->frames;
  auto take = [&]() -> std::optional<std::vector<json::object>> {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (frame_type(frames[i]) != type) continue;
      std::vector<json::object> out;
      for (std::size_t j = 0; j <= i; ++j) {
        json::value& v = frames.front();
        out.push_back(v.is_object() ? std::move(v.as_object()) : json::object{{"type", "_non_object"}, {"value", v}});
        frames.pop_front();
      }
      return out;
    }
    return std::nullopt;
  };
  for (;;) {
    if (auto out = take()) return out;
    if (impl_->closed) return std::nullopt;
    if (impl_->cv.wait_until(lock, deadline) == std::cv_status::timeout) return take();
  }
}

std::vector<boost::json::value> WsConnection::take_all() {
  std::lock_guard lock(impl_->mu);
  std::vector<json::value> out(std::make_move_iterator(impl_->frames.begin()),
                               std::make_move_iterator(impl_->frames.end()));
  impl_->frames.clear();
  return out;
}

std::size_t WsConnection::queued() const {
  std::lock_guard lock(impl_->mu);
  return impl_->frames.size();
}

std::vector<boost::json::value> WsConnection::history() const {
  std::lock_guard lock(impl_->mu);
  return impl_->all_frames;
}

std::optional<int> WsConnection::wait_closed(Ms timeout) {
  std::unique_lock lock(impl_->mu);
  if (!impl_->cv.wait_for(lock, timeout, [&] { return impl_->closed; })) return std::nullopt;
  return impl_->close_code;
}

bool WsConnection::is_open() const {
  std::lock_guard lock(impl_->mu);
  return !impl_->closed;
}

void WsConnection::close(int code) {
  Impl::Outgoing item{Impl::Outgoing::Kind::close, {}, code};
  impl_->enqueue(std::move(item));
  if (!wait_closed(Ms(3000))) abort();
}

void WsConnection::abort() {
  auto impl = impl_;
  net::post(impl->ioc, [impl] { impl->drop_socket(); });
  wait_closed(Ms(3000));
}

void WsConnection::start_heartbeat(Ms interval) {
  net::post(impl_->ioc, [impl = impl_, interval] {
    impl->heartbeat_interval = interval;
    impl->heartbeat_on = true;
    impl->heartbeat_timer.cancel();
    impl->arm_heartbeat();
  });
}

void WsConnection::stop_heartbeat() {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  net::post(impl_->ioc, [impl = impl_, done] {
    impl->heartbeat_on = false;
    impl->heartbeat_timer.cancel();
    done->set_value();
  });
  // Wait so that no heartbeat is sent after this returns.
  future.wait_for(Ms(2000));
}

std::string WsConnection::close_detail() const {
  std::lock_guard lock(impl_->mu);
  return impl_->close_detail;
}

std::string WsConnection::last_cursor() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_cursor;
}

}  // namespace parley::client
