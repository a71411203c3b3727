#pragma once
// Where a device connects after losing its node (docs/cluster.md, "Devices:
// route, resume anywhere, move"): the home node that GET /v1/route names,
// unless that is a node the device cannot use — the one it just lost, or one
// it could not reach — while the ring still holds it (until ZooKeeper's
// session timeout drops a dead node). Then it connects to the node that
// answered the route instead: that node is alive, it just answered, and any
// node serves any user. Waiting for the ring instead would bring every device
// of a dead node back at once when the ring drops it.
//
// Shared by parley-bench's failover model and the `parley` CLI (the web app
// has the same rule in web/js/connection.js). Pure; any thread.

#include <algorithm>
#include <vector>

namespace parley::client {

// `Address` is a client's node address with operator==. `unusable` holds the
// node the device just lost and any node it failed to reach since.
template <class Address>
const Address& reconnect_target(const Address& home, const Address& answered_by, const std::vector<Address>& unusable) {
  if (home == answered_by) return home;  // it answered: it is alive
  const bool avoid = std::find(unusable.begin(), unusable.end(), home) != unusable.end();
  return avoid ? answered_by : home;
}

}  // namespace parley::client
