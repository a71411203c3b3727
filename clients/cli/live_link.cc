#include "cli/live_link.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

#include <boost/json.hpp>

#include "lib/reconnect_target.h"

namespace parley::cli {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kCloseUnauthorized = 4401;

// A connection attempt that failed for a reason worth retrying.
class LinkDown : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string seconds_text(Ms d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

CliError token_refused() {
  return not_logged_in("the server refused the stored login (WebSocket closed with 4401); run `parley login`");
}

}  // namespace

LiveLink::LiveLink(LiveLinkConfig config, CursorSource cursor)
    : config_(std::move(config)), cursor_(std::move(cursor)) {}

LiveLink::~LiveLink() {
  close();
}

json::object LiveLink::open() {
  try {
    return attempt();
  } catch (const LinkDown& e) {
    throw connect_failure(config_.server.url(), e.what());
  }
}

void LiveLink::mark_unusable(const ServerAddress& node) {
  if (std::find(unusable_.begin(), unusable_.end(), node) == unusable_.end()) unusable_.push_back(node);
}

std::vector<ServerAddress> LiveLink::targets() {
  if (auto moved = std::exchange(moved_to_, std::nullopt)) return {*moved};
  std::vector<ServerAddress> candidates{config_.server};
  for (const auto& node : known_nodes_) {
    if (node != config_.server) candidates.push_back(node);
  }
  for (const auto& server : candidates) {
    try {
      client::HttpClient http(server.host, server.port, Ms(3000));
      auto route = http.request("GET", "/v1/route", std::nullopt, config_.token);
      if (route.status != 200 || !route.json.is_object()) continue;
      const auto& body = route.json.as_object();
      if (!body.contains("cluster") || !body.at("cluster").is_bool() || !body.at("cluster").as_bool()) {
        return {server};  // a single node: everyone's home
      }
      known_nodes_.clear();
      if (const auto* nodes = body.if_contains("nodes"); nodes && nodes->is_array()) {
        for (const auto& url : nodes->as_array()) {
          if (!url.is_string()) continue;
          if (auto node = ServerAddress::parse(std::string(url.as_string()))) known_nodes_.push_back(*node);
        }
      }
      auto home = ServerAddress::parse(client::str_field(body, "url"));
      if (!home) return {server};
      const ServerAddress& first = client::reconnect_target(*home, server, unusable_);
      if (first == server) return {server};
      return {first, server};
    } catch (const std::exception&) {
      mark_unusable(server);  // this one is down: ask the next
    }
  }
  return {config_.server};
}

json::object LiveLink::attempt() {
  client::WsOptions options;
  options.connect_timeout = Ms(5000);
  options.keep_history = false;  // a watch may run for days
  std::unique_ptr<client::WsConnection> ws;
  const std::vector<ServerAddress> candidates = targets();
  for (const auto& server : candidates) {
    try {
      ws = client::WsConnection::connect(server.host, server.port, options);
      connected_to_ = server;
      break;
    } catch (const client::WsError& e) {
      // The next candidate, if any, is the node that answered the route.
      mark_unusable(server);
      if (&server == &candidates.back()) throw LinkDown(e.what());
    }
  }
  json::object welcome;
  try {
    welcome = ws->hello(config_.token, cursor_(), Ms(10000));
  } catch (const client::WsError& e) {
    if (ws->wait_closed(Ms(2000)) == kCloseUnauthorized) throw token_refused();
    throw LinkDown(e.what());
  }
  const std::int64_t interval = client::int_field(welcome, "heartbeat_interval_ms", 5000);
  heartbeat_ = Ms(std::clamp<std::int64_t>(interval, 100, 600'000));
  ws->start_heartbeat(heartbeat_);
  ws_ = std::move(ws);
  unusable_.clear();
  last_heard_ = Clock::now();
  probe_sent_ = false;
  failures_ = 0;
  return welcome;
}

LiveEvent LiveLink::down(const std::string& why) {
  if (ws_) {
    ws_->abort();
    unusable_ = {connected_to_};  // the node just lost: a route that still names it is not followed
  }
  ws_.reset();
  // Equal jitter: half of the exponential delay is fixed, half is random.
  const double exp = std::min(30.0, static_cast<double>(failures_++));
  const auto ceiling = std::min<double>(static_cast<double>(config_.max_backoff.count()),
                                        static_cast<double>(config_.first_backoff.count()) * std::pow(2.0, exp));
  std::uniform_real_distribution<double> jitter(0.0, ceiling / 2);
  const Ms delay(static_cast<std::int64_t>(ceiling / 2 + jitter(rng_)));
  retry_at_ = Clock::now() + delay;
  return {LiveEvent::Kind::lost, {}, why + "; reconnecting in " + seconds_text(delay)};
}

LiveEvent LiveLink::next(Ms timeout) {
  const auto now = Clock::now();
  if (!ws_) {
    if (now < retry_at_) {
      std::this_thread::sleep_for(std::min<Clock::duration>(timeout, retry_at_ - now));
      return {};
    }
    try {
      return {LiveEvent::Kind::connected, attempt(), {}};
    } catch (const LinkDown& e) {
      return down(std::string("cannot reconnect: ") + e.what());
    }
  }
  if (auto frame = ws_->next(timeout)) {
    last_heard_ = Clock::now();
    probe_sent_ = false;
    if (!frame->is_object()) return {};
    json::object& o = frame->as_object();
    if (client::str_field(o, "type") == "presence" && client::str_field(o, "user_id") == config_.user_id) return {};
    if (client::str_field(o, "type") == "move") {
      // The node is leaving the cluster and has spread its devices' moves
      // over time already: go at once, with the same cursor.
      moved_to_ = ServerAddress::parse(client::str_field(o, "url"));
      ws_->close();
      ws_.reset();
      retry_at_ = Clock::now();
      return {LiveEvent::Kind::lost, {}, "the server is leaving the cluster; moving to " + client::str_field(o, "url")};
    }
    return {LiveEvent::Kind::frame, std::move(o), {}};
  }
  if (!ws_->is_open()) {
    const int code = ws_->wait_closed(Ms(0)).value_or(client::kCloseAbnormal);
    if (code == kCloseUnauthorized) {
      ws_.reset();
      throw token_refused();
    }
    std::string detail = ws_->close_detail();
    return down("connection closed (code " + std::to_string(code) + (detail.empty() ? "" : ": " + detail) + ")");
  }
  const auto silent = Clock::now() - last_heard_;
  if (silent > 4 * heartbeat_)
    return down("no answer from the server for " + seconds_text(std::chrono::duration_cast<Ms>(silent)));
  if (silent > 2 * heartbeat_ && !probe_sent_) {
    ws_->send(json::object{{"type", "presence_subscribe"}, {"user_ids", json::array{json::value(config_.user_id)}}});
    probe_sent_ = true;
  }
  return {};
}

bool LiveLink::send(const json::value& frame) {
  if (!ws_ || !ws_->is_open()) return false;
  ws_->send(frame);
  return true;
}

void LiveLink::close() {
  if (!ws_) return;
  ws_->stop_heartbeat();
  ws_->close(1000);
  ws_.reset();
}

}  // namespace parley::cli
