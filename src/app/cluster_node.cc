#include "app/cluster_node.h"

#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/device_rebalancer.h"
#include "bus/redis/redis_event_bus.h"
#include "cluster/cluster_names.h"
#include "cluster/zookeeper_membership.h"
#include "core/push_placement.h"
#include "inet/host_port.h"
#include "presence/redis/redis_presence_registry.h"
#include "store/mariadb/mariadb_message_log.h"
#include "store/mariadb/mariadb_push_jobs.h"
#include "store/mariadb/mariadb_schema.h"
#include "store/mariadb/mariadb_sequencer.h"
#include "store/mariadb/mariadb_store.h"
#include "store/mariadb/mariadb_url.h"
#include "store/mariadb/message_shards.h"

namespace parley {
namespace {

// One HOST:PORT (inet/host_port.h).
redis::RedisConfig parse_redis_address(const std::string& address) {
  auto parsed = inet::parse_host_port(address);
  if (!parsed.address) throw std::invalid_argument("--redis takes one HOST:PORT: " + parsed.error);
  redis::RedisConfig config;
  config.host = std::move(parsed.address->host);
  config.port = parsed.address->port;
  return config;
}

mariadb::ConnectionConfig parse_url(const std::string& flag, const std::string& url) {
  auto parsed = mariadb::parse_mariadb_url(url);
  if (!parsed) throw std::invalid_argument(flag + ": " + parsed.error().message);
  return *parsed;
}

}  // namespace

Result<bool> cluster_mode_requested(const ClusterOptions& o) {
  const bool any = !o.zookeeper.empty() || !o.redis.empty() || !o.mariadb.empty() || !o.mariadb_shards.empty() ||
                   !o.node_id.empty() || !o.advertise.empty();
  if (!any) return false;
  for (const auto& [flag, value] : {std::pair<const char*, const std::string*>{"--zookeeper", &o.zookeeper},
                                    {"--redis", &o.redis},
                                    {"--mariadb", &o.mariadb},
                                    {"--node-id", &o.node_id}}) {
    if (value->empty()) {
      return make_error(
          ErrorCode::invalid_request,
          std::string("cluster mode needs --zookeeper, --redis, --mariadb and --node-id; ") + flag + " is missing");
    }
  }
  return true;
}

ClusterNode::ClusterNode(ClusterOptions options) : options_(std::move(options)) {}

ClusterNode::~ClusterNode() {
  stop();
}

std::unique_ptr<ClusterNode> ClusterNode::open(const ClusterOptions& options) {
  // Every option is checked before anything connects anywhere.
  if (auto error = cluster::node_id_error(options.node_id)) throw std::invalid_argument("--node-id: " + *error);
  if (auto error = cluster::root_error(options.zookeeper_root)) {
    throw std::invalid_argument("--zookeeper-root: " + *error);
  }
  if (auto error = cluster::connect_string_error(options.zookeeper)) {
    throw std::invalid_argument("--zookeeper: " + *error);
  }
  if (!options.advertise.empty()) {
    if (auto error = cluster::advertise_url_error(options.advertise)) {
      throw std::invalid_argument("--advertise: " + *error);
    }
  }
  const auto redis_config = parse_redis_address(options.redis);
  const auto main_db = parse_url("--mariadb", options.mariadb);
  MessageShardsConfig shards_config;
  if (options.mariadb_shards.empty()) shards_config.shards.push_back(main_db);
  for (const auto& url : options.mariadb_shards) shards_config.shards.push_back(parse_url("--mariadb-shard", url));

  std::unique_ptr<ClusterNode> node(new ClusterNode(options));
  node->store_ = MariaDbStore::open(MariaDbConfig{main_db});
  auto shards = MessageShards::open(shards_config);
  node->log_ = std::make_unique<MariaDbMessageLog>(shards);
  node->sequencer_ = std::make_unique<MariaDbSequencer>(shards);
  node->sequencer_->start();
  node->push_jobs_ = MariaDbPushJobStore::open(MariaDbConfig{main_db});
  // A shard without a planning marker counts as planned up to its head when
  // a planner first takes it over (right for a store from before planning
  // existed, wrong here): a cluster's markers start at 0 before any node can
  // commit, so no message sent before the first takeover goes unpushed.
  for (ShardId shard = 0; shard < shards->count(); ++shard) {
    std::vector<PushJob> none;
    auto marked = node->push_jobs_->put_planned_push_jobs(none, shard, std::nullopt, 0);
    if (!marked && marked.error().code != ErrorCode::conflict) {
      throw std::runtime_error("cannot mark push planning of shard " + std::to_string(shard) + ": " +
                               marked.error().message);
    }
  }

  RedisEventBusConfig bus_config;
  bus_config.redis = redis_config;
  bus_config.shard_count = shards->count();
  // The ZooKeeper root names the cluster: clusters sharing a Redis stay apart.
  bus_config.channel_prefix = options.zookeeper_root + "|";
  ClusterNode* self = node.get();
  RedisEventBusSources sources;
  sources.read_log = [self](ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit) {
    return self->log_->read_log(shard, after, up_to, limit);
  };
  sources.committed_head = [self](ShardId shard) { return self->log_->shard_head(shard); };
  sources.members_of = [self](const ChatId& chat) -> Result<std::vector<UserId>> {
    // Only repairs ask (a lost or late notice), and the notice of a change to
    // the chat may be lost with it: the members as stored, not as cached.
    if (auto reloaded = self->core_->chats.refresh(chat); !reloaded) return reloaded.error();
    auto found = self->core_->chats.find(chat);
    if (!found) return found.error();
    std::vector<UserId> members;
    if (*found) {
      for (const auto& member : (*found)->members) members.push_back(member.user_id);
    }
    return members;
  };
  sources.chat_changed = [self](const ChatId& chat) {
    if (auto ok = self->core_->chats.refresh(chat); !ok) {
      spdlog::warn("cannot reload chat changed on another node: {}", ok.error().message);
    }
  };
  sources.user_changed = [self](const UserId& user) { self->core_->user_changed_elsewhere(user); };
  node->bus_ = std::make_unique<RedisEventBus>(bus_config, std::move(sources));
  RedisPresenceConfig presence_config;
  presence_config.redis = redis_config;
  presence_config.timeout_ms = options.presence_timeout_ms;
  presence_config.key_prefix = bus_config.channel_prefix;
  node->presence_ = std::make_unique<RedisPresenceRegistry>(presence_config);
  node->push_placement_ = std::make_unique<KeyOwnerPushPlacement>(
      options.node_id, shards->count(), [self](std::string_view key) -> std::optional<std::string> {
        const auto* membership = self->joined_.load(std::memory_order_acquire);
        if (membership == nullptr) return std::nullopt;
        auto ring = membership->ring();
        const cluster::Member* owner = ring->owner(key);
        if (owner == nullptr) return std::nullopt;
        return owner->id;
      });
  return node;
}

AccountStore& ClusterNode::accounts() {
  return *store_;
}
ChatStore& ClusterNode::chats() {
  return *store_;
}
MessageLog& ClusterNode::messages() {
  return *log_;
}
MessageSequencer& ClusterNode::sequencer() {
  return *sequencer_;
}
PushJobStore& ClusterNode::push_jobs() {
  return *push_jobs_;
}
PresenceRegistry& ClusterNode::presence() {
  return *presence_;
}

void ClusterNode::start_presence() {
  presence_->start();
}
DeviceBus& ClusterNode::bus() {
  return *bus_;
}

void ClusterNode::start(Core& core) {
  core_ = &core;
  bus_->start();
}

void ClusterNode::join(const std::string& listen_url) {
  cluster::MembershipConfig config;
  config.zookeeper = options_.zookeeper;
  config.root = options_.zookeeper_root;
  config.node_id = options_.node_id;
  config.advertise_url = options_.advertise.empty() ? listen_url : options_.advertise;
  config.session_timeout = options_.zookeeper_session;
  config.log = [](std::string_view line) { spdlog::warn("zookeeper: {}", line); };
  membership_ = std::make_unique<cluster::ZooKeeperMembership>(
      config, [](const std::vector<cluster::Member>& m) { spdlog::info("cluster ring: {} node(s)", m.size()); });
  membership_->start();
  joined_.store(membership_.get(), std::memory_order_release);
  spdlog::info("node {} joined the cluster as {}", options_.node_id, config.advertise_url);
  if (options_.rebalance_window.count() > 0) {
    rebalancer_ = std::make_unique<DeviceRebalancer>(
        *bus_, [this](const UserId& user) { return home_of(user); }, options_.node_id, options_.rebalance_window);
    rebalancer_->start();
  }
}

bool ClusterNode::leave() {
  if (rebalancer_) rebalancer_->stop();  // the drain moves every device itself
  const auto* membership = joined_.load(std::memory_order_acquire);
  return membership ? membership_->leave() : true;
}

void ClusterNode::move_devices(std::chrono::milliseconds spread) {
  const auto devices = bus_->connections();
  const auto start = std::chrono::steady_clock::now();
  spdlog::info("asking {} device connection(s) to move over {} ms", devices.size(), spread.count());
  for (std::size_t k = 0; k < devices.size(); ++k) {
    std::this_thread::sleep_until(start + spread * k / devices.size());
    if (auto home = home_of(devices[k]->user_id())) devices[k]->ask_to_move(home->url);
  }
  const auto deadline = start + spread + std::chrono::seconds(10);
  while (bus_->connection_count() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  spdlog::info("{} device connection(s) left when the drain ended", bus_->connection_count());
}

void ClusterNode::stop() {
  if (rebalancer_) rebalancer_->stop();
  if (membership_) membership_->stop();
  if (bus_) bus_->stop();
  if (presence_) presence_->stop();
}

std::vector<DependencyHealth> ClusterNode::dependencies() {
  std::vector<DependencyHealth> out;
  if (const auto* membership = joined_.load(std::memory_order_acquire)) {
    const auto state = membership->state();
    const bool ok = state == cluster::SessionState::connected && membership->registered();
    std::string detail(cluster::to_string(state));
    if (!membership->problem().empty()) detail += "; " + membership->problem();
    out.push_back({"zookeeper", ok, detail});
  } else {
    out.push_back({"zookeeper", false, "not joined yet"});
  }
  const bool redis_up = bus_->connected();
  out.push_back({"redis", redis_up, redis_up ? "connected" : "reconnecting"});
  auto ping = store_->ping();
  out.push_back({"mariadb", bool(ping), ping ? "connected" : ping.error().message});
  for (ShardId shard = 0; shard < log_->shards()->count(); ++shard) {
    auto head = log_->shard_head(shard);
    out.push_back({"mariadb-shard-" + std::to_string(shard), bool(head),
                   head ? "head " + std::to_string(*head) : head.error().message});
  }
  return out;
}

std::optional<HomeNode> ClusterNode::home_of(const UserId& user) const {
  const auto* membership = joined_.load(std::memory_order_acquire);
  if (membership == nullptr) return std::nullopt;
  auto ring = membership->ring();
  const cluster::Member* owner = ring->owner(user);
  if (owner == nullptr) return std::nullopt;
  HomeNode home{owner->id, owner->url, {}};
  for (const auto& member : ring->members()) home.node_urls.push_back(member.url);
  return home;
}

std::vector<std::string> ClusterNode::ring() const {
  std::vector<std::string> ids;
  const auto* membership = joined_.load(std::memory_order_acquire);
  if (membership == nullptr) return ids;
  for (const auto& member : membership->ring()->members()) ids.push_back(member.id);
  return ids;
}

Result<LogPosition> ClusterNode::fresh_committed_head() {
  if (auto ok = sequencer_->refresh_committed_head(); !ok) return ok.error();
  return sequencer_->committed_head();
}

}  // namespace parley
