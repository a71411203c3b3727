// The only translation unit of parley-bench that instantiates a Beast
// WebSocket stream (each one costs ~45 s of compile time).
#include "ws_load.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

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
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

namespace parley::bench {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
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

// What one connection saw of one chat: every seq, to find duplicates.
struct ChatSeen {
  int chat = -1;
  std::vector<bool> seqs;
  std::int64_t last = 0;
};

struct Conn {
  explicit Conn(net::io_context& ioc) : ws(net::make_strand(ioc)), timer(ws.get_executor()) {}

  websocket::stream<beast::tcp_stream> ws;
  net::steady_timer timer;  // the writer sleeps on it; cancel() wakes it
  int user = -1;            // load user index; -1 for an idle connection
  const std::string* token = nullptr;
  std::int64_t heartbeat_ns = 5'000'000'000;
  std::uint32_t next_send = 0;  // index of this sender's next scheduled send
  bool broken = false;          // strand only: the reader has ended
  std::vector<ChatSeen> seen;   // reader only
  std::string out;              // writer only: the frame being written
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

}  // namespace

struct LoadRunner::Impl {
  Impl(const BenchConfig& c, const BenchPlan& p) : config(c), plan(p) {
    tcp::resolver resolver(ioc);
    endpoint = *resolver.resolve(config.host, std::to_string(config.port)).begin();
    host_header = config.host + ":" + std::to_string(config.port);
    payload.assign(static_cast<std::size_t>(std::max(1, config.text_bytes)), 'x');
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
  tcp::endpoint endpoint;
  std::string host_header;
  std::string payload;
  std::unordered_map<std::string, int> chat_index;

  // Schedule: sender s writes send k at load_start + phase(s) + k * period.
  std::int64_t period_ns = 0;
  std::int64_t total_ns = 0;  // warm-up + duration
  std::int64_t warmup_ns = 0;
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

  // --- connections ---
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ioc.get_executor()};
  std::vector<std::unique_ptr<Conn>> conns;  // grows from main()'s thread only, before coroutines use it
  std::atomic<int> live{0};                  // running reader and writer coroutines
  std::vector<std::thread> threads;

  int recipients(int chat) const { return static_cast<int>(plan.chats[static_cast<std::size_t>(chat)].members.size()); }
  int chat_of(std::uint32_t sender, std::uint32_t k) const {
    const auto& chats = plan.users[sender].chats;
    return chats[k % chats.size()];
  }
  std::int64_t offset_of(std::uint32_t sender, std::uint32_t k) const {
    auto senders = static_cast<std::int64_t>(plan.users.size());
    return period_ns * static_cast<std::int64_t>(sender) / senders + period_ns * static_cast<std::int64_t>(k);
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
    auto& stream = beast::get_lowest_layer(c.ws);
    stream.expires_after(std::chrono::seconds(15));
    co_await stream.async_connect(endpoint, net::redirect_error(use_awaitable, ec));
    if (ec) co_return "connect: " + ec.message();
    stream.socket().set_option(tcp::no_delay(true), ec);
    c.ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "parley-bench"); }));
    co_await c.ws.async_handshake(host_header, "/v1/ws", net::redirect_error(use_awaitable, ec));
    if (ec) co_return "upgrade: " + ec.message();
    c.out = std::string(R"({"type":"hello","token":")") + *c.token + "\"}";
    co_await c.ws.async_write(net::buffer(c.out), net::redirect_error(use_awaitable, ec));
    if (ec) co_return "hello: " + ec.message();
    beast::flat_buffer buffer;
    co_await c.ws.async_read(buffer, net::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == websocket::error::closed) co_return "hello: closed " + std::to_string(c.ws.reason().code);
      co_return "hello: " + ec.message();
    }
    json::error_code jec;
    auto welcome = json::parse(beast::buffers_to_string(buffer.data()), jec);
    const json::object* o = jec ? nullptr : welcome.if_object();
    if (!o || str_at(*o, "type") != "welcome") co_return "hello: answered " + beast::buffers_to_string(buffer.data());
    if (auto ms = int_at(*o, "heartbeat_interval_ms"); ms > 0) c.heartbeat_ns = ms * 1'000'000;
    stream.expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(5);  // also bounds the close handshake
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    c.ws.set_option(timeouts);
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
              std::string error = co_await net::co_spawn(c.ws.get_executor(), handshake(c), use_awaitable);
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
    net::co_spawn(c.ws.get_executor(), reader(c), [this](std::exception_ptr) { --live; });
    net::co_spawn(c.ws.get_executor(), writer(c), [this](std::exception_ptr) { --live; });
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
      if (start != 0 && c.user >= 0 && c.next_send < planned[static_cast<std::size_t>(c.user)]) {
        next_send = start + offset_of(static_cast<std::uint32_t>(c.user), c.next_send);
      }
      std::int64_t now = now_ns();
      if (next_heartbeat <= now || next_send <= now) {
        if (next_heartbeat <= now) {
          c.out = R"({"type":"heartbeat"})";
          next_heartbeat = std::max(next_heartbeat + c.heartbeat_ns, now);
        } else {
          write_send(c, next_send, now);
        }
        co_await c.ws.async_write(net::buffer(c.out), net::redirect_error(use_awaitable, ec));
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
      co_await c.ws.async_close(websocket::close_code::normal, net::redirect_error(use_awaitable, ec));
    } else if (write_failed) {
      beast::get_lowest_layer(c.ws).close();  // let the reader end too
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
      co_await c.ws.async_read(buffer, net::redirect_error(use_awaitable, ec));
      if (ec) break;
      auto data = buffer.data();
      on_frame(c, std::string_view(static_cast<const char*>(data.data()), data.size()));
      buffer.consume(buffer.size());
    }
    c.broken = true;
    c.timer.cancel();
    if (!stopping.load()) {
      std::string reason = ec == websocket::error::closed
                               ? "closed " + std::to_string(c.ws.reason().code) + " " +
                                     std::string(c.ws.reason().reason.data(), c.ws.reason().reason.size())
                               : ec.message();
      note_drop(reason);
    }
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
    if (type == "message") {
      on_message(c, *o, now);
    } else if (type == "ack") {
      on_ack(*o, now);
    } else if (type == "error") {
      on_error(*o);
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
    if (auto seq = int_at(o, "seq"); seq > 0) check_seq(*rec, seq);
    std::int64_t sent_at = rec->sent_ns.load(std::memory_order_acquire);
    if (sent_at != 0 && id->second >= warmup_sends[id->first]) ack_latency.record((now - sent_at) / 1000);
  }

  void on_error(const json::object& o) {
    ++errors;
    {
      std::lock_guard lock(events_mu);
      ++error_codes[std::string(str_at(o, "code"))];
    }
    auto id = parse_msg_id(str_at(o, "ref"));
    MsgRecord* rec = id ? record_of(id->first, id->second) : nullptr;
    if (rec && !rec->errored.exchange(true)) {
      expected -= static_cast<std::uint64_t>(recipients(chat_of(id->first, id->second)));
    }
  }

  // ----------------------------------------------------------- phases

  void wake_writers() {
    for (auto& c : conns) net::post(c->ws.get_executor(), [conn = c.get()] { conn->timer.cancel(); });
  }

  void plan_schedule() {
    const auto senders = plan.users.size();
    warmup_ns = static_cast<std::int64_t>(config.warmup_s * 1e9);
    total_ns = warmup_ns + static_cast<std::int64_t>(config.duration_s * 1e9);
    planned.assign(senders, 0);
    warmup_sends.assign(senders, 0);
    records.resize(senders);
    if (config.rate <= 0 || senders == 0) return;
    period_ns = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(senders) * 1e9 / config.rate));
    for (std::uint32_t s = 0; s < senders; ++s) {
      if (plan.users[s].chats.empty()) continue;
      std::int64_t phase = offset_of(s, 0);
      auto count = [&](std::int64_t horizon) -> std::uint32_t {
        return horizon <= phase ? 0 : static_cast<std::uint32_t>((horizon - phase + period_ns - 1) / period_ns);
      };
      planned[s] = count(total_ns);
      warmup_sends[s] = count(warmup_ns);
      records[s] = std::make_unique<MsgRecord[]>(planned[s]);
    }
  }

  void close_all() {
    if (stopping.exchange(true)) return;
    wake_writers();
    auto deadline = Clock::now() + std::chrono::seconds(8);
    while (live.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (live.load() > 0) {
      // Close handshakes that hang: drop the sockets.
      for (auto& c : conns) {
        net::post(c->ws.get_executor(), [conn = c.get()] {
          beast::error_code ec;
          beast::get_lowest_layer(conn->ws).socket().close(ec);
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
    auto c = std::make_unique<Conn>(m.ioc);
    c->user = static_cast<int>(u);
    c->token = &m.plan.users[u].token;
    for (int chat : m.plan.users[u].chats) c->seen.push_back(ChatSeen{chat, std::vector<bool>(64), 0});
    m.conns.push_back(std::move(c));
  }
  return m.open(first, m.plan.users.size());
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
  std::this_thread::sleep_until(at_ns(start + m.warmup_ns));
  at_window_start();
  std::this_thread::sleep_until(at_ns(start + m.total_ns));
  at_window_end();
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
    if (answered >= m.sent.load() && delivered >= m.expected.load()) break;
    if (answered + delivered != last_seen) {
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
}

}  // namespace parley::bench
