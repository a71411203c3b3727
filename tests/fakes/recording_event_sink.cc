#include "fakes/recording_event_sink.h"

namespace parley {

void RecordingEventSink::deliver(std::span<const UserId> users, const EventPtr& event,
                                 const std::optional<DeviceId>& except) {
  std::lock_guard lock(mutex_);
  deliveries_.push_back({{users.begin(), users.end()}, std::nullopt, event, except});
}

void RecordingEventSink::deliver_to_device(const UserId& user, const DeviceId& device, const EventPtr& event) {
  std::lock_guard lock(mutex_);
  deliveries_.push_back({{user}, device, event, std::nullopt});
}

bool RecordingEventSink::has_connected_device(const UserId& user) {
  std::lock_guard lock(mutex_);
  return connected_.contains(user);
}

void RecordingEventSink::set_connected(const UserId& user, bool connected) {
  std::lock_guard lock(mutex_);
  if (connected) {
    connected_.insert(user);
  } else {
    connected_.erase(user);
  }
}

std::vector<RecordingEventSink::Delivery> RecordingEventSink::deliveries() const {
  std::lock_guard lock(mutex_);
  return deliveries_;
}

std::size_t RecordingEventSink::delivery_count() const {
  std::lock_guard lock(mutex_);
  return deliveries_.size();
}

void RecordingEventSink::clear() {
  std::lock_guard lock(mutex_);
  deliveries_.clear();
}

}  // namespace parley
