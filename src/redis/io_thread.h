#pragma once
// Internal to src/redis (includes Asio): the one I/O thread a RedisClient or
// RedisSubscriber owns, and the TCP connection to Redis that lives on it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>

#include "redis/redis_config.h"
#include "redis/redis_reply.h"

namespace parley::redis {

namespace asio = boost::asio;

// An io_context run by one thread between start() and stop(). post() is
// thread-safe and tells whether the task will run: after stop() nothing is
// queued any more, so a caller can answer its own callback instead.
class IoThread {
 public:
  explicit IoThread(std::string name);
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  asio::io_context& context() { return io_; }
  void start();
  // False (and `task` dropped) once stop() has begun.
  bool post(std::function<void()> task);
  // Refuses further posts, runs `last` on the thread after everything posted
  // before, lets the remaining handlers finish and joins. Runs the context on
  // the caller's thread when start() was never called. Idempotent.
  void stop(const std::function<void()>& last);

 private:
  std::string name_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::shared_mutex post_mutex_;  // held shared while posting, exclusively to stop
  bool stopped_ = false;
};

// One connection to Redis on an IoThread: connects, reconnects with capped
// exponential backoff and jitter, writes what it is given (pipelined: one
// write in flight, later sends coalesce behind it) and hands every parsed
// reply to its listener. Used on its IoThread only. A listener callback may
// call reset() or stop().
class RedisLink {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void on_link_up() = 0;
    virtual void on_link_reply(RedisReply reply) = 0;
    // The connection that was up is gone (closed by Redis, reset, stopped).
    virtual void on_link_down(const std::string& why) = 0;
  };

  RedisLink(asio::io_context& io, RedisConfig config, std::string name, Listener& listener);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  void start();
  void stop();
  bool up() const { return state_ == State::up; }
  // Closes the connection (telling the listener) and reconnects after a backoff.
  void reset(const std::string& why);
  // Queues bytes for Redis; only while up().
  void send(std::string_view bytes);

 private:
  enum class State { idle, connecting, handshaking, up, waiting, stopped };

  void connect();
  void connected();
  void handshake_reply(const RedisReply& reply);
  void became_up();
  void attempt_failed(const std::string& why);
  void schedule_reconnect();
  void close_socket();
  void read();
  void write();

  asio::io_context& io_;
  RedisConfig config_;
  std::string name_;
  Listener& listener_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;  // connect timeout, then backoff
  State state_ = State::idle;
  std::uint64_t epoch_ = 0;  // bumped per connection attempt: completions of older ones are stale
  unsigned failures_ = 0;    // attempts failed since the last connection was up
  std::minstd_rand rng_;
  std::unique_ptr<RedisReplyParser> parser_;
  std::array<char, std::size_t{64} * 1024> read_buffer_{};
  std::string pending_;  // queued behind the write in flight
  std::string writing_;  // the write in flight
  bool write_in_flight_ = false;
  int handshake_replies_ = 0;  // AUTH/SELECT replies still awaited
};

}  // namespace parley::redis
