#pragma once
// RedisEventBus: the cluster's DeviceBus. Events travel between nodes over
// Redis pub/sub (docs/cluster.md, "The path of a message across nodes"):
// each event is published on the channel of every user it is for
// (`u:<user>`), each committed batch's notice on its shard's channel
// (`s:<shard>`), all on one Redis connection so Redis keeps their order.
// A node subscribes to the channels of the users connected to it and to
// every shard; it holds a shard's messages until their notice arrives and
// releases them in offset order (ShardOrder), filling holes — a lost notice,
// a Redis reconnect, too much held — from the store. The store is the truth,
// pub/sub only carries.
//
// Threads: every public method may be called from any thread. Received
// events are handled on the subscriber's I/O thread, repairs on a repair
// thread of the bus's own (store reads and head reads block there, never on
// an I/O thread). Connections are called through DeviceConnection::push,
// outside every lock; one shard's messages are handed over by one thread at
// a time, in offset order. has_connected_device() and connected_users() may block for
// `presence_query_timeout` (a Redis round trip).
//
// Life: start() (reads the shard heads; throws on failure, it runs at
// start-up) -> use -> stop() (or the destructor): no callback after it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bus/device_bus.h"
#include "bus/local/local_event_bus.h"
#include "bus/redis/envelope.h"
#include "bus/redis/shard_order.h"
#include "redis/redis_config.h"

namespace parley::redis {
class RedisClient;
class RedisSubscriber;
}  // namespace parley::redis

namespace parley {

struct RedisEventBusConfig {
  redis::RedisConfig redis;
  // The log's shard count (the shard map of the configuration); fixed.
  ShardId shard_count = 1;
  // Put before every channel name, so that clusters sharing one Redis never
  // hear each other (pub/sub channels ignore SELECT).
  std::string channel_prefix;
  // Per shard: how long a hole may stay open, how much may be held.
  bus::ShardOrderLimits order;
  // How often every shard's committed head is read (0: never). A batch whose
  // node could not publish it at all (its Redis connection was down) leaves no
  // trace in pub/sub; on a shard that then goes quiet only the head shows it.
  std::chrono::milliseconds head_poll_interval{1000};
  // Messages read from the store per repair read.
  std::size_t repair_page = 1'000;
  // has_connected_device() and connected_users() ask Redis (PUBSUB NUMSUB)
  // for at most this long.
  std::chrono::milliseconds presence_query_timeout{200};
};

// What the bus reads from elsewhere when pub/sub was not enough. Called on
// the repair thread only (and committed_head also in start()); may block.
struct RedisEventBusSources {
  // Messages of `shard` with after < offset <= up_to, in offset order, at most `limit`
  // (MessageLog::read_log).
  std::function<Result<std::vector<Message>>(ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit)>
      read_log;
  // The members of a chat as stored, to deliver a message read from the store (a repair).
  std::function<Result<std::vector<UserId>>(const ChatId& chat)> members_of;
  // The shard's committed head: every offset at or below it is durable.
  std::function<Result<LogOffset>(ShardId shard)> committed_head;
  // Another node changed a chat's members or a user's devices: reload or
  // forget the cached copy (ChatDirectory::refresh,
  // Accounts::user_changed_elsewhere). Optional.
  std::function<void(const ChatId& chat)> chat_changed;
  std::function<void(const UserId& user)> user_changed;
};

class RedisEventBus final : public DeviceBus {
 public:
  struct Stats {
    std::uint64_t malformed = 0;   // payloads from Redis that did not decode, dropped
    std::uint64_t duplicates = 0;  // messages dropped because delivered or held already
    std::uint64_t repairs = 0;     // ranges read from the store
    std::uint64_t repaired_messages = 0;
    std::uint64_t repair_failures = 0;   // store or member reads that failed (retried)
    std::uint64_t publish_failures = 0;  // publishes Redis did not take (repaired by the receivers)
  };

  RedisEventBus(RedisEventBusConfig config, RedisEventBusSources sources);
  ~RedisEventBus() override;
  RedisEventBus(const RedisEventBus&) = delete;
  RedisEventBus& operator=(const RedisEventBus&) = delete;

  // Reads every shard's head (this node begins there), connects to Redis,
  // subscribes every shard channel. Throws std::runtime_error when a head
  // cannot be read.
  void start();
  // Stops receiving, repairing and publishing. Idempotent.
  void stop();

  // DeviceBus. attach subscribes the user's channel (reference-counted per
  // connection), detach drops that reference.
  void attach(const std::shared_ptr<DeviceConnection>& connection) override;
  void detach(const DeviceConnection& connection) override;
  // Here and, through the user's channel, on every other node.
  void close_device(const UserId& user, const DeviceId& device) override;
  // Once Redis has confirmed the user's channel (attach subscribes it).
  bool wait_until_live(const UserId& user, std::chrono::milliseconds timeout) override;
  std::size_t connection_count() const override { return local_.connection_count(); }
  std::vector<std::shared_ptr<DeviceConnection>> connections() const override { return local_.connections(); }
  void set_courier(FrameCourier* courier) override { local_.set_courier(courier); }

  // EventSink. Message events go to this node's ordering buffer and to
  // Redis; the others to the local connections at once and to Redis.
  void deliver(std::span<const UserId> users, const EventPtr& event,
               const std::optional<DeviceId>& except = std::nullopt) override;
  void deliver_to_device(const UserId& user, const DeviceId& device, const EventPtr& event) override;
  // True when a device of the user is connected here or the user's channel
  // has a subscriber on any node (PUBSUB NUMSUB). When Redis does not answer
  // in time: false (a push too many beats a push lost).
  bool has_connected_device(const UserId& user) override;
  // One PUBSUB NUMSUB round trip for every user not connected here.
  std::vector<bool> connected_users(std::span<const UserId> users) override;
  // After the batch's messages were delivered: publishes the notice on
  // s:<shard> and releases them here. Called by the commit thread.
  void batch_committed(ShardId shard, LogOffset first, LogOffset last) override;
  // Published on the `stale` channel every node subscribes to.
  void chat_changed(const ChatId& chat) override;
  void user_changed(const UserId& user) override;

  Stats stats() const;
  // Both Redis connections up (for /healthz).
  bool connected() const;
  // Per shard, the offset up to which this node has delivered (for tests and /healthz).
  LogPosition delivered() const;

 private:
  struct ShardSlot;

  void on_redis_message(std::string_view channel, std::string_view payload);
  void on_resubscribed();
  void hold(ShardId shard, const Message& message, const std::vector<bus::Recipient>& recipients);
  void notice(ShardId shard, LogOffset first, LogOffset last);
  void publish(const std::string& channel, const std::string& payload);
  // With `lock` held: moves what the shard released to its outbox and, unless
  // another thread is at it, delivers the outbox (the lock released meanwhile).
  void flush(ShardSlot& slot, std::unique_lock<std::mutex>& lock);
  void deliver_locally(const bus::HeldMessage& held);
  void repair_loop();
  // Reads every shard's head: `force` repairs up to it at once (after a
  // reconnect), otherwise only what has not arrived after the wait.
  void read_heads(bool force);
  void repair(ShardSlot& slot, const bus::RepairRange& range);
  ShardSlot* slot_of(ShardId shard);
  std::string user_channel(const UserId& user) const;
  std::string shard_channel(ShardId shard) const;
  std::string stale_channel() const;

  const RedisEventBusConfig config_;
  const RedisEventBusSources sources_;
  const std::uint64_t origin_;  // this instance's id in envelopes
  LocalEventBus local_;
  std::vector<std::unique_ptr<ShardSlot>> shards_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<redis::RedisSubscriber> subscriber_;

  std::mutex repair_mutex_;
  std::condition_variable repair_wake_;
  bool stopping_ = false;
  bool resync_requested_ = false;
  std::vector<bus::StaleEnvelope> stale_;  // heard, not yet handed to the sources
  std::thread repair_thread_;
  std::atomic<bool> started_{false};

  std::atomic<std::uint64_t> malformed_{0};
  std::atomic<std::uint64_t> repairs_{0};
  std::atomic<std::uint64_t> repaired_messages_{0};
  std::atomic<std::uint64_t> repair_failures_{0};
  std::atomic<std::uint64_t> publish_failures_{0};
};

}  // namespace parley
