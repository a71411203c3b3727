// The only translation unit of parley-bench that instantiates a Beast
// WebSocket stream (each one costs ~45 s of compile time).
#include "ws_load.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <deque>
#include <random>

#include "failover_curve.h"
#include "lib/reconnect_target.h"
#include "overload_timeline.h"
#include "rate_plan.h"
#include "route_answer.h"

namespace parley::bench {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace json = boost::json;
using net::use_awaitable;
using tcp = net::ip::tcp;

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}
Clock::time_point at_ns(std::int64_t ns) {
  return Clock::time_point(std::chrono::nanoseconds(ns));
}

// One send of the plan, written by the sender's writer and read by the
// reader of every recipient (any thread), hence atomics.
struct MsgRecord {
  std::atomic<std::int64_t> sent_ns{0};  // 0: not sent (yet)
  std::atomic<std::int64_t> acked_ns{0};
  std::atomic<std::int64_t> seq{0};  // from the first ack or delivery
  std::atomic<std::uint32_t> deliveries{0};
  std::atomic<bool> errored{false};
};

// The overload scenario (--rate-phases): what happened in one second of the
// run, by the time a frame was written or received. Any thread.
struct SecondStats {
  std::atomic<std::uint64_t> sends{0}, acks{0}, overloaded{0}, other_errors{0}, deliveries{0};
  LatencyHistogram latency;  // of the deliveries received in this second
};

// What one connection saw of one chat: every seq, to find duplicates.
struct ChatSeen {
  int chat = -1;
  std::vector<bool> seqs;
  std::int64_t last = 0;
};

using Strand = net::strand<net::io_context::executor_type>;
using WsStream = websocket::stream<beast::tcp_stream>;

// One device's connection. A device that reconnects (the failover scenario)
// keeps its Conn, and so what it has seen, and gets a new stream.
struct Conn {
  explicit Conn(net::io_context& ioc) : strand(net::make_strand(ioc)), ws(std::in_place, strand), timer(strand) {}

  Strand strand;
  std::optional<WsStream> ws;  // replaced, on the strand, when the device reconnects
  net::steady_timer timer;     // the writer (then the recovery) sleeps on it; cancel() wakes it
  int user = -1;               // load user index; -1 for an idle connection
  int node = 0;                // index into the node table: where it connects
  bool sends = false;          // the user's first device of a sending user
  const std::string* token = nullptr;
  std::int64_t heartbeat_ns = 5'000'000'000;
  std::uint32_t next_send = 0;  // index of this sender's next scheduled send
  bool broken = false;          // strand only: the reader has ended
  bool writing = false;         // strand only: the writer coroutine runs
  std::vector<ChatSeen> seen;   // reader only
  std::string out;              // writer only: the frame being written
  // Failover devices only, on the strand (read by main() once the I/O is over).
  bool reconnects = false;
  std::string cursor;  // the newest one received
  bool awaiting_sync = false;
  std::int64_t dropped_ns = 0, back_ns = 0, synced_ns = 0;
};

// A node the bench connects to. Entries are never removed (references stay valid).
struct NodeEndpoint {
  NodeAddress address;
  tcp::endpoint endpoint;
  std::string host_header;
};

// "<sender>-<counter>" -> (sender, counter).
std::optional<std::pair<std::uint32_t, std::uint32_t>> parse_msg_id(std::string_view id) {
  auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::uint32_t s = 0, k = 0;
  auto r1 = std::from_chars(id.data(), id.data() + dash, s);
  auto r2 = std::from_chars(id.data() + dash + 1, id.data() + id.size(), k);
  if (r1.ec != std::errc{} || r1.ptr != id.data() + dash || r2.ec != std::errc{} || r2.ptr != id.data() + id.size()) {
    return std::nullopt;
  }
  return std::make_pair(s, k);
}

std::string_view str_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

std::int64_t int_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return -1;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return -1;
}

// `count` everyday words, as a chat message has them (JSON-safe).
std::string english_words(int count) {
  static constexpr const char* kWords[] = {"the",    "meeting", "is",    "moved", "to",   "tomorrow", "at",
                                           "noon",   "can",     "you",   "send",  "me",   "the",      "new",
                                           "plan",   "before",  "lunch", "and",   "call", "back",     "later",
                                           "thanks", "see",     "you",   "at",    "the",  "office",   "friday"};
  std::string text;
  for (int i = 0; i < count; ++i) {
    if (i > 0) text += ' ';
    text += kWords[static_cast<std::size_t>(i) % std::size(kWords)];
  }
  return text;
}

}  // namespace

struct LoadRunner::Impl {
  Impl(const BenchConfig& c, const BenchPlan& p) : config(c), plan(p) {
    for (const auto& node : plan.nodes) node_of(node);
    for (const auto& chat : plan.chats) {
      int devices = 0;
      for (int m : chat.members) devices += plan.users[static_cast<std::size_t>(m)].devices();
      chat_devices.push_back(devices);
    }
    payload.assign(static_cast<std::size_t>(std::max(1, config.text_bytes)), 'x');
    if (config.text_words > 0) payload = english_words(config.text_words);
    for (std::size_t c = 0; c < plan.chats.size(); ++c) chat_index.emplace(plan.chats[c].chat_id, static_cast<int>(c));
    for (int t = 0; t < std::max(1, config.threads); ++t) threads.emplace_back([this] { ioc.run(); });
  }

  ~Impl() {
    close_all();
    work.reset();
    ioc.stop();
    for (auto& t : threads) t.join();
    conns.clear();  // sockets go before the io_context
  }

  // --- configuration, read-only once the load starts ---
  const BenchConfig& config;
  const BenchPlan& plan;
  std::string payload;
  std::vector<int> chat_devices;   // connections owed each message of a chat
  std::deque<NodeEndpoint> nodes;  // guarded by nodes_mu; [i] matches plan.nodes[i] where that exists
  mutable std::mutex nodes_mu;
  std::unordered_map<std::string, int> chat_index;

  // Schedule: sender s writes send k at load_start + rate_plan.time_of(s, k).
  RatePlan rate_plan;
  std::int64_t total_ns = 0;  // warm-up + duration (or the phases)
  std::int64_t warmup_ns = 0;
  std::int64_t sending_users = 0;           // users that send (the first ones of plan.users)
  std::vector<std::uint32_t> planned;       // sends per sender
  std::vector<std::uint32_t> warmup_sends;  // of which in the warm-up
  std::vector<std::unique_ptr<MsgRecord[]>> records;
  std::atomic<std::int64_t> load_start{0};  // 0: not started; set before the writers are woken
  std::atomic<bool> stopping{false};

  // --- counters, any thread ---
  std::atomic<std::uint64_t> sent{0}, sent_measured{0}, acked{0}, errors{0}, duplicate_acks{0};
  std::atomic<std::uint64_t> expected{0}, delivered{0}, window_deliveries{0};
  std::atomic<std::uint64_t> duplicates{0}, out_of_order{0}, seq_mismatch{0}, extra{0}, unknown{0};
  LatencyHistogram latency, ack_latency, send_lag;
  mutable std::mutex events_mu;
  std::map<std::string, std::uint64_t> error_codes;  // guarded by events_mu
  std::map<std::string, int> close_reasons;          // guarded by events_mu
  int dropped = 0;                                   // guarded by events_mu
  double drain_s = 0;

  // --- overload (--rate-phases only) ---
  std::unique_ptr<SecondStats[]> per_second;  // one per second from load_start, drain included
  std::size_t second_count = 0;
  int warmup_phases = 0;                              // 1 when rate_plan's first phase is the warm-up
  int burst = -1;                                     // index into rate_plan.phases()
  std::int64_t burst_start_ns = 0, burst_end_ns = 0;  // after load_start
  LatencyHistogram before_burst;                      // deliveries between the warm-up and the burst
  std::atomic<std::int64_t> first_overloaded_ns{0};   // the first at or after the burst's start; 0: none

  // --- failover ---
  std::atomic<std::int64_t> kill_ns{0};
  std::atomic<int> recovering{0};  // failover devices that dropped and are not synced again
  std::atomic<std::uint64_t> route_queries{0}, route_failures{0}, route_named_victim{0}, route_avoided{0},
      reconnect_failures{0};
  int victim_devices = 0;
  std::string kill_error;

  // --- connections ---
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ioc.get_executor()};
  std::vector<std::unique_ptr<Conn>> conns;  // grows from main()'s thread only, before coroutines use it
  std::atomic<int> live{0};                  // running reader and writer coroutines
  std::vector<std::thread> threads;

  int recipients(int chat) const { return chat_devices[static_cast<std::size_t>(chat)]; }

  // The node table's index of `address`, resolved and added when new.
  int node_of(const NodeAddress& address) {
    {
      std::lock_guard lock(nodes_mu);
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].address == address) return static_cast<int>(i);
      }
    }
    tcp::endpoint endpoint;
    beast::error_code ec;
    auto ip = net::ip::make_address(address.host, ec);
    if (!ec) {
      endpoint = tcp::endpoint(ip, address.port);
    } else {
      tcp::resolver resolver(ioc);  // a host name: rare (loopback runs use addresses)
      endpoint = *resolver.resolve(address.host, std::to_string(address.port)).begin();
    }
    std::lock_guard lock(nodes_mu);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].address == address) return static_cast<int>(i);
    }
    nodes.push_back(NodeEndpoint{address, endpoint, address.authority()});
    return static_cast<int>(nodes.size()) - 1;
  }
  const NodeEndpoint& node_at(int index) const {
    std::lock_guard lock(nodes_mu);
    return nodes[static_cast<std::size_t>(index)];
  }
  std::size_t node_count() const {
    std::lock_guard lock(nodes_mu);
    return nodes.size();
  }
  int chat_of(std::uint32_t sender, std::uint32_t k) const {
    const auto& chats = plan.users[sender].chats;
    return chats[k % chats.size()];
  }
  // The second of the run `at` falls in; null without --rate-phases.
  SecondStats* second_of(std::int64_t at) {
    if (!per_second) return nullptr;
    const std::int64_t start = load_start.load(std::memory_order_relaxed);
    if (start == 0 || at < start) return nullptr;
    const auto index = static_cast<std::size_t>((at - start) / 1'000'000'000);
    return index < second_count ? &per_second[index] : nullptr;
  }
  MsgRecord* record_of(std::uint32_t sender, std::uint32_t k) const {
    if (sender >= records.size() || !records[sender] || k >= planned[sender]) return nullptr;
    return &records[sender][k];
  }

  void note_drop(const std::string& reason) {
    std::lock_guard lock(events_mu);
    ++dropped;
    ++close_reasons[reason];
  }

  // ------------------------------------------------------------- connecting

  // Connect, upgrade, hello, welcome. On the connection's strand.
  net::awaitable<std::string> handshake(Conn& c) {
    beast::error_code ec;
    const NodeEndpoint& node = node_at(c.node);
    WsStream& ws = *c.ws;
    auto& stream = beast::get_lowest_layer(ws);
    stream.expires_after(std::chrono::seconds(15));
    co_await stream.async_connect(node.endpoint, net::redirect_error(use_awaitable, ec));
    if (ec) co_return "connect: " + ec.message();
    stream.socket().set_option(tcp::no_delay(true), ec);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "parley-bench"); }));
    co_await ws.async_handshake(node.host_header, "/v1/ws", net::redirect_error(use_awaitable, ec));
    if (ec) co_return "upgrade: " + ec.message();
    c.out = std::string(R"({"type":"hello","token":")") + *c.token + "\"";
    if (!c.cursor.empty()) c.out += R"(,"cursor":")" + c.cursor + "\"";
    c.out += "}";
    co_await ws.async_write(net::buffer(c.out), net::redirect_error(use_awaitable, ec));
    if (ec) co_return "hello: " + ec.message();
    beast::flat_buffer buffer;
    co_await ws.async_read(buffer, net::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == websocket::error::closed) co_return "hello: closed " + std::to_string(ws.reason().code);
      co_return "hello: " + ec.message();
    }
    json::error_code jec;
    auto welcome = json::parse(beast::buffers_to_string(buffer.data()), jec);
    const json::object* o = jec ? nullptr : welcome.if_object();
    if (!o || str_at(*o, "type") != "welcome") co_return "hello: answered " + beast::buffers_to_string(buffer.data());
    if (auto ms = int_at(*o, "heartbeat_interval_ms"); ms > 0) c.heartbeat_ns = ms * 1'000'000;
    if (c.reconnects) {
      if (auto cursor = str_at(*o, "cursor"); !cursor.empty()) c.cursor = cursor;
    }
    stream.expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(5);  // also bounds the close handshake
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws.set_option(timeouts);
    co_return std::string{};
  }

  ConnectResult open(std::size_t first, std::size_t count) {
    // Shared with the opener coroutines, which may outlive this call by a moment.
    struct Progress {
      std::atomic<std::size_t> next;
      std::size_t end;
      std::atomic<std::size_t> finished{0};
      std::atomic<int> opened{0}, failed{0};
      std::mutex error_mu;
      std::string first_error;
    };
    auto progress = std::make_shared<Progress>();
    progress->next = first;
    progress->end = first + count;
    auto start = Clock::now();
    const int openers = static_cast<int>(std::min<std::size_t>(count, std::max(1, config.connect_concurrency)));
    for (int o = 0; o < openers; ++o) {
      net::co_spawn(
          net::make_strand(ioc),
          [this, progress]() -> net::awaitable<void> {
            for (std::size_t i = progress->next++; i < progress->end; i = progress->next++) {
              Conn& c = *conns[i];
              // The handshake runs on the connection's own strand.
              std::string error = co_await net::co_spawn(c.strand, handshake(c), use_awaitable);
              if (error.empty()) {
                ++progress->opened;
                start_connection(c);
              } else {
                ++progress->failed;
                std::lock_guard lock(progress->error_mu);
                if (progress->first_error.empty()) progress->first_error = error;
              }
              ++progress->finished;
            }
          },
          net::detached);
    }
    while (progress->finished.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ConnectResult result;
    result.opened = progress->opened;
    result.failed = progress->failed;
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::lock_guard lock(progress->error_mu);
    result.first_error = progress->first_error;
    return result;
  }

  void start_connection(Conn& c) {
    live += 2;
    c.broken = false;
    c.writing = true;
    net::co_spawn(c.strand, reader(c), [this](const std::exception_ptr&) { --live; });
    net::co_spawn(c.strand, writer(c), [this, conn = &c](const std::exception_ptr&) {
      conn->writing = false;
      --live;
    });
  }

  // ---------------------------------------------------------------- writing

  net::awaitable<void> writer(Conn& c) {
    beast::error_code ec;
    bool write_failed = false;
    std::int64_t next_heartbeat = now_ns() + c.heartbeat_ns;
    for (;;) {
      if (stopping.load() || c.broken) break;
      std::int64_t start = load_start.load(std::memory_order_acquire);
      std::int64_t next_send = kNever;
      if (start != 0 && c.sends && c.next_send < planned[static_cast<std::size_t>(c.user)]) {
        next_send = start + rate_plan.time_of(c.user, c.next_send);
      }
      std::int64_t now = now_ns();
      if (next_heartbeat <= now || next_send <= now) {
        if (next_heartbeat <= now) {
          c.out = R"({"type":"heartbeat"})";
          next_heartbeat = std::max(next_heartbeat + c.heartbeat_ns, now);
        } else {
          write_send(c, next_send, now);
        }
        co_await c.ws->async_write(net::buffer(c.out), net::redirect_error(use_awaitable, ec));
        if (ec) {
          write_failed = true;
          break;
        }
        continue;
      }
      c.timer.expires_at(at_ns(std::min(next_heartbeat, next_send)));
      co_await c.timer.async_wait(net::redirect_error(use_awaitable, ec));  // woken early by cancel()
    }
    if (!c.broken && !write_failed) {
      co_await c.ws->async_close(websocket::close_code::normal, net::redirect_error(use_awaitable, ec));
    } else if (write_failed) {
      beast::get_lowest_layer(*c.ws).close();  // let the reader end too
    }
  }

  // Builds the frame of the next send into c.out and records it as sent.
  void write_send(Conn& c, std::int64_t scheduled, std::int64_t now) {
    auto sender = static_cast<std::uint32_t>(c.user);
    std::uint32_t k = c.next_send++;
    int chat = chat_of(sender, k);
    MsgRecord& rec = records[sender][k];
    c.out.clear();
    c.out += R"({"type":"send","chat_id":")";
    c.out += plan.chats[static_cast<std::size_t>(chat)].chat_id;
    c.out += R"(","client_msg_id":")";
    c.out += std::to_string(sender);
    c.out += '-';
    c.out += std::to_string(k);
    c.out += R"(","text":")";
    c.out += payload;
    c.out += "\"}";
    expected += static_cast<std::uint64_t>(recipients(chat));
    rec.sent_ns.store(now, std::memory_order_release);
    ++sent;
    if (SecondStats* second = second_of(now)) ++second->sends;
    if (k >= warmup_sends[sender]) {
      ++sent_measured;
      send_lag.record((now - scheduled) / 1000);
    }
  }

  // ---------------------------------------------------------------- reading

  net::awaitable<void> reader(Conn& c) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (;;) {
      co_await c.ws->async_read(buffer, net::redirect_error(use_awaitable, ec));
      if (ec) break;
      auto data = buffer.data();
      on_frame(c, std::string_view(static_cast<const char*>(data.data()), data.size()));
      buffer.consume(buffer.size());
    }
    c.broken = true;
    c.timer.cancel();
    if (stopping.load()) co_return;
    if (c.reconnects && kill_ns.load() != 0) {
      // The failover: find a live node and resume there.
      c.dropped_ns = now_ns();
      ++recovering;
      ++live;
      net::co_spawn(c.strand, recover(c), [this](const std::exception_ptr&) { --live; });
      co_return;
    }
    std::string reason = ec == websocket::error::closed
                             ? "closed " + std::to_string(c.ws->reason().code) + " " +
                                   std::string(c.ws->reason().reason.data(), c.ws->reason().reason.size())
                             : ec.message();
    note_drop(reason);
  }

  // ------------------------------------------------------------- failover

  // A device that lost its node: waits its jitter, asks GET /v1/route of the
  // nodes it knows (first answer wins) and connects where the route says —
  // unless the route names the node it lost or one it could not reach (the
  // ring holds a dead node until ZooKeeper drops it): then it connects to the
  // node that answered (client::reconnect_target). It resumes with its
  // cursor; when no node answers or no connection opens it retries with
  // backoff.
  net::awaitable<void> recover(Conn& c) {
    beast::error_code ec;
    std::mt19937_64 rng(std::random_device{}());
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto sleep_s = [&](double seconds) -> net::awaitable<void> {
      c.timer.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
      co_await c.timer.async_wait(net::redirect_error(use_awaitable, ec));
    };
    // The writer ends once it sees `broken`; the timer is its until then.
    net::steady_timer poll(c.strand);
    while (c.writing) {
      poll.expires_after(std::chrono::milliseconds(5));
      co_await poll.async_wait(net::redirect_error(use_awaitable, ec));
    }
    std::vector<NodeAddress> unusable{node_at(c.node).address};
    auto mark_unusable = [&](int node) {
      const NodeAddress& address = node_at(node).address;
      if (std::find(unusable.begin(), unusable.end(), address) == unusable.end()) unusable.push_back(address);
    };
    co_await sleep_s(unit(rng) * config.reconnect_jitter_s);
    for (int attempt = 0; !stopping.load(); ++attempt) {
      std::optional<RouteAnswer> route;
      int answered_by = -1;
      const std::size_t known = node_count();
      const auto first = static_cast<std::size_t>(rng() % known);
      for (std::size_t i = 0; i < known && !route && !stopping.load(); ++i) {
        const int index = static_cast<int>((first + i) % known);
        ++route_queries;
        route = co_await ask_route(c, index);
        if (route) {
          answered_by = index;
        } else {
          ++route_failures;
          mark_unusable(index);
        }
      }
      if (route) {
        int target = answered_by;  // a single node: where we asked
        if (route->cluster) {
          const int home = node_of(route->home);
          if (home == plan.victim_node) ++route_named_victim;
          target = node_of(client::reconnect_target(route->home, node_at(answered_by).address, unusable));
          if (target != home) ++route_avoided;
        }
        // The node named first; when it cannot be reached, the one that answered.
        for (int node : {target, answered_by}) {
          c.node = node;
          c.ws.emplace(c.strand);
          const bool resumes = !c.cursor.empty();
          std::string error = co_await handshake(c);
          if (error.empty()) {
            c.back_ns = now_ns();
            c.awaiting_sync = resumes;
            if (!resumes) {
              c.synced_ns = c.back_ns;
              --recovering;
            }
            start_connection(c);
            co_return;
          }
          ++reconnect_failures;
          mark_unusable(node);
          if (node == answered_by || stopping.load()) break;
          ++route_avoided;
        }
      }
      if (stopping.load()) break;
      co_await sleep_s(backoff_seconds(attempt, config.reconnect_backoff_s, config.reconnect_backoff_max_s, unit(rng)));
    }
    --recovering;  // gave up: the run is over
  }

  // GET /v1/route of node `index` with the device's token; nullopt when the
  // node cannot be reached or does not answer a route.
  net::awaitable<std::optional<RouteAnswer>> ask_route(Conn& c, int index) {
    const NodeEndpoint& node = node_at(index);
    beast::error_code ec;
    beast::tcp_stream stream(c.strand);
    stream.expires_after(std::chrono::seconds(3));
    co_await stream.async_connect(node.endpoint, net::redirect_error(use_awaitable, ec));
    if (ec) co_return std::nullopt;
    http::request<http::empty_body> req{http::verb::get, "/v1/route", 11};
    req.set(http::field::host, node.host_header);
    req.set(http::field::authorization, "Bearer " + *c.token);
    req.set(http::field::user_agent, "parley-bench");
    co_await http::async_write(stream, req, net::redirect_error(use_awaitable, ec));
    if (ec) co_return std::nullopt;
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    co_await http::async_read(stream, buffer, res, net::redirect_error(use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    if (ec || res.result_int() != 200) co_return std::nullopt;
    co_return parse_route_answer(res.body());
  }

  void on_frame(Conn& c, std::string_view text) {
    const std::int64_t now = now_ns();
    unsigned char storage[4096];
    json::monotonic_resource arena(storage, sizeof storage);
    json::error_code jec;
    json::value v = json::parse(text, jec, &arena);
    const json::object* o = jec ? nullptr : v.if_object();
    if (!o) {
      ++unknown;
      return;
    }
    std::string_view type = str_at(*o, "type");
    if (c.reconnects) {
      if (auto cursor = str_at(*o, "cursor"); !cursor.empty()) c.cursor = cursor;
      if (type == "synced" && c.awaiting_sync) {
        c.awaiting_sync = false;
        c.synced_ns = now;
        --recovering;
      }
    }
    if (type == "message") {
      on_message(c, *o, now);
    } else if (type == "ack") {
      on_ack(*o, now);
    } else if (type == "error") {
      on_error(*o, now);
    }
    // presence, receipt, typing, chat: not measured.
  }

  void check_seq(MsgRecord& rec, std::int64_t seq) {
    std::int64_t expected_seq = 0;
    if (!rec.seq.compare_exchange_strong(expected_seq, seq) && expected_seq != seq) ++seq_mismatch;
  }

  void on_message(Conn& c, const json::object& o, std::int64_t now) {
    auto chat_it = chat_index.find(std::string(str_at(o, "chat_id")));
    auto id = parse_msg_id(str_at(o, "client_msg_id"));
    std::int64_t seq = int_at(o, "seq");
    MsgRecord* rec = id ? record_of(id->first, id->second) : nullptr;
    if (chat_it == chat_index.end() || !rec || seq <= 0) {
      ++unknown;
      return;
    }
    const int chat = chat_it->second;
    auto seen = std::find_if(c.seen.begin(), c.seen.end(), [&](const ChatSeen& s) { return s.chat == chat; });
    if (seen == c.seen.end()) {
      ++unknown;  // a chat this user is not in
      return;
    }
    auto index = static_cast<std::size_t>(seq);
    if (index >= seen->seqs.size()) seen->seqs.resize(std::max(index + 1, seen->seqs.size() * 2));
    if (seen->seqs[index]) {
      ++duplicates;
      return;
    }
    seen->seqs[index] = true;
    if (seq < seen->last) ++out_of_order;
    seen->last = std::max(seen->last, seq);
    check_seq(*rec, seq);
    if (rec->deliveries.fetch_add(1) + 1 > static_cast<std::uint32_t>(recipients(chat))) {
      ++extra;
      return;
    }
    ++delivered;
    std::int64_t start = load_start.load(std::memory_order_relaxed);
    if (now >= start + warmup_ns && now < start + total_ns) ++window_deliveries;
    std::int64_t sent_at = rec->sent_ns.load(std::memory_order_acquire);
    if (sent_at != 0 && id->second >= warmup_sends[id->first]) latency.record((now - sent_at) / 1000);
    if (SecondStats* second = second_of(now); second && sent_at != 0) {
      ++second->deliveries;
      second->latency.record((now - sent_at) / 1000);
      if (now >= start + warmup_ns && now < start + burst_start_ns) before_burst.record((now - sent_at) / 1000);
    }
  }

  void on_ack(const json::object& o, std::int64_t now) {
    auto id = parse_msg_id(str_at(o, "client_msg_id"));
    MsgRecord* rec = id ? record_of(id->first, id->second) : nullptr;
    if (!rec) {
      ++unknown;
      return;
    }
    std::int64_t before = 0;
    if (!rec->acked_ns.compare_exchange_strong(before, now)) {
      ++duplicate_acks;
      return;
    }
    ++acked;
    if (SecondStats* second = second_of(now)) ++second->acks;
    if (auto seq = int_at(o, "seq"); seq > 0) check_seq(*rec, seq);
    std::int64_t sent_at = rec->sent_ns.load(std::memory_order_acquire);
    if (sent_at != 0 && id->second >= warmup_sends[id->first]) ack_latency.record((now - sent_at) / 1000);
  }

  void on_error(const json::object& o, std::int64_t now) {
    ++errors;
    const std::string_view code = str_at(o, "code");
    {
      std::lock_guard lock(events_mu);
      ++error_codes[std::string(code)];
    }
    if (SecondStats* second = second_of(now)) {
      if (code == "overloaded") {
        ++second->overloaded;
        note_first_overloaded(now);
      } else {
        ++second->other_errors;
      }
    }
    auto id = parse_msg_id(str_at(o, "ref"));
    MsgRecord* rec = id ? record_of(id->first, id->second) : nullptr;
    if (rec && !rec->errored.exchange(true)) {
      expected -= static_cast<std::uint64_t>(recipients(chat_of(id->first, id->second)));
    }
  }

  // ----------------------------------------------------------- phases

  void wake_writers() {
    for (auto& c : conns) net::post(c->strand, [conn = c.get()] { conn->timer.cancel(); });
  }

  // The phases as run: one at --rate for warm-up + duration, or the warm-up
  // at the first phase's rate followed by --rate-phases.
  std::vector<RatePhase> phases_to_run() {
    if (config.rate_phases.empty()) return {RatePhase{config.rate, config.warmup_s + config.duration_s}};
    std::vector<RatePhase> phases;
    if (config.warmup_s > 0) {
      phases.push_back(RatePhase{config.rate_phases.front().rate, config.warmup_s});
      warmup_phases = 1;
    }
    phases.insert(phases.end(), config.rate_phases.begin(), config.rate_phases.end());
    return phases;
  }

  void plan_schedule() {
    const auto senders = plan.users.size();
    planned.assign(senders, 0);
    warmup_sends.assign(senders, 0);
    records.resize(senders);
    sending_users = std::count_if(plan.users.begin(), plan.users.end(), [](const BenchUser& u) { return u.sends; });
    rate_plan = RatePlan(phases_to_run(), sending_users);
    warmup_ns = static_cast<std::int64_t>(config.warmup_s * 1e9);
    total_ns = rate_plan.total_ns();
    if (!config.rate_phases.empty()) plan_seconds();
    if (sending_users == 0) return;
    for (std::uint32_t s = 0; s < senders; ++s) {
      if (plan.users[s].chats.empty() || !plan.users[s].sends) continue;
      planned[s] = rate_plan.sends_before(s, total_ns);
      warmup_sends[s] = rate_plan.sends_before(s, warmup_ns);
      records[s] = std::make_unique<MsgRecord[]>(planned[s]);
    }
  }

  // --rate-phases: the burst and one SecondStats per second, drain included.
  void plan_seconds() {
    burst = burst_phase(rate_plan.phases(), static_cast<std::size_t>(warmup_phases));
    if (burst >= 0) {
      burst_start_ns = rate_plan.phase_start_ns(static_cast<std::size_t>(burst));
      burst_end_ns = rate_plan.phase_start_ns(static_cast<std::size_t>(burst) + 1);
    }
    second_count = static_cast<std::size_t>(std::ceil(static_cast<double>(total_ns) / 1e9 + config.drain_max_s)) + 2;
    per_second = std::make_unique<SecondStats[]>(second_count);
  }

  void note_first_overloaded(std::int64_t now) {
    if (burst < 0 || now < load_start.load(std::memory_order_relaxed) + burst_start_ns) return;
    std::int64_t seen = first_overloaded_ns.load();
    while ((seen == 0 || now < seen) && !first_overloaded_ns.compare_exchange_weak(seen, now)) {
    }
  }

  // After close_all(): the per-second table and the overload figures.
  OverloadReport overload_report() const {
    OverloadReport o;
    o.phases = rate_plan.phases();
    o.warmup_phases = warmup_phases;
    o.burst = burst;
    o.burst_start_s = static_cast<double>(burst_start_ns) / 1e9;
    o.burst_end_s = static_cast<double>(burst_end_ns) / 1e9;
    o.load_end_s = static_cast<double>(total_ns) / 1e9;
    o.recovery_factor = config.recovery_factor;
    if (before_burst.count() > 0) o.baseline_p99_ms = before_burst.quantile(0.99) / 1000;
    if (const std::int64_t first = first_overloaded_ns.load(); first != 0) {
      o.first_overloaded_s = static_cast<double>(first - load_start.load() - burst_start_ns) / 1e9;
    }
    std::size_t used = 0;  // seconds up to the last one with any activity
    for (std::size_t i = 0; i < second_count; ++i) {
      const SecondStats& s = per_second[i];
      if (s.sends + s.acks + s.overloaded + s.other_errors + s.deliveries > 0) used = i + 1;
    }
    const auto& phases = rate_plan.phases();
    for (std::size_t i = 0; i < used; ++i) {
      const SecondStats& s = per_second[i];
      SecondRow row;
      row.second = static_cast<int>(i);
      row.phase = -1;
      const auto at = static_cast<std::int64_t>(i) * 1'000'000'000;
      for (std::size_t p = 0; p < phases.size(); ++p) {
        if (at >= rate_plan.phase_start_ns(p) && at < rate_plan.phase_start_ns(p + 1)) {
          row.phase = static_cast<int>(p);
          row.rate = phases[p].rate;
        }
      }
      row.sends = s.sends;
      row.acks = s.acks;
      row.overloaded = s.overloaded;
      row.other_errors = s.other_errors;
      row.deliveries = s.deliveries;
      row.p50_ms = s.latency.quantile(0.50) / 1000;
      row.p99_ms = s.latency.quantile(0.99) / 1000;
      o.overloaded += s.overloaded;
      o.seconds.push_back(row);
    }
    if (o.burst >= 0 && o.baseline_p99_ms > 0) {
      o.recovered_s = seconds_to_recover(o.seconds, o.burst_end_s, o.load_end_s, o.recovery_factor * o.baseline_p99_ms);
    }
    // Refused sends are owed to nobody; acked ones to every device of the chat.
    for (std::size_t s = 0; s < records.size(); ++s) {
      for (std::uint32_t k = 0; k < planned[s]; ++k) {
        const MsgRecord& rec = records[s][k];
        if (rec.sent_ns.load() == 0) continue;
        const bool acked_send = rec.acked_ns.load() != 0;
        const std::uint32_t got = rec.deliveries.load();
        if (rec.errored.load() && got > 0) ++o.refused_delivered;
        if (rec.errored.load() && acked_send) ++o.acked_and_refused;
        const auto owed = static_cast<std::uint32_t>(recipients(chat_of(static_cast<std::uint32_t>(s), k)));
        if (acked_send && got < owed) o.acked_undelivered += owed - got;
      }
    }
    return o;
  }

  // After close_all(): the failover devices' times and the curve.
  FailoverReport failover_report() const {
    FailoverReport f;
    f.victim = config.failover_node.authority();
    f.victim_pid = config.failover_kill_pid;
    f.kill_after_s = config.failover_after_s;
    f.jitter_s = config.reconnect_jitter_s;
    f.kill_error = kill_ns.load() == 0 ? "the load ended before --failover-after" : kill_error;
    f.devices = victim_devices;
    f.route_queries = route_queries;
    f.route_failures = route_failures;
    f.route_named_victim = route_named_victim;
    f.route_avoided = route_avoided;
    f.connect_failures = reconnect_failures;
    std::vector<std::int64_t> dropped, back, synced;
    for (const auto& c : conns) {
      if (!c->reconnects) continue;
      dropped.push_back(c->dropped_ns);
      back.push_back(c->back_ns);
      synced.push_back(c->synced_ns);
      if (c->dropped_ns != 0) ++f.dropped;
      if (c->back_ns != 0) {
        ++f.back;
        ++f.back_on[node_at(c->node).address.authority()];
      }
      if (c->synced_ns != 0) ++f.synced;
    }
    const std::int64_t kill = kill_ns.load();
    f.first_drop_s = seconds_after(kill, dropped, 0);
    f.back_p50_s = seconds_after(kill, back, 0.5);
    f.last_back_s = seconds_after(kill, back, 1);
    f.last_synced_s = seconds_after(kill, synced, 1);
    f.curve = reconnect_curve(kill, back, synced);
    return f;
  }

  // SIGKILL of the victim node; every device connected to it will notice.
  void kill_victim() {
    for (const auto& c : conns) {
      if (c->reconnects && c->node == plan.victim_node) ++victim_devices;
    }
    kill_ns.store(now_ns());
    if (::kill(config.failover_kill_pid, SIGKILL) != 0) kill_error = std::strerror(errno);
  }

  void close_all() {
    if (stopping.exchange(true)) return;
    wake_writers();
    auto deadline = Clock::now() + std::chrono::seconds(8);
    while (live.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (live.load() > 0) {
      // Close handshakes that hang: drop the sockets.
      for (auto& c : conns) {
        net::post(c->strand, [conn = c.get()] {
          beast::error_code ec;
          if (conn->ws) beast::get_lowest_layer(*conn->ws).socket().close(ec);
        });
      }
      deadline = Clock::now() + std::chrono::seconds(2);
      while (live.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
};

LoadRunner::LoadRunner(const BenchConfig& config, const BenchPlan& plan)
    : impl_(std::make_unique<Impl>(config, plan)) {}

LoadRunner::~LoadRunner() = default;

ConnectResult LoadRunner::open_load_connections() {
  Impl& m = *impl_;
  m.plan_schedule();
  std::size_t first = m.conns.size();
  for (std::size_t u = 0; u < m.plan.users.size(); ++u) {
    const BenchUser& user = m.plan.users[u];
    for (int d = 0; d < user.devices(); ++d) {
      auto c = std::make_unique<Conn>(m.ioc);
      c->user = static_cast<int>(u);
      c->node = user.node;
      c->sends = d == 0 && user.sends;
      c->reconnects = m.config.failover() && !user.sends;
      c->token = d == 0 ? &user.token : &user.extra_tokens[static_cast<std::size_t>(d - 1)];
      for (int chat : user.chats) c->seen.push_back(ChatSeen{chat, std::vector<bool>(64), 0});
      m.conns.push_back(std::move(c));
    }
  }
  return m.open(first, m.conns.size() - first);
}

ConnectResult LoadRunner::open_idle_connections(int count) {
  Impl& m = *impl_;
  if (count <= 0 || m.plan.idle_devices.empty()) return {};
  std::size_t first = m.conns.size();
  for (int i = 0; i < count; ++i) {
    auto c = std::make_unique<Conn>(m.ioc);
    c->token = &m.plan.idle_devices[static_cast<std::size_t>(i) % m.plan.idle_devices.size()].token;
    m.conns.push_back(std::move(c));
  }
  return m.open(first, static_cast<std::size_t>(count));
}

void LoadRunner::run_load(const std::function<void()>& at_window_start, const std::function<void()>& at_window_end) {
  Impl& m = *impl_;
  // Start a little later so that every writer is awake before its first send.
  std::int64_t start = now_ns() + 200'000'000;
  m.load_start.store(start, std::memory_order_release);
  m.wake_writers();
  // The window's edges and the kill, in time order.
  std::vector<std::pair<std::int64_t, std::function<void()>>> events;
  events.emplace_back(start + m.warmup_ns, at_window_start);
  events.emplace_back(start + m.total_ns, at_window_end);
  if (m.config.failover()) {
    events.emplace_back(start + static_cast<std::int64_t>(m.config.failover_after_s * 1e9), [&m] { m.kill_victim(); });
  }
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [at, event] : events) {
    std::this_thread::sleep_until(at_ns(at));
    event();
  }
  // Drain: wait while acks and deliveries keep coming; give up after
  // drain_s without progress, or after drain_max_s in all.
  auto drain_start = Clock::now();
  auto to_duration = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  auto last_progress = drain_start;
  std::uint64_t last_seen = 0;
  while (Clock::now() - drain_start < to_duration(m.config.drain_max_s)) {
    std::uint64_t answered = m.acked.load() + m.errors.load();
    std::uint64_t delivered = m.delivered.load();
    const int recovering = m.recovering.load();
    if (answered >= m.sent.load() && delivered >= m.expected.load() && recovering == 0) break;
    if (answered + delivered != last_seen || recovering > 0) {
      // Devices still on their way back (jitter, backoff) count as progress.
      last_seen = answered + delivered;
      last_progress = Clock::now();
    } else if (Clock::now() - last_progress >= to_duration(m.config.drain_s)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  m.drain_s = std::chrono::duration<double>(Clock::now() - drain_start).count();
}

void LoadRunner::hold(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

void LoadRunner::close_all() {
  impl_->close_all();
}

void LoadRunner::fill_report(BenchReport& r) const {
  const Impl& m = *impl_;
  r.sent = m.sent;
  r.sent_measured = m.sent_measured;
  r.send_rate = m.config.duration_s > 0 ? static_cast<double>(r.sent_measured) / m.config.duration_s : 0;
  r.acked = m.acked;
  r.errors = m.errors;
  for (std::size_t s = 0; s < m.records.size(); ++s) {
    for (std::uint32_t k = 0; k < m.planned[s]; ++k) {
      const MsgRecord& rec = m.records[s][k];
      if (rec.sent_ns.load() == 0) continue;
      if (rec.acked_ns.load() == 0 && !rec.errored.load()) ++r.unanswered;
    }
  }
  r.expected = m.expected;
  r.delivered = m.delivered;
  r.lost = r.expected > r.delivered ? r.expected - r.delivered : 0;
  r.duplicates = m.duplicates;
  r.out_of_order = m.out_of_order;
  r.seq_mismatch = m.seq_mismatch;
  r.extra = m.extra;
  r.unknown = m.unknown;
  r.drain_s = m.drain_s;
  r.delivered_per_s = m.config.duration_s > 0 ? static_cast<double>(m.window_deliveries) / m.config.duration_s : 0;
  r.latency = LatencySummary::of(m.latency);
  r.ack_latency = LatencySummary::of(m.ack_latency);
  r.send_lag = LatencySummary::of(m.send_lag);
  std::lock_guard lock(m.events_mu);
  r.error_codes = m.error_codes;
  if (m.duplicate_acks > 0) r.error_codes["(duplicate acks)"] = m.duplicate_acks;
  r.connections_dropped = m.dropped;
  r.close_reasons = m.close_reasons;
  if (m.config.route || m.config.failover()) {
    for (const auto& user : m.plan.users) {
      const std::string node = m.node_at(user.node).address.authority();
      ++r.users_per_node[node];
      r.connections_per_node[node] += user.devices();
    }
  }
  if (m.config.failover()) r.failover = m.failover_report();
  if (m.per_second) r.overload = m.overload_report();
}

}  // namespace parley::bench
