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
  ++questions_;
  return connected_.contains(user);
}

std::vector<bool> RecordingEventSink::connected_users(std::span<const UserId> users) {
  std::lock_guard lock(mutex_);
  ++questions_;
  std::vector<bool> out;
  out.reserve(users.size());
  for (const UserId& user : users) out.push_back(connected_.contains(user));
  return out;
}

std::size_t RecordingEventSink::connectivity_questions() const {
  std::lock_guard lock(mutex_);
  return questions_;
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
