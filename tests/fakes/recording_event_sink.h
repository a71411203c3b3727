#pragma once
// RecordingEventSink: an EventSink that records every delivery instead of
// sending it, and answers has_connected_device and connected_users from a set
// the test controls, counting the questions (a bus across nodes pays a round
// trip for each).
// Thread-safe; accessors return copies taken under the lock.

#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "core/ports.h"

namespace parley {

class RecordingEventSink final : public EventSink {
 public:
  struct Delivery {
    std::vector<UserId> users;       // the recipients (one for deliver_to_device)
    std::optional<DeviceId> device;  // set only for deliver_to_device
    EventPtr event;
    std::optional<DeviceId> except;  // as passed to deliver
  };

  // A delivery of an event of type T, with the event unpacked.
  template <typename T>
  struct Typed {
    std::vector<UserId> users;
    std::optional<DeviceId> device;
    T event;
    std::optional<DeviceId> except;
  };

  void deliver(std::span<const UserId> users, const EventPtr& event,
               const std::optional<DeviceId>& except = std::nullopt) override;
  void deliver_to_device(const UserId& user, const DeviceId& device, const EventPtr& event) override;
  bool has_connected_device(const UserId& user) override;
  std::vector<bool> connected_users(std::span<const UserId> users) override;

  void set_connected(const UserId& user, bool connected);
  // Calls of has_connected_device and connected_users so far.
  std::size_t connectivity_questions() const;

  std::vector<Delivery> deliveries() const;
  std::size_t delivery_count() const;
  void clear();

  // The recorded deliveries whose event holds a T, in delivery order.
  template <typename T>
  std::vector<Typed<T>> deliveries_of() const {
    std::vector<Typed<T>> out;
    for (Delivery& d : deliveries()) {
      if (const T* event = d.event ? std::get_if<T>(d.event.get()) : nullptr) {
        out.push_back({std::move(d.users), std::move(d.device), *event, std::move(d.except)});
      }
    }
    return out;
  }

  // Just the events of type T, in delivery order.
  template <typename T>
  std::vector<T> events_of() const {
    std::vector<T> out;
    for (auto& d : deliveries_of<T>()) out.push_back(std::move(d.event));
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Delivery> deliveries_;
  std::set<UserId> connected_;
  std::size_t questions_ = 0;
};

}  // namespace parley
