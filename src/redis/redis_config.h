#pragma once
// RedisConfig: where Redis is and the bounds of one connection to it, for
// RedisClient and RedisSubscriber alike. Plain values; no Boost here.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace parley::redis {

struct RedisConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  // Sent as AUTH [username] password on every connection when not empty
  // (username: a Redis 6+ ACL user; empty means "default"). Never logged.
  std::string username;
  std::string password;
  // SELECT on every connection when not 0 (pub/sub channels ignore it).
  int database = 0;

  // One connect attempt (resolving, TCP, AUTH and SELECT) gives up after this.
  std::chrono::milliseconds connect_timeout{2000};
  // A command not answered within this fails; since Redis answers in order,
  // the connection is then reset (everything behind it fails too).
  std::chrono::milliseconds command_timeout{2000};
  // Reconnect delays double from the first to the cap; each is drawn
  // uniformly from [delay / 2, delay] so that many nodes do not reconnect in step.
  std::chrono::milliseconds reconnect_delay_first{50};
  std::chrono::milliseconds reconnect_delay_max{2000};
  // The subscriber sends PING this often and reconnects when the previous
  // one is still unanswered (a Redis that stopped answering).
  std::chrono::milliseconds ping_interval{3000};

  // Commands sent and not yet answered, by count and by their formatted
  // bytes; past either a command fails at once with `overloaded`.
  std::size_t max_pending_commands = 100'000;
  std::size_t max_pending_bytes = std::size_t{64} << 20;
  // Memory one reply may take (about 80 bytes per element plus its strings);
  // a larger one is treated like a protocol error: the connection is reset.
  std::size_t max_reply_bytes = std::size_t{64} << 20;
};

}  // namespace parley::redis
