#include "app/device_rebalancer.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "cluster/rebalance_schedule.h"

namespace parley {

DeviceRebalancer::DeviceRebalancer(DeviceBus& bus, HomeOf home_of, std::string node_id,
                                   std::chrono::milliseconds window)
    : bus_(bus), home_of_(std::move(home_of)), node_id_(std::move(node_id)), window_(window) {}

DeviceRebalancer::~DeviceRebalancer() {
  stop();
}

void DeviceRebalancer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void DeviceRebalancer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeviceRebalancer::run() {
  cluster::RebalanceSchedule schedule(window_);
  // A hundred looks per window: moves within a round are at most this far
  // from their even spread, and an idle node looks at most once a second.
  const auto tick = std::clamp<std::chrono::milliseconds>(window_ / 100, std::chrono::milliseconds(20),
                                                          std::chrono::milliseconds(1000));
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, tick, [this] { return stopping_; })) {
    lock.unlock();
    const auto connections = bus_.connections();
    std::vector<cluster::RebalanceSchedule::Device> devices;
    devices.reserve(connections.size());
    for (const auto& connection : connections) {
      auto home = home_of_(connection->user_id());
      devices.push_back({connection, home && home->node_id != node_id_ ? home->url : std::string{}});
    }
    const bool idle = schedule.pending() == 0;
    const auto moves = schedule.due(std::chrono::steady_clock::now(), devices);
    if (idle && schedule.pending() + moves.size() > 0) {
      spdlog::info("rebalancing: asking {} device connection(s) to move to their home node over {} ms",
                   schedule.pending() + moves.size(), window_.count());
    }
    for (const auto& move : moves) connections[move.device]->ask_to_move(move.url);
    lock.lock();
  }
}

}  // namespace parley
