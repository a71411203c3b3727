#include "bus/local/local_event_bus.h"

#include <chrono>
#include <functional>
#include <utility>

#include "core/metrics.h"

namespace parley {

void LocalEventBus::note_delivered(TimeMs ts, std::size_t devices) {
  if (devices == 0) return;
  ProcessMetrics& metrics = process_metrics();
  metrics.messages_delivered.add(devices);
  const TimeMs now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const double seconds = static_cast<double>(std::max<TimeMs>(0, now - ts)) / 1000.0;
  metrics.send_deliver_seconds.observe(seconds, devices);
}

LocalEventBus::Shard& LocalEventBus::shard(const UserId& user) {
  return shards_[std::hash<UserId>{}(user) % shards_.size()];
}

void LocalEventBus::attach(const std::shared_ptr<DeviceConnection>& connection) {
  auto& s = shard(connection->user_id());
  std::lock_guard lock(s.mutex);
  s.by_user[connection->user_id()].push_back(connection);
  connections_.fetch_add(1, std::memory_order_relaxed);
}

void LocalEventBus::detach(const DeviceConnection& connection) {
  auto& s = shard(connection.user_id());
  std::lock_guard lock(s.mutex);
  auto it = s.by_user.find(connection.user_id());
  if (it == s.by_user.end()) return;
  auto& list = it->second;
  auto removed = std::erase_if(list, [&](const std::weak_ptr<DeviceConnection>& w) {
    auto c = w.lock();
    return !c || c.get() == &connection;
  });
  connections_.fetch_sub(removed, std::memory_order_relaxed);
  if (list.empty()) s.by_user.erase(it);
}

void LocalEventBus::collect(const UserId& user, std::vector<std::shared_ptr<DeviceConnection>>& out) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.by_user.find(user);
  if (it == s.by_user.end()) return;
  for (const auto& w : it->second) {
    if (auto c = w.lock()) out.push_back(std::move(c));
  }
}

void LocalEventBus::hand_over(std::vector<std::shared_ptr<DeviceConnection>>&& targets, const OutboundFrame& frame) {
  if (targets.empty()) return;
  if (FrameCourier* courier = courier_.load(std::memory_order_acquire)) {
    courier->carry(std::move(targets), frame);
    return;
  }
  for (const auto& c : targets) c->push(frame);
}

void LocalEventBus::deliver(std::span<const UserId> users, const EventPtr& event,
                            const std::optional<DeviceId>& except) {
  std::vector<std::shared_ptr<DeviceConnection>> targets;
  for (const auto& user : users) collect(user, targets);
  if (except) std::erase_if(targets, [&](const auto& c) { return c->device_id() == *except; });
  hand_over_event(std::move(targets), *event);
}

void LocalEventBus::hand_over_event(std::vector<std::shared_ptr<DeviceConnection>>&& targets, const Event& event) {
  if (targets.empty()) return;
  const std::size_t pushed = targets.size();
  hand_over(std::move(targets), encode_frame(event));  // encoded once, whatever the number of recipients
  if (const auto* m = std::get_if<MessageEvent>(&event)) note_delivered(m->message.ts, pushed);
}

void LocalEventBus::deliver_to_device(const UserId& user, const DeviceId& device, const EventPtr& event) {
  std::vector<std::shared_ptr<DeviceConnection>> targets;
  collect(user, targets);
  std::erase_if(targets, [&](const auto& c) { return c->device_id() != device; });
  if (targets.empty()) return;
  hand_over(std::move(targets), encode_frame(*event));
}

void LocalEventBus::deliver_frame(const UserId& user, const OutboundFrame& frame, const std::optional<DeviceId>& only,
                                  const std::optional<DeviceId>& except, TimeMs message_ts) {
  std::vector<std::shared_ptr<DeviceConnection>> targets;
  collect(user, targets);
  std::erase_if(targets, [&](const auto& c) {
    return (only && c->device_id() != *only) || (except && c->device_id() == *except);
  });
  const std::size_t pushed = targets.size();
  hand_over(std::move(targets), frame);
  if (message_ts > 0) note_delivered(message_ts, pushed);
}

class LocalEventBus::LocalFanOut final : public PreparedFanOut {
 public:
  LocalFanOut(LocalEventBus& bus, std::vector<FanOutItem> items) : bus_(bus), items_(std::move(items)) {
    // Each distinct list is looked up once.
    FanOutLists distinct = distinct_lists(items_);
    list_of_item_ = std::move(distinct.list_of_item);
    lists_.reserve(distinct.lists.size());
    for (const auto* users : distinct.lists) lists_.push_back(look_up(users));
    for (std::size_t i = 0; i < items_.size(); ++i) lists_[list_of_item_[i]].last_item = i;
  }

  bool connected(std::size_t item, std::size_t recipient) const override {
    return lists_[list_of_item_[item]].connected[recipient];
  }

  void deliver() override {
    for (std::size_t i = 0; i < items_.size(); ++i) {
      List& list = lists_[list_of_item_[i]];
      if (list.targets.empty()) continue;
      // The list's last message takes its targets; the others copy them.
      bus_.hand_over_event(i == list.last_item ? std::move(list.targets) : list.targets, *items_[i].event);
    }
  }

 private:
  struct List {
    std::vector<bool> connected;  // per recipient
    std::vector<std::shared_ptr<DeviceConnection>> targets;
    std::size_t last_item = 0;
  };

  List look_up(const std::vector<UserId>* users) {
    List list;
    if (!users) return list;
    list.connected.reserve(users->size());
    for (const UserId& user : *users) {
      const std::size_t before = list.targets.size();
      bus_.collect(user, list.targets);
      list.connected.push_back(list.targets.size() > before);
    }
    return list;
  }

  LocalEventBus& bus_;
  std::vector<FanOutItem> items_;
  std::vector<List> lists_;                // per distinct list of recipients
  std::vector<std::size_t> list_of_item_;  // per item, its list
};

std::unique_ptr<PreparedFanOut> LocalEventBus::prepare_fan_out(std::vector<FanOutItem> items) {
  return std::make_unique<LocalFanOut>(*this, std::move(items));
}

std::vector<std::shared_ptr<DeviceConnection>> LocalEventBus::connections() const {
  std::vector<std::shared_ptr<DeviceConnection>> out;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [user, list] : s.by_user) {
      for (const auto& w : list) {
        if (auto c = w.lock()) out.push_back(std::move(c));
      }
    }
  }
  return out;
}

bool LocalEventBus::has_connected_device(const UserId& user) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  auto it = s.by_user.find(user);
  return it != s.by_user.end() && !it->second.empty();
}

void LocalEventBus::close_device(const UserId& user, const DeviceId& device) {
  std::vector<std::shared_ptr<DeviceConnection>> targets;
  collect(user, targets);
  for (const auto& c : targets) {
    if (c->device_id() == device) c->close_for_logout();
  }
}

}  // namespace parley
