#pragma once
// RedisClient: one pipelined TCP connection to Redis for ordinary commands
// (GET/SET/EXPIRE/PUBLISH/…). Commands are argument vectors, binary-safe;
// many may be in flight and replies are matched in order.
//
// Threads: owns one I/O thread between start() and stop(). command() and
// publish() may be called from any thread; their callback runs on the
// client's I/O thread (must not block or throw, nor call stop()), or inline
// on the caller's thread once stop() has begun.
//
// Failure: every command gets exactly one callback. While the connection is
// down a command fails at once with `unavailable` (never queued); the client
// reconnects by itself (capped exponential backoff with jitter). A command
// unanswered after `command_timeout`, a connection closed by Redis or a
// malformed reply resets the connection and fails every command in flight
// with `unavailable`. Past `max_pending_commands`/`max_pending_bytes` a
// command fails with `overloaded`. stop() fails what is still in flight.

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "redis/redis_config.h"
#include "redis/redis_reply.h"

namespace parley::redis {

class RedisClient {
 public:
  // A Result error is the client's (unavailable, overloaded, invalid_request);
  // an error *reply* from Redis (`-ERR …`) arrives as a RedisReply of Type::error.
  using Callback = std::function<void(Result<RedisReply>)>;

  explicit RedisClient(RedisConfig config);
  ~RedisClient();  // stop()
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Starts the I/O thread and the first connection attempt.
  void start();
  // Closes the connection, fails every command in flight, joins the thread.
  // Idempotent; commands after it fail inline with `unavailable`.
  void stop();

  // Sends `args` (e.g. {"SET", key, value}); the views need only live during
  // the call. Subscribe-mode commands (SUBSCRIBE, MONITOR, …) are refused
  // with invalid_request: they belong to RedisSubscriber.
  void command(const std::vector<std::string_view>& args, Callback done);

  // PUBLISH: the number of subscribers that received it.
  void publish(std::string_view channel, std::string_view payload, std::function<void(Result<long long>)> done);

  // Whether the connection is up now (for /healthz). Any thread.
  bool connected() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::redis
