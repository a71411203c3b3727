#pragma once
// RedisSubscriber: a connection of its own in pub/sub mode. Channels are
// reference-counted (many local devices of one user share their user's
// channel): the first subscribe() of a channel sends SUBSCRIBE, the last
// unsubscribe() sends UNSUBSCRIBE; calls made in one turn go out as one
// command with many channels.
//
// Pub/sub is at-most-once: what is published while this connection is down
// is lost. After every (re)connection the subscriber subscribes every channel
// again and, once Redis has confirmed them all, calls `on_resubscribed`; the
// owner then repairs what it may have missed from the store. It is called
// after the first connection too (messages published before it were missed
// as well).
//
// Threads: owns one I/O thread between start() and stop(); subscribe(),
// unsubscribe() and connected() may be called from any thread. The message
// and resubscribed callbacks run on the subscriber's I/O thread, one at a
// time, and must not block nor call stop(); they are never called once
// stop() returns.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "redis/redis_config.h"

namespace parley::redis {

class RedisSubscriber {
 public:
  using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;

  RedisSubscriber(RedisConfig config, MessageHandler on_message, std::function<void()> on_resubscribed);
  ~RedisSubscriber();  // stop()
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  void start();
  // Closes the connection and joins the thread. Idempotent.
  void stop();

  // Adds one reference to `channel` (any bytes); messages on it are delivered
  // from the moment Redis confirms it, as long as one reference is held.
  void subscribe(std::string channel);
  // Drops one reference; the last one unsubscribes. Unknown channels are ignored.
  void unsubscribe(std::string channel);
  // Calls `confirmed` (on the subscriber's thread) once Redis has confirmed
  // `channel` on the current connection — at once if it has already; after a
  // reconnection, once it is confirmed again. Takes no reference: call it
  // after subscribe(). Dropped uncalled by stop(), or when the channel loses
  // its last reference first.
  void when_confirmed(std::string channel, std::function<void()> confirmed);

  // Connected and every channel confirmed by Redis (for /healthz). Any thread.
  bool connected() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::redis
