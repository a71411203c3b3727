#pragma once
// ClusterNode: the adapters of a cluster node, chosen at start-up when
// parleyd is given --zookeeper, --redis and --mariadb (docs/cluster.md):
// accounts and chats on MariaDB (InnoDB), messages on the MyRocks shards,
// seq and offsets from each shard's transaction, events between nodes over
// Redis, membership and the ring in ZooKeeper.
//
// Life, in parleyd's order: open() (schemas, connections; throws) -> the Core
// is built on its ports -> start(core) (the bus) -> the server listens ->
// join(url) (registers in ZooKeeper: devices may be sent here from now on)
// -> ... -> leave() on SIGTERM -> stop() after the core stopped.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/core.h"
#include "net/server_config.h"

namespace parley {

class MariaDbStore;
class MariaDbMessageLog;
class MariaDbSequencer;
class MariaDbPushJobStore;
class RedisEventBus;
class RedisPresenceRegistry;
class DeviceBus;
class DeviceRebalancer;
namespace cluster {
class ZooKeeperMembership;
}

struct ClusterOptions {
  std::string zookeeper;  // host:port[,host:port...]
  std::string zookeeper_root = "/parley";
  std::chrono::milliseconds zookeeper_session{10'000};
  std::string redis;    // host:port
  std::string mariadb;  // mariadb://… for users, devices, chats
  // The message shard map, in order; empty: one shard in the `mariadb` database.
  std::vector<std::string> mariadb_shards;
  std::string node_id;
  std::string advertise;  // empty: http://<listen host>:<bound port>
  // Devices connected here whose home is another node are asked to move
  // there once connected this long, spread over as long again (DeviceRebalancer);
  // 0: never (only a drain moves devices).
  std::chrono::milliseconds rebalance_window{60'000};
  // The core's presence timeout: the same on every node.
  TimeMs presence_timeout_ms = 30'000;
};

// True when any cluster flag is set: then all of zookeeper, redis, mariadb and
// node_id must be. The message says which one is missing.
Result<bool> cluster_mode_requested(const ClusterOptions& options);

class ClusterNode {
 public:
  // Checks every address and URL, creates the schemas, opens the
  // connections. Throws std::runtime_error (std::invalid_argument for bad
  // options) with a message an operator can act on.
  static std::unique_ptr<ClusterNode> open(const ClusterOptions& options);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // The core's ports (the clock, credentials and push sender are parleyd's).
  AccountStore& accounts();
  ChatStore& chats();
  MessageLog& messages();
  MessageSequencer& sequencer();
  PushJobStore& push_jobs();
  DeviceBus& bus();
  PresenceRegistry& presence();
  // Push planning is spread over the ring: this node plans and sends the
  // pushes of the log shards whose key "push-shard:<n>" it owns, and a dead
  // node's shards (with their stored jobs) move to their next owner.
  PushPlacement& push_placement() { return *push_placement_; }

  // Starts the presence registry, before the core starts.
  void start_presence();
  // Starts the bus; `core` outlives this node's use of it (until stop()).
  void start(Core& core);
  // Registers this node in ZooKeeper under `url` (when --advertise was not
  // given) and waits until it is in the ring; then starts rebalancing.
  void join(const std::string& listen_url);
  // Stops rebalancing and leaves the ring first (graceful drain). Returns false if ZooKeeper could
  // not confirm it in time (the session's end removes the node anyway).
  bool leave();
  // After leave(): asks every device connected here to move to its home on
  // the ring without this node, one after another spread evenly over
  // `spread` (so that the other nodes are not hit by all of them at once),
  // then waits until they closed, at most `spread` + 10 s more.
  void move_devices(std::chrono::milliseconds spread);
  // Stops membership and the bus. Idempotent.
  void stop();

  // For the server: /healthz, /v1/route, a resume's committed head.
  std::vector<DependencyHealth> dependencies();
  std::optional<HomeNode> home_of(const UserId& user) const;
  // The ids of the ring's nodes, in order.
  std::vector<std::string> ring() const;
  Result<LogPosition> fresh_committed_head();
  const std::string& node_id() const { return options_.node_id; }

 private:
  explicit ClusterNode(ClusterOptions options);

  ClusterOptions options_;
  std::unique_ptr<MariaDbStore> store_;
  std::unique_ptr<MariaDbMessageLog> log_;
  std::unique_ptr<MariaDbSequencer> sequencer_;
  std::unique_ptr<MariaDbPushJobStore> push_jobs_;
  std::unique_ptr<RedisEventBus> bus_;
  std::unique_ptr<RedisPresenceRegistry> presence_;
  std::unique_ptr<cluster::ZooKeeperMembership> membership_;
  // Set once join() registered; read by any thread (routes, health, push
  // placement) without waiting for join().
  std::atomic<const cluster::ZooKeeperMembership*> joined_{nullptr};
  std::unique_ptr<PushPlacement> push_placement_;
  std::unique_ptr<DeviceRebalancer> rebalancer_;  // after join(), when rebalance_window > 0
  Core* core_ = nullptr;
};

}  // namespace parley
