#include "redis/redis_client.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <utility>

#include "redis/io_thread.h"

namespace parley::redis {
namespace {

using Clock = std::chrono::steady_clock;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Commands after which Redis sends replies nobody asked for: they would break
// the in-order matching of replies to commands.
bool is_subscribe_mode_command(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "monitor"};
  return std::any_of(kNames.begin(), kNames.end(), [&](std::string_view n) { return equals_ignoring_case(n, name); });
}

}  // namespace

struct RedisClient::Impl final : RedisLink::Listener {
  struct InFlight {
    Callback done;
    std::size_t bytes;
    Clock::time_point deadline;
  };

  explicit Impl(RedisConfig c)
      : config(std::move(c)),
        io("redis client"),
        link(io.context(), config, "redis client", *this),
        timer(io.context()) {}

  // On the I/O thread from here on.
  void enqueue(const std::string& bytes, Callback done) {
    if (!link.up()) {
      done(make_error(ErrorCode::unavailable, "redis is not connected (" + address() + ")"));
      return;
    }
    if (in_flight.size() >= config.max_pending_commands ||
        bytes.size() > config.max_pending_bytes - std::min(in_flight_bytes, config.max_pending_bytes)) {
      done(make_error(ErrorCode::overloaded, "too many redis commands in flight"));
      return;
    }
    in_flight_bytes += bytes.size();
    in_flight.push_back(InFlight{std::move(done), bytes.size(), Clock::now() + config.command_timeout});
    link.send(bytes);
    arm_timer();
  }

  // The oldest command has the earliest deadline (one timeout for all), so one
  // timer on it covers them all.
  void arm_timer() {
    if (timer_armed || in_flight.empty()) return;
    timer_armed = true;
    timer.expires_at(in_flight.front().deadline);
    timer.async_wait([this](boost::system::error_code ec) {
      timer_armed = false;
      if (ec || in_flight.empty()) return;
      if (in_flight.front().deadline <= Clock::now()) {
        link.reset("a command was not answered within " + std::to_string(config.command_timeout.count()) + " ms");
        return;
      }
      arm_timer();
    });
  }

  void fail_all(const std::string& why) {
    // Callbacks may send new commands: take the list out first.
    std::deque<InFlight> failed;
    failed.swap(in_flight);
    in_flight_bytes = 0;
    for (auto& c : failed) c.done(make_error(ErrorCode::unavailable, why));
  }

  void on_link_up() override { connected.store(true, std::memory_order_relaxed); }

  void on_link_reply(RedisReply reply) override {
    if (in_flight.empty()) {
      link.reset("a reply to no command");
      return;
    }
    InFlight c = std::move(in_flight.front());
    in_flight.pop_front();
    in_flight_bytes -= c.bytes;
    c.done(std::move(reply));
  }

  void on_link_down(const std::string& why) override {
    connected.store(false, std::memory_order_relaxed);
    fail_all("redis connection lost (" + address() + "): " + why);
  }

  std::string address() const { return config.host + ":" + std::to_string(config.port); }

  RedisConfig config;
  IoThread io;
  RedisLink link;
  asio::steady_timer timer;
  bool timer_armed = false;
  std::deque<InFlight> in_flight;
  std::size_t in_flight_bytes = 0;
  std::atomic<bool> connected{false};
};

RedisClient::RedisClient(RedisConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

RedisClient::~RedisClient() {
  stop();
}

void RedisClient::start() {
  impl_->io.start();
  impl_->io.post([impl = impl_.get()] { impl->link.start(); });
}

void RedisClient::stop() {
  impl_->io.stop([impl = impl_.get()] {
    impl->timer.cancel();
    impl->link.stop();
    impl->fail_all("redis client stopped");
  });
}

void RedisClient::command(const std::vector<std::string_view>& args, Callback done) {
  std::optional<Error> refused;
  std::string bytes;
  if (args.empty()) {
    refused = make_error(ErrorCode::invalid_request, "empty redis command");
  } else if (is_subscribe_mode_command(args.front())) {
    refused = make_error(ErrorCode::invalid_request, "subscribe-mode commands go through RedisSubscriber");
  } else {
    bytes = format_command(args);
  }
  // The callback must survive a refused post, so it is shared with the task.
  auto shared = std::make_shared<Callback>(std::move(done));
  const bool posted = impl_->io.post([impl = impl_.get(), shared, refused, bytes = std::move(bytes)] {
    if (refused) return (*shared)(*refused);
    impl->enqueue(bytes, std::move(*shared));
  });
  if (!posted) (*shared)(make_error(ErrorCode::unavailable, "redis client stopped"));
}

void RedisClient::publish(std::string_view channel, std::string_view payload,
                          std::function<void(Result<long long>)> done) {
  command({"PUBLISH", channel, payload}, [done = std::move(done)](Result<RedisReply> reply) {
    if (!reply) return done(reply.error());
    if (reply->type != RedisReply::Type::integer) {
      return done(make_error(ErrorCode::internal, "PUBLISH answered " + to_string(*reply)));
    }
    done(reply->integer);
  });
}

bool RedisClient::connected() const {
  return impl_->connected.load(std::memory_order_relaxed);
}

}  // namespace parley::redis
