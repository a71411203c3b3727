#pragma once
// What every connection of the network layer needs. Outlives all connections.

#include "bus/local/local_event_bus.h"
#include "core/core.h"
#include "net/server_config.h"

namespace parley {

struct NetContext {
  Core& core;
  LocalEventBus& bus;
  const ServerConfig& config;
};

}  // namespace parley
