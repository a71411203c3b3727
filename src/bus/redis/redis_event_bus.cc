#include "bus/redis/redis_event_bus.h"

#include <future>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "bus/redis/envelope.h"
#include "protocol/frames.h"
#include "redis/redis_client.h"
#include "redis/redis_subscriber.h"

namespace parley {
namespace {

using SteadyClock = std::chrono::steady_clock;
using bus::Recipient;

std::uint64_t random_origin() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace

struct RedisEventBus::ShardSlot {
  ShardSlot(ShardId shard, LogOffset head, bus::ShardOrderLimits limits) : order(shard, head, limits) {}
  std::mutex mutex;
  bus::ShardOrder order;
  std::deque<bus::HeldMessage> outbox;  // released, not yet handed to the connections
  bool draining = false;                // a thread is handing the outbox over
};

RedisEventBus::RedisEventBus(RedisEventBusConfig config, RedisEventBusSources sources)
    : config_(std::move(config)), sources_(std::move(sources)), origin_(random_origin()) {
  if (config_.shard_count == 0) throw std::invalid_argument("RedisEventBus: shard_count must be at least 1");
  client_ = std::make_unique<redis::RedisClient>(config_.redis);
  subscriber_ = std::make_unique<redis::RedisSubscriber>(
      config_.redis, [this](std::string_view channel, std::string_view payload) { on_redis_message(channel, payload); },
      [this] { on_resubscribed(); });
}

RedisEventBus::~RedisEventBus() {
  stop();
}

void RedisEventBus::start() {
  for (ShardId shard = 0; shard < config_.shard_count; ++shard) {
    auto head = sources_.committed_head(shard);
    if (!head) {
      throw std::runtime_error("RedisEventBus: cannot read the head of shard " + std::to_string(shard) + ": " +
                               head.error().message);
    }
    shards_.push_back(std::make_unique<ShardSlot>(shard, *head, config_.order));
  }
  started_ = true;
  client_->start();
  subscriber_->start();
  for (ShardId shard = 0; shard < config_.shard_count; ++shard) subscriber_->subscribe(shard_channel(shard));
  subscriber_->subscribe(stale_channel());
  repair_thread_ = std::thread([this] { repair_loop(); });
}

void RedisEventBus::stop() {
  subscriber_->stop();  // first: nothing arrives any more
  {
    std::lock_guard lock(repair_mutex_);
    stopping_ = true;
  }
  repair_wake_.notify_all();
  if (repair_thread_.joinable()) repair_thread_.join();
  client_->stop();
}

std::string RedisEventBus::user_channel(const UserId& user) const {
  return config_.channel_prefix + bus::user_channel(user);
}

std::string RedisEventBus::shard_channel(ShardId shard) const {
  return config_.channel_prefix + bus::shard_channel(shard);
}

std::string RedisEventBus::stale_channel() const {
  return config_.channel_prefix + bus::kStaleChannel;
}

RedisEventBus::ShardSlot* RedisEventBus::slot_of(ShardId shard) {
  return started_ && shard < shards_.size() ? shards_[shard].get() : nullptr;
}

// ---- Connections ----------------------------------------------------------------

void RedisEventBus::attach(const std::shared_ptr<DeviceConnection>& connection) {
  local_.attach(connection);
  subscriber_->subscribe(user_channel(connection->user_id()));
}

void RedisEventBus::detach(const DeviceConnection& connection) {
  local_.detach(connection);
  subscriber_->unsubscribe(user_channel(connection.user_id()));
}

void RedisEventBus::close_device(const UserId& user, const DeviceId& device) {
  // A logout is made on one node; the device may be connected to another.
  local_.close_device(user, device);
  publish(user_channel(user), bus::encode({origin_, bus::CloseDeviceEnvelope{device}}));
}

bool RedisEventBus::wait_until_live(const UserId& user, std::chrono::milliseconds timeout) {
  // Redis is away: say so at once rather than hold a pool thread per hello.
  if (!subscriber_->connected()) return false;
  auto confirmed = std::make_shared<std::promise<void>>();
  auto future = confirmed->get_future();
  subscriber_->when_confirmed(user_channel(user), [confirmed] { confirmed->set_value(); });
  return future.wait_for(timeout) == std::future_status::ready;
}

// ---- Outgoing -------------------------------------------------------------------

void RedisEventBus::chat_changed(const ChatId& chat) {
  publish(stale_channel(), bus::encode({origin_, bus::StaleEnvelope{bus::StaleRecord::chat, chat}}));
}

void RedisEventBus::user_changed(const UserId& user) {
  publish(stale_channel(), bus::encode({origin_, bus::StaleEnvelope{bus::StaleRecord::user, user}}));
}

void RedisEventBus::deliver(std::span<const UserId> users, const EventPtr& event,
                            const std::optional<DeviceId>& except) {
  if (users.empty()) return;
  const auto* m = std::get_if<MessageEvent>(&*event);
  if (m != nullptr && m->message.offset != 0 && m->message.shard < config_.shard_count) {
    const bus::DeviceTarget target{std::nullopt, except};
    // Only the members connected here: the others are served by their own
    // nodes, and the held copy stays small. A member who connects later gets
    // the message from the resume, which reads the head after attaching.
    std::vector<Recipient> recipients;
    for (const auto& user : users) {
      if (local_.has_connected_device(user)) recipients.push_back(Recipient{user, target});
    }
    if (!recipients.empty()) hold(m->message.shard, m->message, recipients);
    const std::string payload = bus::encode({origin_, bus::MessageEnvelope{m->message, target}});
    for (const auto& user : users) publish(user_channel(user), payload);
    return;
  }
  if (m != nullptr) {
    // Not committed, or a shard this bus was not configured with (the shard
    // map and --shard count disagree): no order can be given across nodes.
    // Its own node's users still get it; the others resume from the store.
    spdlog::error("RedisEventBus: message at shard {} offset {} is not published (shard count {})", m->message.shard,
                  m->message.offset, config_.shard_count);
    local_.deliver(users, event, except);
    return;
  }
  OutboundFrame frame = encode_frame(*event);
  for (const auto& user : users) local_.deliver_frame(user, frame, std::nullopt, except);
  const std::string payload = bus::encode({origin_, bus::FrameEnvelope{*frame.text, {std::nullopt, except}}});
  for (const auto& user : users) publish(user_channel(user), payload);
}

void RedisEventBus::deliver_to_device(const UserId& user, const DeviceId& device, const EventPtr& event) {
  OutboundFrame frame = encode_frame(*event);
  local_.deliver_frame(user, frame, device, std::nullopt);
  // Only presence uses it. Messages travel by deliver(), which orders them; one
  // sent here stays on this node.
  if (std::holds_alternative<MessageEvent>(*event)) return;
  publish(user_channel(user), bus::encode({origin_, bus::FrameEnvelope{*frame.text, {device, std::nullopt}}}));
}

void RedisEventBus::batch_committed(ShardId shard, LogOffset first, LogOffset last) {
  if (shard >= config_.shard_count || first == 0 || last < first) return;
  notice(shard, first, last);
  publish(shard_channel(shard), bus::encode({origin_, bus::NoticeEnvelope{shard, first, last}}));
}

void RedisEventBus::publish(const std::string& channel, const std::string& payload) {
  client_->publish(channel, payload, [this](const Result<long long>& receivers) {
    if (!receivers) publish_failures_.fetch_add(1, std::memory_order_relaxed);
  });
}

bool RedisEventBus::has_connected_device(const UserId& user) {
  return connected_users(std::span<const UserId>(&user, 1)).front();
}

std::vector<bool> RedisEventBus::connected_users(std::span<const UserId> users) {
  std::vector<bool> out(users.size(), false);
  // Users connected here need no question; everyone else is asked about in
  // ONE command: PUBSUB NUMSUB u:a u:b ... answers [u:a, n, u:b, n, ...].
  std::vector<std::size_t> elsewhere;
  std::vector<std::string> channels;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (local_.has_connected_device(users[i])) {
      out[i] = true;
    } else {
      elsewhere.push_back(i);
      channels.push_back(user_channel(users[i]));
    }
  }
  if (elsewhere.empty()) return out;
  std::vector<std::string_view> command{"PUBSUB", "NUMSUB"};
  command.insert(command.end(), channels.begin(), channels.end());
  auto answer = std::make_shared<std::promise<std::vector<bool>>>();
  auto future = answer->get_future();
  const std::size_t asked = elsewhere.size();
  client_->command(command, [answer, asked](const Result<redis::RedisReply>& reply) {
    std::vector<bool> subscribed(asked, false);
    using Type = redis::RedisReply::Type;
    if (reply && reply->type == Type::array && reply->elements.size() == 2 * asked) {
      for (std::size_t k = 0; k < asked; ++k) {
        const auto& count = reply->elements[2 * k + 1];
        subscribed[k] = count.type == Type::integer && count.integer > 0;
      }
    }
    answer->set_value(std::move(subscribed));
  });
  // No answer in time: taken as not connected (a push too many, never one too few).
  if (future.wait_for(config_.presence_query_timeout) != std::future_status::ready) return out;
  const std::vector<bool> subscribed = future.get();
  for (std::size_t k = 0; k < asked; ++k) out[elsewhere[k]] = subscribed[k];
  return out;
}

// ---- Incoming -------------------------------------------------------------------

void RedisEventBus::on_redis_message(std::string_view channel, std::string_view payload) {
  auto envelope = bus::decode(payload);
  if (!envelope) {
    malformed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (envelope->origin == origin_) return;  // ours: handled here when it was published
  if (!channel.starts_with(config_.channel_prefix)) {
    malformed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  channel.remove_prefix(config_.channel_prefix.size());
  if (channel.starts_with("u:")) {
    const UserId user(channel.substr(2));
    if (auto* m = std::get_if<bus::MessageEnvelope>(&envelope->body)) {
      if (m->message.shard < config_.shard_count) {
        hold(m->message.shard, m->message, {Recipient{user, m->target}});
        return;
      }
    } else if (auto* f = std::get_if<bus::FrameEnvelope>(&envelope->body)) {
      OutboundFrame frame;
      frame.text = std::make_shared<const std::string>(std::move(f->text));
      local_.deliver_frame(user, frame, f->target.only, f->target.except);
      return;
    } else if (const auto* c = std::get_if<bus::CloseDeviceEnvelope>(&envelope->body)) {
      local_.close_device(user, c->device);
      return;
    }
  } else if (auto* st = std::get_if<bus::StaleEnvelope>(&envelope->body)) {
    if (channel == bus::kStaleChannel) {  // prefix removed above
      // Reloading reads the store: on the repair thread, never here.
      {
        std::lock_guard lock(repair_mutex_);
        stale_.push_back(std::move(*st));
      }
      repair_wake_.notify_all();
      return;
    }
  } else if (const auto* n = std::get_if<bus::NoticeEnvelope>(&envelope->body)) {
    if (n->shard < config_.shard_count && channel == bus::shard_channel(n->shard)) {
      notice(n->shard, n->first, n->last);
      return;
    }
  }
  malformed_.fetch_add(1, std::memory_order_relaxed);  // well-formed, but not on the channel it belongs to
}

void RedisEventBus::on_resubscribed() {
  {
    std::lock_guard lock(repair_mutex_);
    resync_requested_ = true;
  }
  repair_wake_.notify_all();
}

void RedisEventBus::hold(ShardId shard, const Message& message, const std::vector<Recipient>& recipients) {
  ShardSlot* slot = slot_of(shard);
  if (slot == nullptr) return;
  std::unique_lock lock(slot->mutex);
  slot->order.hold(message, recipients, SteadyClock::now());
  flush(*slot, lock);
}

void RedisEventBus::notice(ShardId shard, LogOffset first, LogOffset last) {
  ShardSlot* slot = slot_of(shard);
  if (slot == nullptr) return;
  std::unique_lock lock(slot->mutex);
  slot->order.notice(first, last, SteadyClock::now());
  flush(*slot, lock);
}

void RedisEventBus::flush(ShardSlot& slot, std::unique_lock<std::mutex>& lock) {
  for (auto& held : slot.order.take_ready()) slot.outbox.push_back(std::move(held));
  if (slot.draining) return;  // that thread hands over what we added, in order
  slot.draining = true;
  while (!slot.outbox.empty()) {
    auto batch = std::exchange(slot.outbox, {});
    lock.unlock();
    for (const auto& held : batch) deliver_locally(held);
    lock.lock();
  }
  slot.draining = false;
}

void RedisEventBus::deliver_locally(const bus::HeldMessage& held) {
  bool anyone = false;
  for (const auto& r : held.recipients) anyone = anyone || local_.has_connected_device(r.user);
  if (!anyone) return;
  const OutboundFrame frame = encode_frame(Event{MessageEvent{held.message}});  // once for every recipient
  for (const auto& r : held.recipients) {
    // A repaired message has the chat's members as recipients: one withheld
    // from them still reaches its sender only.
    if (!visible_to(held.message, r.user)) continue;
    local_.deliver_frame(r.user, frame, r.target.only, r.target.except, held.message.ts);
  }
}

// ---- Repair ---------------------------------------------------------------------

void RedisEventBus::repair_loop() {
  const auto poll = std::max(std::chrono::milliseconds(5), config_.order.gap_wait / 4);
  auto last_head_poll = SteadyClock::now();
  std::unique_lock lock(repair_mutex_);
  while (!stopping_) {
    repair_wake_.wait_for(lock, poll, [&] { return stopping_ || resync_requested_ || !stale_.empty(); });
    if (stopping_) break;
    const bool resync = std::exchange(resync_requested_, false);
    auto stale = std::exchange(stale_, {});
    lock.unlock();
    for (const auto& record : stale) {
      if (record.what == bus::StaleRecord::chat && sources_.chat_changed) sources_.chat_changed(record.id);
      if (record.what == bus::StaleRecord::user && sources_.user_changed) sources_.user_changed(record.id);
    }
    const auto now = SteadyClock::now();
    const bool poll_due = config_.head_poll_interval.count() > 0 && now - last_head_poll >= config_.head_poll_interval;
    if (resync || poll_due) {
      last_head_poll = now;
      read_heads(resync);
    }
    for (auto& slot : shards_) {
      std::unique_lock shard_lock(slot->mutex);
      auto range = slot->order.start_repair(SteadyClock::now());
      shard_lock.unlock();
      if (range) repair(*slot, *range);
    }
    lock.lock();
  }
}

void RedisEventBus::read_heads(bool force) {
  for (ShardId shard = 0; shard < shards_.size(); ++shard) {
    auto head = sources_.committed_head(shard);  // store I/O: no lock held
    if (!head) {
      // Unknown head: whatever is missing shows as a hole at the next notice,
      // and the next reconnect asks again.
      repair_failures_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    std::lock_guard lock(shards_[shard]->mutex);
    if (force) {
      shards_[shard]->order.force_repair_to(*head);
    } else {
      shards_[shard]->order.learn_head(*head, SteadyClock::now());
    }
  }
}

void RedisEventBus::repair(ShardSlot& slot, const bus::RepairRange& range) {
  repairs_.fetch_add(1, std::memory_order_relaxed);
  LogOffset reached = range.after;
  bool failed = false;
  while (reached < range.up_to && !failed) {
    auto page = sources_.read_log(range.shard, reached, range.up_to, config_.repair_page);
    if (!page) {
      failed = true;
      break;
    }
    std::vector<bus::HeldMessage> out;
    std::unordered_map<ChatId, std::vector<Recipient>> recipients_of;
    // A short page means the store has nothing more in the range.
    LogOffset page_reached = page->size() < config_.repair_page ? range.up_to : reached;
    for (auto& message : *page) {
      if (message.offset <= reached || message.offset > range.up_to) continue;
      auto known = recipients_of.find(message.chat_id);
      if (known == recipients_of.end()) {
        auto members = sources_.members_of(message.chat_id);
        if (!members) {
          failed = true;
          page_reached = out.empty() ? reached : out.back().message.offset;
          break;
        }
        std::vector<Recipient> local;
        for (auto& user : *members) {
          if (local_.has_connected_device(user)) local.push_back(Recipient{std::move(user), {}});
        }
        known = recipients_of.emplace(message.chat_id, std::move(local)).first;
      }
      message.shard = range.shard;
      if (page->size() >= config_.repair_page) page_reached = message.offset;
      if (!known->second.empty()) out.push_back(bus::HeldMessage{std::move(message), known->second});
    }
    repaired_messages_.fetch_add(out.size(), std::memory_order_relaxed);
    std::unique_lock lock(slot.mutex);
    for (auto& held : out) slot.outbox.push_back(std::move(held));
    flush(slot, lock);
    if (page_reached <= reached) break;  // no progress: try again after the wait
    reached = page_reached;
  }
  if (failed) repair_failures_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(slot.mutex);
  slot.order.finish_repair(reached, SteadyClock::now());
  flush(slot, lock);
}

// ---- Observation ----------------------------------------------------------------

RedisEventBus::Stats RedisEventBus::stats() const {
  Stats s;
  s.malformed = malformed_.load(std::memory_order_relaxed);
  s.repairs = repairs_.load(std::memory_order_relaxed);
  s.repaired_messages = repaired_messages_.load(std::memory_order_relaxed);
  s.repair_failures = repair_failures_.load(std::memory_order_relaxed);
  s.publish_failures = publish_failures_.load(std::memory_order_relaxed);
  for (const auto& slot : shards_) {
    std::lock_guard lock(slot->mutex);
    s.duplicates += slot->order.duplicates();
  }
  return s;
}

bool RedisEventBus::connected() const {
  return client_->connected() && subscriber_->connected();
}

LogPosition RedisEventBus::delivered() const {
  std::vector<LogOffset> offsets;
  for (const auto& slot : shards_) {
    std::lock_guard lock(slot->mutex);
    offsets.push_back(slot->order.delivered());
  }
  return LogPosition(std::move(offsets));
}

}  // namespace parley
