#include "redis/redis_subscriber.h"

#include <spdlog/spdlog.h>

#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "redis/io_thread.h"
#include "redis/redis_reply.h"

namespace parley::redis {
namespace {

// Channels per SUBSCRIBE/UNSUBSCRIBE command: one command for a burst, yet
// no single command grows without bound when a node resubscribes its users.
constexpr std::size_t kChannelsPerCommand = 1000;

}  // namespace

struct RedisSubscriber::Impl final : RedisLink::Listener {
  Impl(RedisConfig c, MessageHandler m, std::function<void()> r)
      : config(std::move(c)),
        on_message(std::move(m)),
        on_resubscribed(std::move(r)),
        io("redis subscriber"),
        link(io.context(), config, "redis subscriber", *this),
        ping_timer(io.context()) {}

  // On the I/O thread from here on.
  void add(std::string channel) {
    if (refs[channel]++ > 0) return;
    to_subscribe.push_back(std::move(channel));
    schedule_flush();
  }

  void remove(std::string channel) {
    const auto it = refs.find(channel);
    if (it == refs.end()) return;
    if (--it->second > 0) return;
    refs.erase(it);
    live.erase(channel);
    waiters.erase(channel);
    to_unsubscribe.push_back(std::move(channel));
    schedule_flush();
  }

  void wait_for(std::string channel, std::function<void()> confirmed) {
    if (live.contains(channel)) {
      confirmed();
    } else if (refs.contains(channel)) {
      waiters[std::move(channel)].push_back(std::move(confirmed));
    }
  }

  void confirm(const std::string& channel) {
    if (!refs.contains(channel)) return;  // a late answer for a channel dropped since
    live.insert(channel);
    const auto it = waiters.find(channel);
    if (it == waiters.end()) return;
    auto callbacks = std::move(it->second);
    waiters.erase(it);
    for (auto& callback : callbacks) callback();
  }

  // Lets the calls already posted join the same command.
  void schedule_flush() {
    if (flush_scheduled) return;
    flush_scheduled = true;
    asio::post(io.context(), [this] { flush(); });
  }

  void flush() {
    flush_scheduled = false;
    std::vector<std::string> subscribe;
    std::vector<std::string> unsubscribe;
    subscribe.swap(to_subscribe);
    unsubscribe.swap(to_unsubscribe);
    // While down, the reconnection subscribes whatever is wanted then.
    if (!link.up()) return;
    // Only the wanted state counts: a channel dropped and taken again (or the
    // reverse) within one turn is sent once, for what it is now.
    std::erase_if(subscribe, [&](const std::string& c) { return !refs.contains(c); });
    std::erase_if(unsubscribe, [&](const std::string& c) { return refs.contains(c); });
    send("SUBSCRIBE", subscribe);
    send("UNSUBSCRIBE", unsubscribe);
  }

  void send(std::string_view verb, const std::vector<std::string>& channels) {
    for (std::size_t i = 0; i < channels.size(); i += kChannelsPerCommand) {
      std::vector<std::string_view> args{verb};
      for (std::size_t j = i; j < channels.size() && j < i + kChannelsPerCommand; ++j) args.emplace_back(channels[j]);
      link.send(format_command(args));
    }
  }

  void on_link_up() override {
    to_subscribe.clear();
    to_unsubscribe.clear();
    awaiting.clear();
    std::vector<std::string> all;
    all.reserve(refs.size());
    for (const auto& [channel, count] : refs) {
      all.push_back(channel);
      awaiting.insert(channel);
    }
    send("SUBSCRIBE", all);
    ping_outstanding = false;
    arm_ping();
    if (awaiting.empty()) resubscribed();
  }

  void resubscribed() {
    confirmed.store(true, std::memory_order_relaxed);
    if (on_resubscribed) on_resubscribed();
  }

  void on_link_reply(RedisReply reply) override {
    // With no channel subscribed yet, Redis answers PING as to any client.
    if (reply.type == RedisReply::Type::status && reply.str == "PONG") {
      ping_outstanding = false;
      return;
    }
    if (reply.type != RedisReply::Type::array || reply.elements.empty() ||
        reply.elements[0].type != RedisReply::Type::string) {
      link.reset("unexpected reply in pub/sub mode: " + to_string(reply));
      return;
    }
    const std::string& kind = reply.elements[0].str;
    if (kind == "message" && reply.elements.size() == 3 && reply.elements[1].type == RedisReply::Type::string &&
        reply.elements[2].type == RedisReply::Type::string) {
      const std::string& channel = reply.elements[1].str;
      // A message may still arrive just after the last unsubscribe().
      if (refs.contains(channel) && on_message) on_message(channel, reply.elements[2].str);
    } else if (kind == "subscribe" && reply.elements.size() == 3 &&
               reply.elements[1].type == RedisReply::Type::string) {
      confirm(reply.elements[1].str);
      if (awaiting.erase(reply.elements[1].str) > 0 && awaiting.empty()) resubscribed();
    } else if (kind == "unsubscribe" && reply.elements.size() == 3 &&
               reply.elements[1].type == RedisReply::Type::string) {
      // Taken again meanwhile: its SUBSCRIBE follows and confirms it anew.
      live.erase(reply.elements[1].str);
    } else if (kind == "pong") {
      ping_outstanding = false;
    } else {
      link.reset("unexpected reply in pub/sub mode: " + to_string(reply));
    }
  }

  void on_link_down(const std::string&) override {
    confirmed.store(false, std::memory_order_relaxed);
    awaiting.clear();
    live.clear();
    ping_timer.cancel();
  }

  // A Redis that stops answering (stopped, or a dead peer whose FIN never
  // came) is noticed by an unanswered PING.
  void arm_ping() {
    ping_timer.expires_after(config.ping_interval);
    ping_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || !link.up()) return;
      if (ping_outstanding) {
        link.reset("no answer to PING within " + std::to_string(config.ping_interval.count()) + " ms");
        return;
      }
      ping_outstanding = true;
      link.send(format_command({"PING"}));
      arm_ping();
    });
  }

  RedisConfig config;
  MessageHandler on_message;
  std::function<void()> on_resubscribed;
  IoThread io;
  RedisLink link;
  asio::steady_timer ping_timer;
  bool ping_outstanding = false;
  std::unordered_map<std::string, std::size_t> refs;  // wanted channels and their references
  std::vector<std::string> to_subscribe;
  std::vector<std::string> to_unsubscribe;
  bool flush_scheduled = false;
  std::unordered_set<std::string> awaiting;  // channels resubscribed on connect, not yet confirmed
  std::unordered_set<std::string> live;      // confirmed on the current connection
  std::unordered_map<std::string, std::vector<std::function<void()>>> waiters;  // by channel not yet live
  std::atomic<bool> confirmed{false};
};

RedisSubscriber::RedisSubscriber(RedisConfig config, MessageHandler on_message, std::function<void()> on_resubscribed)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(on_message), std::move(on_resubscribed))) {}

RedisSubscriber::~RedisSubscriber() {
  stop();
}

void RedisSubscriber::start() {
  impl_->io.start();
  impl_->io.post([impl = impl_.get()] { impl->link.start(); });
}

void RedisSubscriber::stop() {
  impl_->io.stop([impl = impl_.get()] {
    impl->ping_timer.cancel();
    impl->link.stop();
  });
}

void RedisSubscriber::subscribe(std::string channel) {
  impl_->io.post([impl = impl_.get(), channel = std::move(channel)]() mutable { impl->add(std::move(channel)); });
}

void RedisSubscriber::unsubscribe(std::string channel) {
  impl_->io.post([impl = impl_.get(), channel = std::move(channel)]() mutable { impl->remove(std::move(channel)); });
}

void RedisSubscriber::when_confirmed(std::string channel, std::function<void()> confirmed) {
  impl_->io.post([impl = impl_.get(), channel = std::move(channel), confirmed = std::move(confirmed)]() mutable {
    impl->wait_for(std::move(channel), std::move(confirmed));
  });
}

bool RedisSubscriber::connected() const {
  return impl_->confirmed.load(std::memory_order_relaxed);
}

}  // namespace parley::redis
