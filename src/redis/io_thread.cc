#include "redis/io_thread.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <mutex>
#include <utility>

namespace parley::redis {

IoThread::IoThread(std::string name) : name_(std::move(name)) {}

IoThread::~IoThread() {
  try {
    stop([] {});
  } catch (const std::exception& e) {
    spdlog::error("{}: stop failed: {}", name_, e.what());
  }
}

void IoThread::start() {
  std::unique_lock lock(post_mutex_);
  if (stopped_ || thread_.joinable()) return;
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] {
    // A callback that throws must not take the connection's thread with it.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("{}: callback threw: {}", name_, e.what());
      }
    }
  });
}

bool IoThread::post(std::function<void()> task) {
  std::shared_lock lock(post_mutex_);
  if (stopped_) return false;
  asio::post(io_, std::move(task));
  return true;
}

void IoThread::stop(const std::function<void()>& last) {
  {
    std::unique_lock lock(post_mutex_);
    if (stopped_) return;
    stopped_ = true;
    // Everything posted so far is queued ahead of this.
    asio::post(io_, last);
  }
  work_.reset();
  if (thread_.joinable()) {
    thread_.join();
  } else {
    io_.run();
  }
}

RedisLink::RedisLink(asio::io_context& io, RedisConfig config, std::string name, Listener& listener)
    : io_(io),
      config_(std::move(config)),
      name_(std::move(name)),
      listener_(listener),
      resolver_(io),
      socket_(io),
      timer_(io),
      rng_(std::random_device{}()) {}

RedisLink::~RedisLink() = default;

void RedisLink::start() {
  if (state_ == State::idle) connect();
}

void RedisLink::stop() {
  const bool was_up = state_ == State::up;
  state_ = State::stopped;
  ++epoch_;
  timer_.cancel();
  resolver_.cancel();
  close_socket();
  if (was_up) listener_.on_link_down("redis connection closed: stopping");
}

void RedisLink::reset(const std::string& why) {
  if (state_ == State::stopped) return;
  // Lost before it was up (during AUTH): one more failed attempt.
  if (state_ != State::up) return attempt_failed(why);
  const bool was_up = state_ == State::up;
  ++epoch_;
  close_socket();
  spdlog::warn("{}: connection to {}:{} lost: {}", name_, config_.host, config_.port, why);
  if (was_up) {
    state_ = State::waiting;
    listener_.on_link_down(why);
  }
  // The listener may have stopped us.
  if (state_ != State::stopped) schedule_reconnect();
}

void RedisLink::send(std::string_view bytes) {
  if (state_ != State::up) return;
  pending_.append(bytes);
  if (!write_in_flight_) write();
}

void RedisLink::connect() {
  state_ = State::connecting;
  const std::uint64_t epoch = ++epoch_;
  socket_ = asio::ip::tcp::socket(io_);
  timer_.expires_after(config_.connect_timeout);
  timer_.async_wait([this, epoch](boost::system::error_code ec) {
    if (ec || epoch != epoch_) return;
    attempt_failed("connect timed out");
  });
  resolver_.async_resolve(
      config_.host, std::to_string(config_.port),
      [this, epoch](boost::system::error_code ec, const asio::ip::tcp::resolver::results_type& endpoints) {
        if (epoch != epoch_) return;
        if (ec) return attempt_failed("resolve: " + ec.message());
        asio::async_connect(socket_, endpoints,
                            [this, epoch](boost::system::error_code ec, const asio::ip::tcp::endpoint&) {
                              if (epoch != epoch_) return;
                              if (ec) return attempt_failed(ec.message());
                              connected();
                            });
      });
}

void RedisLink::connected() {
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  parser_ = std::make_unique<RedisReplyParser>(config_.max_reply_bytes);
  pending_.clear();
  writing_.clear();
  write_in_flight_ = false;
  read();
  // AUTH and SELECT before anyone else may send: the connect timeout still runs.
  handshake_replies_ = 0;
  if (!config_.password.empty()) {
    pending_ += config_.username.empty() ? format_command({"AUTH", config_.password})
                                         : format_command({"AUTH", config_.username, config_.password});
    ++handshake_replies_;
  }
  if (config_.database != 0) {
    pending_ += format_command({"SELECT", std::to_string(config_.database)});
    ++handshake_replies_;
  }
  if (handshake_replies_ == 0) return became_up();
  state_ = State::handshaking;
  write();
}

void RedisLink::handshake_reply(const RedisReply& reply) {
  if (reply.is_error()) {
    // The reply names no secret ("WRONGPASS invalid username-password pair").
    attempt_failed("AUTH or SELECT refused: " + reply.str);
    return;
  }
  if (--handshake_replies_ == 0) became_up();
}

void RedisLink::became_up() {
  timer_.cancel();
  if (failures_ > 0) spdlog::info("{}: connected to {}:{} again", name_, config_.host, config_.port);
  failures_ = 0;
  state_ = State::up;
  listener_.on_link_up();
}

void RedisLink::attempt_failed(const std::string& why) {
  ++epoch_;
  resolver_.cancel();
  close_socket();
  // Said once per outage, not once per attempt.
  if (failures_ == 0) spdlog::warn("{}: cannot connect to {}:{}: {}", name_, config_.host, config_.port, why);
  ++failures_;
  schedule_reconnect();
}

void RedisLink::schedule_reconnect() {
  state_ = State::waiting;
  const std::uint64_t epoch = ++epoch_;
  const auto first = std::max<std::int64_t>(1, config_.reconnect_delay_first.count());
  const auto cap = std::max<std::int64_t>(first, config_.reconnect_delay_max.count());
  std::int64_t delay = first;
  for (unsigned i = 0; i < failures_ && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  std::uniform_int_distribution<std::int64_t> jitter(delay / 2, delay);
  timer_.expires_after(std::chrono::milliseconds(jitter(rng_)));
  timer_.async_wait([this, epoch](boost::system::error_code ec) {
    if (ec || epoch != epoch_) return;
    connect();
  });
}

void RedisLink::close_socket() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  pending_.clear();
  writing_.clear();
  write_in_flight_ = false;
}

void RedisLink::read() {
  const std::uint64_t epoch = epoch_;
  socket_.async_read_some(asio::buffer(read_buffer_), [this, epoch](boost::system::error_code ec, std::size_t n) {
    if (epoch != epoch_) return;
    if (ec) return reset(ec == asio::error::eof ? "closed by redis" : ec.message());
    if (auto fed = parser_->feed(std::string_view(read_buffer_.data(), n)); !fed) return reset(fed.error().message);
    for (;;) {
      auto reply = parser_->next();
      if (!reply) return reset(reply.error().message);
      if (!reply->has_value()) break;
      if (state_ == State::handshaking) {
        handshake_reply(**reply);
      } else {
        listener_.on_link_reply(std::move(**reply));
      }
      if (epoch != epoch_) return;  // the listener reset or stopped us
    }
    read();
  });
}

void RedisLink::write() {
  if (pending_.empty()) return;
  writing_.swap(pending_);
  pending_.clear();
  write_in_flight_ = true;
  const std::uint64_t epoch = epoch_;
  asio::async_write(socket_, asio::buffer(writing_), [this, epoch](boost::system::error_code ec, std::size_t) {
    if (epoch != epoch_) return;
    write_in_flight_ = false;
    if (ec) return reset("write: " + ec.message());
    // Do not keep a burst's buffer for the life of the connection.
    if (writing_.capacity() > (std::size_t{1} << 20)) {
      std::string().swap(writing_);
    } else {
      writing_.clear();
    }
    write();
  });
}

}  // namespace parley::redis
