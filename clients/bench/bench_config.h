#pragma once
// BenchConfig: everything parley-bench was asked to do, parsed once in main()
// and handed by const reference to the setup and load phases.

#include <cstdint>
#include <string>

namespace parley::bench {

enum class ChatMode { direct, group };

struct BenchConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int users = 100;
  double rate = 1000;  // messages per second, all senders together
  double duration_s = 10;
  double warmup_s = 1;
  double drain_s = 5;        // after the load, stop waiting for acks and deliveries after this long without any
  double drain_max_s = 120;  // ... or after this long in all
  ChatMode mode = ChatMode::direct;
  int group_size = 50;
  int threads = 2;  // io_context threads of the load generator
  bool connections_only = false;
  int idle_connections = 0;
  int idle_devices = 0;  // logged-in devices the idle connections share (0: automatic)
  double settle_s = 3;   // connections-only: pause between the phases, for RSS readings
  int text_bytes = 32;
  int setup_concurrency = 8;      // parallel HTTP clients for signup/login/chats
  int connect_concurrency = 256;  // WebSocket handshakes in flight at once
  bool json = false;
};

}  // namespace parley::bench
