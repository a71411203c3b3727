#pragma once
// One logical WebSocket session with parleyd that outlives dropped
// connections: connects, says hello (with the cursor the caller supplies),
// heartbeats at the interval from `welcome`, notices a dead link, and
// reconnects with exponential backoff and equal jitter.
//
// In a cluster it connects to the user's home node: before every connection
// it asks GET /v1/route (of the configured server, else of any node it has
// heard of), and it follows a `move` frame of a node that is leaving. When the
// route names the node it just lost or one it could not reach (the ring holds
// a dead node until ZooKeeper's session timeout), it connects to the node that
// answered instead (client::reconnect_target): any node serves any user.
//
// A dead link is one silent for two heartbeat intervals that then does not
// answer a probe (a `presence_subscribe` for the caller itself, which the
// server answers at once) within two more. The answers to that probe, and any
// presence frame about the caller, are swallowed here.
//
// Owned and called by the main thread only; the WsConnection inside has its
// own I/O thread (see clients/lib).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "cli/cli_context.h"
#include "lib/ws_connection.h"

namespace parley::cli {

using Ms = std::chrono::milliseconds;

struct LiveLinkConfig {
  ServerAddress server;
  std::string token;
  std::string user_id;
  Ms first_backoff{500};
  Ms max_backoff{15000};
};

// What LiveLink::next() has to report.
struct LiveEvent {
  enum class Kind {
    idle,       // nothing within the timeout
    connected,  // a reconnection succeeded; `frame` is its welcome
    frame,      // a server frame
    lost,       // the connection dropped or a reconnection failed; `detail` says why and when the next try is
  };
  Kind kind = Kind::idle;
  boost::json::object frame;
  std::string detail;
};

class LiveLink {
 public:
  // Called before every hello; nullopt asks for live traffic only.
  using CursorSource = std::function<std::optional<std::string>()>;

  LiveLink(LiveLinkConfig config, CursorSource cursor);
  ~LiveLink();
  LiveLink(const LiveLink&) = delete;
  LiveLink& operator=(const LiveLink&) = delete;

  // The first connection; returns its welcome. Throws CliError: exit 4 when
  // the server cannot be reached, exit 3 when it refuses the token.
  boost::json::object open();
  // Waits up to `timeout` for something to report; while the link is down,
  // reconnects once a retry is due. Throws CliError (exit 3) when the server
  // refuses the token (close code 4401: logged out elsewhere).
  LiveEvent next(Ms timeout);
  // Sends when connected; false when the link is down (keep the frame and
  // send it after the next `connected`).
  bool send(const boost::json::value& frame);
  bool connected() const { return ws_ != nullptr; }
  // The node of the current (or last) connection.
  const ServerAddress& node() const { return connected_to_; }
  // Closes cleanly (code 1000) if connected.
  void close();

 private:
  // Connect + hello; throws LinkDown (defined in the .cc) or CliError (4401).
  boost::json::object attempt();
  // Where to connect now, in order: a `move` frame's node; else the node
  // /v1/route chose (reconnect_target), then the node that answered; else the
  // configured server.
  std::vector<ServerAddress> targets();
  void mark_unusable(const ServerAddress& node);
  LiveEvent down(const std::string& why);

  LiveLinkConfig config_;
  CursorSource cursor_;
  std::unique_ptr<client::WsConnection> ws_;
  std::vector<ServerAddress> known_nodes_;  // from the last route answer
  std::optional<ServerAddress> moved_to_;   // a `move` frame's node, for the next connection
  ServerAddress connected_to_;              // the node of ws_
  std::vector<ServerAddress> unusable_;     // lost or unreachable since the last connection
  Ms heartbeat_{5000};
  std::chrono::steady_clock::time_point last_heard_{};
  bool probe_sent_ = false;
  int failures_ = 0;  // consecutive; drives the backoff
  std::chrono::steady_clock::time_point retry_at_{};
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace parley::cli
