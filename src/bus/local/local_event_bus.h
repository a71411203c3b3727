#pragma once
// LocalEventBus: the single-node EventSink. Keeps which devices are
// connected to this process and hands each event to them, encoded once and
// shared by every recipient. The cluster mode swaps in a Redis-backed bus.
// Thread-safe: the registry is sharded by user, and connections are called
// outside the shard locks.

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ports.h"

namespace parley {

// One encoded frame, shared by every connection it goes to.
struct OutboundFrame {
  // The frame, shared by every recipient; for a message, all but the end of its cursor.
  std::shared_ptr<const std::string> text;
  // A message's place in the log; offset 0 for frames that are not messages.
  ShardId shard = 0;
  LogOffset offset = 0;
  // A message frame's end, the connection's own cursor (protocol::encode_message_frame_end),
  // added by the connection as it queues the frame.
  std::string end;
};

// A device connected to this process, as the bus sees it.
class DeviceConnection {
 public:
  virtual ~DeviceConnection() = default;
  virtual const UserId& user_id() const = 0;
  virtual const DeviceId& device_id() const = 0;
  // Queues a frame. Any thread; never blocks.
  virtual void push(const OutboundFrame& frame) = 0;
  // Ends the connection (its device logged out). Any thread.
  virtual void close_for_logout() = 0;
};

OutboundFrame encode_frame(const Event& event);

class LocalEventBus final : public EventSink {
 public:
  void attach(const std::shared_ptr<DeviceConnection>& connection);
  void detach(const DeviceConnection& connection);
  // Closes every connection of that device.
  void close_device(const UserId& user, const DeviceId& device);
  std::size_t connection_count() const { return connections_.load(std::memory_order_relaxed); }

  void deliver(std::span<const UserId> users, const EventPtr& event,
               const std::optional<DeviceId>& except = std::nullopt) override;
  void deliver_to_device(const UserId& user, const DeviceId& device, const EventPtr& event) override;
  bool has_connected_device(const UserId& user) override;

 private:
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, std::vector<std::weak_ptr<DeviceConnection>>> by_user;
  };
  Shard& shard(const UserId& user);
  // Live connections of the user, copied out under the shard lock.
  void collect(const UserId& user, std::vector<std::shared_ptr<DeviceConnection>>& out);

  std::array<Shard, 64> shards_;
  std::atomic<std::size_t> connections_{0};
};

}  // namespace parley
