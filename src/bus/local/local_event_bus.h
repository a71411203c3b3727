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

#include "bus/device_bus.h"

namespace parley {

class LocalEventBus final : public DeviceBus {
 public:
  void attach(const std::shared_ptr<DeviceConnection>& connection) override;
  void detach(const DeviceConnection& connection) override;
  void close_device(const UserId& user, const DeviceId& device) override;
  std::size_t connection_count() const override { return connections_.load(std::memory_order_relaxed); }
  std::vector<std::shared_ptr<DeviceConnection>> connections() const override;
  void set_courier(FrameCourier* courier) override { courier_.store(courier, std::memory_order_release); }

  void deliver(std::span<const UserId> users, const EventPtr& event,
               const std::optional<DeviceId>& except = std::nullopt) override;
  void deliver_to_device(const UserId& user, const DeviceId& device, const EventPtr& event) override;
  bool has_connected_device(const UserId& user) override;
  // Looks each distinct recipient up once: its live connections both answer
  // whether it is connected and are the ones the event is handed to.
  std::unique_ptr<PreparedFanOut> prepare_fan_out(std::vector<FanOutItem> items) override;

  // Hands a frame encoded elsewhere (by a bus that carries events between
  // nodes) to the user's connections here: all of them, only the device
  // `only`, or all but `except`.
  // `message_ts`: the commit timestamp of a message frame (0 for other
  // frames), for the delivery metrics.
  void deliver_frame(const UserId& user, const OutboundFrame& frame, const std::optional<DeviceId>& only,
                     const std::optional<DeviceId>& except, TimeMs message_ts = 0);

 private:
  class LocalFanOut;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<UserId, std::vector<std::weak_ptr<DeviceConnection>>> by_user;
  };
  Shard& shard(const UserId& user);
  // `devices` got a message frame committed at `ts`.
  static void note_delivered(TimeMs ts, std::size_t devices);
  // Live connections of the user, copied out under the shard lock.
  void collect(const UserId& user, std::vector<std::shared_ptr<DeviceConnection>>& out);
  // Queues `frame` to every one of `targets`.
  void hand_over(std::vector<std::shared_ptr<DeviceConnection>>&& targets, const OutboundFrame& frame);
  // Encodes `event` once for all of `targets` (none: nothing) and hands it
  // over; a message counts as delivered to each of them.
  void hand_over_event(std::vector<std::shared_ptr<DeviceConnection>>&& targets, const Event& event);

  std::array<Shard, 64> shards_;
  std::atomic<std::size_t> connections_{0};
  std::atomic<FrameCourier*> courier_{nullptr};
};

}  // namespace parley
