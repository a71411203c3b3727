#pragma once
// DeviceBus: what the network layer needs from an event bus — a place to
// attach the devices connected to this process — on top of the core's
// EventSink. LocalEventBus (bus/local) is the single node's; RedisEventBus
// (bus/redis) carries events between cluster nodes. Net depends on this
// interface only, so the wiring chooses the bus at start-up.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
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
  // Asks the device to reconnect to `url` (this node is leaving the
  // cluster); the device closes the connection itself. Any thread.
  virtual void ask_to_move(const std::string& url) = 0;
  // The courier's loop this connection lives on (see FrameCourier).
  virtual std::size_t loop() const { return 0; }
  // Queues a frame like push(), from a job running on the connection's loop.
  virtual void push_on_loop(const OutboundFrame& frame) { push(frame); }
};

// Hands frames to connections in few jobs. The network layer's courier runs
// each connection on one of a few loops (strands of its I/O threads) and
// gives every loop one job per event for all of that loop's connections,
// instead of one job per connection. A connection's frames keep their order:
// push() and the courier's jobs reach it through the same loop.
class FrameCourier {
 public:
  virtual ~FrameCourier() = default;
  // Queues `frame` to each of `targets` (live connections); takes them.
  virtual void carry(std::vector<std::shared_ptr<DeviceConnection>>&& targets, const OutboundFrame& frame) = 0;
};

// Encodes an event once for all of its recipients.
OutboundFrame encode_frame(const Event& event);

// Thread-safe: every method may be called from any thread and never blocks
// on a device (a bus may briefly block on its own engine where it says so).
class DeviceBus : public EventSink {
 public:
  // From now on the connection receives the events of its user (and device).
  // The bus keeps a weak reference; detach before the connection dies.
  virtual void attach(const std::shared_ptr<DeviceConnection>& connection) = 0;
  virtual void detach(const DeviceConnection& connection) = 0;
  // Closes every connection of that device connected to this process.
  virtual void close_device(const UserId& user, const DeviceId& device) = 0;
  // Connections attached to this process.
  virtual std::size_t connection_count() const = 0;
  // A snapshot of them (a draining node asks each to move).
  virtual std::vector<std::shared_ptr<DeviceConnection>> connections() const = 0;
  // From now on frames go to connections through `courier` (null: one
  // push() each). Set before the first connection attaches; the courier
  // outlives its use.
  virtual void set_courier(FrameCourier* courier) = 0;
  // Blocks until every event for `user` published from now on reaches the
  // connections attached here, at most `timeout`; false when that could not
  // be promised in time. A resume reads the committed head only after this,
  // so that whatever is not in its replay arrives live. A bus within one
  // process is live at attach.
  virtual bool wait_until_live(const UserId& /*user*/, std::chrono::milliseconds /*timeout*/) { return true; }
};

}  // namespace parley
