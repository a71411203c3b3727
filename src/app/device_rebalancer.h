#pragma once
// DeviceRebalancer: a cluster node's thread that asks devices connected here,
// whose user's home is another node on the ring, to move there with the
// `move` frame (the one a draining node sends), spread over time by
// cluster::RebalanceSchedule: only devices connected for a whole window, and
// one after another over the next window. So after a node joins, its users'
// devices come over gradually, and devices that came here during a failover
// go home once things have settled (docs/cluster.md, "Rebalancing").
//
// Owned by ClusterNode; start() after the node joined the ring, stop() before
// a drain (which moves every device itself) and at shutdown. Its thread only
// reads the bus's connections and the ring; the methods are for one owner
// thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bus/device_bus.h"
#include "net/server_config.h"

namespace parley {

class DeviceRebalancer {
 public:
  using HomeOf = std::function<std::optional<HomeNode>(const UserId&)>;

  // `window` > 0; `bus` and `home_of` outlive the rebalancer.
  DeviceRebalancer(DeviceBus& bus, HomeOf home_of, std::string node_id, std::chrono::milliseconds window);
  ~DeviceRebalancer();
  DeviceRebalancer(const DeviceRebalancer&) = delete;
  DeviceRebalancer& operator=(const DeviceRebalancer&) = delete;

  void start();
  // Idempotent; returns once the thread has ended (no move is asked after).
  void stop();

 private:
  void run();

  DeviceBus& bus_;
  HomeOf home_of_;
  std::string node_id_;
  std::chrono::milliseconds window_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace parley
