#pragma once
// What every connection of the network layer needs. Outlives all connections.

#include "bus/device_bus.h"
#include "core/core.h"
#include "net/server_config.h"

namespace boost::asio {
class thread_pool;
}

namespace parley {

struct NetContext {
  Core& core;
  DeviceBus& bus;  // LocalEventBus on a single node, RedisEventBus in a cluster
  const ServerConfig& config;
  // Store work of connections (resume pages) runs here, not on I/O threads.
  boost::asio::thread_pool& blocking;
};

}  // namespace parley
