// RedisEventBus against the real redis-server of the test services: several
// buses in one process act as nodes, fake connections record what they get,
// MemoryStores (one per shard) are the log the buses repair from. Each test
// checks what a connection receives: every message of a shard once, in
// offset order — across nodes, with notices lost, with Redis restarted, and
// with garbage published on a user's channel.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bus/redis/envelope.h"
#include "bus/redis/redis_event_bus.h"
#include "fakes/memory_store.h"
#include "poll_until.h"
#include "redis/redis_client.h"
#include "services.h"

namespace parley {
namespace {

using namespace std::chrono_literals;
using parley::testing::cluster_services;
using parley::testing::ClusterServices;

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = 30s) {
  return parley::testing::poll_until(pred, timeout, 5ms);
}

redis::RedisConfig redis_config() {
  redis::RedisConfig c;
  c.port = cluster_services().redis_port();
  c.reconnect_delay_first = 20ms;
  c.reconnect_delay_max = 200ms;
  c.ping_interval = 500ms;
  return c;
}

class RecordingConnection final : public DeviceConnection {
 public:
  RecordingConnection(UserId user, DeviceId device) : user_(std::move(user)), device_(std::move(device)) {}
  const UserId& user_id() const override { return user_; }
  const DeviceId& device_id() const override { return device_; }
  void push(const OutboundFrame& frame) override {
    std::lock_guard lock(mutex_);
    frames_.push_back(frame);
  }
  void close_for_logout() override { ++closed; }
  void ask_to_move(const std::string&) override { ++moves; }
  std::atomic<int> moves{0};
  std::atomic<int> closed{0};

  // (shard, offset) of every message frame, in arrival order.
  std::vector<std::pair<ShardId, LogOffset>> messages() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<ShardId, LogOffset>> out;
    for (const auto& f : frames_) {
      if (f.offset != 0) out.emplace_back(f.shard, f.offset);
    }
    return out;
  }
  std::vector<std::string> other_frames() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& f : frames_) {
      if (f.offset == 0) out.push_back(*f.text);
    }
    return out;
  }

 private:
  UserId user_;
  DeviceId device_;
  mutable std::mutex mutex_;
  std::vector<OutboundFrame> frames_;
};

// The log and membership every node shares (the cluster's MariaDB), and a way
// to commit to it as a node's commit thread would.
class Cluster {
 public:
  explicit Cluster(ShardId shards) : stores_(shards), heads_(shards) {
    for (auto& h : heads_) h = 0;
  }

  void set_members(const ChatId& chat, std::vector<UserId> members) {
    std::lock_guard lock(mutex_);
    members_[chat] = std::move(members);
  }

  std::unique_ptr<RedisEventBus> node() {
    RedisEventBusConfig config;
    config.redis = redis_config();
    config.shard_count = static_cast<ShardId>(stores_.size());
    config.head_poll_interval = 300ms;
    RedisEventBusSources sources;
    sources.read_log = [this](ShardId shard, LogOffset after, LogOffset up_to, std::size_t limit) {
      return stores_[shard].read_log(0, after, up_to, limit);  // one unsharded store per shard
    };
    sources.members_of = [this](const ChatId& chat) -> Result<std::vector<UserId>> {
      std::lock_guard lock(mutex_);
      return members_[chat];
    };
    sources.committed_head = [this](ShardId shard) -> Result<LogOffset> { return heads_[shard].load(); };
    auto bus = std::make_unique<RedisEventBus>(config, sources);
    bus->start();
    return bus;
  }

  enum class Publish { all, no_notice, nothing };
  // Commits `count` messages of `chat` to `shard` (one transaction under the
  // shard's head lock), then publishes them through `bus` like the commit thread.
  LogOffset commit(RedisEventBus& bus, ShardId shard, const ChatId& chat, int count, Publish publish = Publish::all) {
    std::vector<Message> batch;
    std::vector<UserId> members;
    {
      std::lock_guard shard_lock(shard_mutex_[shard % 8]);  // the shard head's row lock, held to COMMIT
      std::lock_guard lock(mutex_);
      members = members_[chat];
      for (int i = 0; i < count; ++i) {
        Message m;
        m.chat_id = chat;
        m.seq = ++seqs_[chat];
        m.sender_id = members.front();
        m.text = "m" + std::to_string(m.seq);
        m.offset = heads_[shard] + 1 + static_cast<LogOffset>(i);
        m.shard = shard;
        batch.push_back(m);
      }
      EXPECT_TRUE(stores_[shard].append(batch));
      heads_[shard] = batch.back().offset;
    }
    // Published after COMMIT, outside the lock: another node's batch may go out first.
    if (publish == Publish::nothing) return batch.back().offset;
    for (const auto& m : batch) bus.deliver(members, std::make_shared<const Event>(MessageEvent{m}));
    if (publish == Publish::all) bus.batch_committed(shard, batch.front().offset, batch.back().offset);
    return batch.back().offset;
  }

  LogOffset head(ShardId shard) const { return heads_[shard]; }

 private:
  std::vector<MemoryStore> stores_;
  std::vector<std::atomic<LogOffset>> heads_;
  std::mutex shard_mutex_[8];
  std::mutex mutex_;
  std::map<ChatId, std::vector<UserId>> members_;
  std::map<ChatId, Seq> seqs_;
};

std::shared_ptr<RecordingConnection> connect(RedisEventBus& bus, RedisEventBus& observer, const UserId& user,
                                             const DeviceId& device) {
  auto c = std::make_shared<RecordingConnection>(user, device);
  bus.attach(c);
  // Subscribed once Redis counts a subscriber on the user's channel.
  EXPECT_TRUE(eventually([&] { return observer.has_connected_device(user); }));
  return c;
}

// Every offset 1..last of `shard` exactly once and in order.
bool has_exactly_in_order(const RecordingConnection& c, ShardId shard, LogOffset last) {
  std::vector<LogOffset> got;
  for (auto [s, o] : c.messages()) {
    if (s == shard) got.push_back(o);
  }
  if (got.size() != last) return false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i] != i + 1) return false;
  }
  return true;
}

// The last 40 (shard:offset) received, for failure messages.
std::string describe(const RecordingConnection& c) {
  const auto messages = c.messages();
  std::string out = std::to_string(messages.size()) + " messages, last:";
  for (std::size_t i = messages.size() > 40 ? messages.size() - 40 : 0; i < messages.size(); ++i) {
    out += " " + std::to_string(messages[i].first) + ":" + std::to_string(messages[i].second);
  }
  return out;
}

TEST(RedisEventBus, AMessageReachesAUserConnectedToAnotherNodeOnce) {
  Cluster cluster(2);
  auto a = cluster.node();
  auto b = cluster.node();
  cluster.set_members("chat", {"alice1", "bob1"});
  auto alice = connect(*a, *b, "alice1", "phone");
  auto bob = connect(*b, *a, "bob1", "laptop");

  const ShardId shard = 1;
  cluster.commit(*a, shard, "chat", 1);
  cluster.commit(*a, shard, "chat", 2);
  ASSERT_TRUE(eventually([&] { return bob->messages().size() >= 3 && alice->messages().size() >= 3; }))
      << describe(*bob);
  // A message from b after them: anything duplicated would have come first.
  cluster.commit(*b, shard, "chat", 1);
  ASSERT_TRUE(eventually([&] { return has_exactly_in_order(*bob, shard, 4); })) << describe(*bob);
  ASSERT_TRUE(eventually([&] { return has_exactly_in_order(*alice, shard, 4); })) << describe(*alice);

  // Other events go straight through, once, to the node's own users too.
  const std::vector<UserId> both{"alice1", "bob1"};
  a->deliver(both, std::make_shared<const Event>(TypingEvent{"chat", "alice1"}));
  ASSERT_TRUE(eventually([&] { return bob->other_frames().size() == 1; }));
  ASSERT_TRUE(eventually([&] { return alice->other_frames().size() == 1; }));
  EXPECT_NE(bob->other_frames()[0].find("typing"), std::string::npos);
  b->deliver(both, std::make_shared<const Event>(ReceiptEvent{"chat", "bob1", 3}), DeviceId("laptop"));
  ASSERT_TRUE(eventually([&] { return alice->other_frames().size() == 2; }));
  EXPECT_EQ(bob->other_frames().size(), 1u);  // its own device was excepted

  // A logout on a: bob's laptop on b is closed, nothing else.
  auto bob_phone = std::make_shared<RecordingConnection>("bob1", "phone");
  b->attach(bob_phone);
  a->close_device("bob1", "laptop");
  ASSERT_TRUE(eventually([&] { return bob->closed == 1; }));
  EXPECT_EQ(bob_phone->closed, 0);
  EXPECT_EQ(alice->closed, 0);
  b->detach(*bob_phone);

  // A message of a shard the bus does not know (a configuration mismatch)
  // reaches its own node's users only: it cannot be ordered across nodes.
  Message stray;
  stray.chat_id = "chat";
  stray.seq = 99;
  stray.offset = 1;
  stray.shard = 5;
  a->deliver(both, std::make_shared<const Event>(MessageEvent{stray}));
  ASSERT_TRUE(eventually([&] { return alice->messages().size() == 5; }));
  EXPECT_EQ(alice->messages().back(), (std::pair<ShardId, LogOffset>{5, 1}));
  cluster.commit(*a, shard, "chat", 1);  // published after the stray one: it would have come first
  ASSERT_TRUE(eventually([&] { return has_exactly_in_order(*bob, shard, 5); })) << describe(*bob);
  EXPECT_EQ(bob->messages().size(), 5u);
  EXPECT_EQ(bob->other_frames().size(), 1u);  // the typing frame only

  EXPECT_EQ(a->stats().malformed + b->stats().malformed, 0u);
  EXPECT_EQ(b->stats().repairs, 0u);
  // Nobody connected anywhere: no subscriber for that user.
  EXPECT_FALSE(a->has_connected_device("nobody"));
}

TEST(RedisEventBus, TwoNodesCommittingToOneShardAtOnceAreSeenInOffsetOrderEverywhere) {
  Cluster cluster(1);
  auto a = cluster.node();
  auto b = cluster.node();
  auto c = cluster.node();
  cluster.set_members("group", {"u1", "u2", "u3"});
  auto on_a = connect(*a, *c, "u1", "d");
  auto on_b = connect(*b, *c, "u2", "d");
  auto on_c = connect(*c, *a, "u3", "d");

  auto sender = [&](RedisEventBus& bus, unsigned seed) {
    std::mt19937 random(seed);
    for (int i = 0; i < 150; ++i) cluster.commit(bus, 0, "group", 1 + static_cast<int>(random() % 3));
  };
  std::thread from_a(sender, std::ref(*a), 1);
  std::thread from_b(sender, std::ref(*b), 2);
  from_a.join();
  from_b.join();
  const LogOffset last = cluster.head(0);
  for (auto* conn : {on_a.get(), on_b.get(), on_c.get()}) {
    EXPECT_TRUE(eventually([&] { return conn->messages().size() >= last; }));
    EXPECT_TRUE(has_exactly_in_order(*conn, 0, last)) << describe(*conn);
  }
}

TEST(RedisEventBus, ALostNoticeOrALostBatchIsRepairedFromTheStore) {
  Cluster cluster(1);
  auto a = cluster.node();
  auto b = cluster.node();
  cluster.set_members("chat", {"x1", "y1"});
  auto y = connect(*b, *a, "y1", "d");

  cluster.commit(*a, 0, "chat", 2);
  cluster.commit(*a, 0, "chat", 2, Cluster::Publish::no_notice);  // the node died before its notice
  cluster.commit(*a, 0, "chat", 2);
  cluster.commit(*a, 0, "chat", 3, Cluster::Publish::nothing);  // died right after COMMIT
  cluster.commit(*a, 0, "chat", 1);
  EXPECT_TRUE(eventually([&] { return y->messages().size() >= 10; }));
  EXPECT_TRUE(has_exactly_in_order(*y, 0, 10)) << describe(*y);
  EXPECT_GE(b->stats().repairs, 1u);

  // The last batch of a quiet shard loses its notice: repaired after the wait.
  cluster.commit(*a, 0, "chat", 2, Cluster::Publish::no_notice);
  EXPECT_TRUE(eventually([&] { return y->messages().size() >= 12; }));
  EXPECT_TRUE(has_exactly_in_order(*y, 0, 12)) << describe(*y);

  // The last batch of a quiet shard is not published at all: the head poll shows it.
  cluster.commit(*a, 0, "chat", 3, Cluster::Publish::nothing);
  EXPECT_TRUE(eventually([&] { return y->messages().size() >= 15; }));
  EXPECT_TRUE(has_exactly_in_order(*y, 0, 15)) << describe(*y);
}

TEST(RedisEventBus, AfterRedisComesBackWhatWasMissedIsDeliveredExactlyOnce) {
  Cluster cluster(2);
  auto a = cluster.node();
  auto b = cluster.node();
  cluster.set_members("c0", {"p1", "q1"});
  cluster.set_members("c1", {"q1", "p1"});
  auto q = connect(*b, *a, "q1", "d");

  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::thread sender([&] {
    while (!stop) {
      const int n = committed++;
      cluster.commit(*a, static_cast<ShardId>(n % 2), n % 2 ? "c1" : "c0", 1 + n % 3);
      std::this_thread::sleep_for(2ms);  // pacing, not a wait for anything
    }
  });
  ASSERT_TRUE(eventually([&] { return committed > 50; }));
  // Commits go on while Redis is down; their publishes are lost.
  cluster_services().stop(ClusterServices::kRedis);
  const int at_stop = committed;
  ASSERT_TRUE(eventually([&] { return committed > at_stop + 30; }));
  stop = true;
  sender.join();
  cluster_services().start(ClusterServices::kRedis);
  EXPECT_GT(a->stats().publish_failures, 0u);
  ASSERT_TRUE(eventually([&] { return a->connected() && b->connected(); }));
  // Shard 1 stays quiet from here on: only the repair after the reconnect can
  // bring what it lost. Shard 0 gets more traffic.
  for (int i = 0; i < 20; ++i) cluster.commit(*a, 0, "c0", 2);

  for (ShardId shard = 0; shard < 2; ++shard) {
    const LogOffset last = cluster.head(shard);
    EXPECT_TRUE(eventually([&] { return has_exactly_in_order(*q, shard, last); }))
        << "shard " << shard << " up to " << last << ": " << describe(*q);
  }
  EXPECT_GE(b->stats().repairs, 1u);
}

TEST(RedisEventBus, MalformedPayloadsOnAUserChannelAreDroppedAndCounted) {
  Cluster cluster(1);
  auto a = cluster.node();
  auto b = cluster.node();
  cluster.set_members("chat", {"m1", "n1"});
  auto n = connect(*b, *a, "n1", "d");

  redis::RedisClient client(redis_config());
  client.start();
  ASSERT_TRUE(eventually([&] { return client.connected(); }));
  Message message;
  message.chat_id = "chat";
  message.seq = 1;
  message.offset = 1;
  const std::string valid = bus::encode({99, bus::MessageEnvelope{message, {}}});
  Message other_shard = message;
  other_shard.shard = 7;  // past the shard count
  std::vector<std::string> hostile{
      "",
      "\x01",
      std::string(4096, '\xff'),
      valid.substr(0, valid.size() - 1),
      valid + "x",
      "\x02" + valid.substr(1),
      bus::encode({99, bus::NoticeEnvelope{0, 1, 1}}),  // a notice belongs on s:0, not here
      bus::encode({99, bus::MessageEnvelope{other_shard, {}}}),
  };
  std::mt19937 random(3);
  for (int i = 0; i < 20; ++i) {
    std::string bytes(1 + random() % 100, '\0');
    for (auto& ch : bytes) ch = static_cast<char>(random());
    hostile.push_back(bytes);
  }
  std::atomic<int> sent{0};
  for (const auto& payload : hostile) {
    client.publish(bus::user_channel("n1"), payload, [&](Result<long long> r) {
      EXPECT_TRUE(r && *r == 1);
      ++sent;
    });
  }
  ASSERT_TRUE(eventually([&] { return sent == static_cast<int>(hostile.size()); }));
  ASSERT_TRUE(eventually([&] { return b->stats().malformed == hostile.size(); })) << b->stats().malformed;

  cluster.commit(*a, 0, "chat", 1);
  EXPECT_TRUE(eventually([&] { return has_exactly_in_order(*n, 0, 1); })) << describe(*n);
  EXPECT_TRUE(n->other_frames().empty());
  client.stop();
}

// How often Redis ran PUBSUB NUMSUB so far (INFO commandstats), to count the
// round trips a question about connected users costs.
long long numsub_calls() {
  redis::RedisClient client(redis_config());
  client.start();
  std::string text;
  // The client answers unavailable until it has connected: ask until Redis answers.
  const bool answered = eventually([&] {
    auto answer = std::make_shared<std::promise<std::string>>();
    auto info = answer->get_future();
    client.command({"INFO", "commandstats"}, [answer](const Result<redis::RedisReply>& reply) {
      answer->set_value(reply && !reply->is_error() ? reply->str : std::string());
    });
    if (info.wait_for(10s) != std::future_status::ready) return false;
    text = info.get();
    return text.find("cmdstat_") != std::string::npos;
  });
  if (!answered) return -1;
  const std::string key = "cmdstat_pubsub|numsub:calls=";
  auto at = text.find(key);
  if (at == std::string::npos) return 0;
  return std::stoll(text.substr(at + key.size()));
}

TEST(RedisEventBus, ConnectedUsersAreAskedAboutInOneRoundTrip) {
  Cluster cluster(1);
  auto a = cluster.node();
  auto b = cluster.node();
  auto observer = cluster.node();
  auto on_a = connect(*a, *observer, "batch-u1", "d");
  auto on_b = connect(*b, *observer, "batch-u2", "d");

  const std::vector<UserId> users{"batch-u1", "nobody-1", "batch-u2", std::string("nobody \xff\x00 2", 11), "batch-u1"};
  const long long before = numsub_calls();
  const std::vector<bool> answer = observer->connected_users(users);
  const long long after = numsub_calls();
  EXPECT_EQ(answer, (std::vector<bool>{true, false, true, false, true}));
  EXPECT_EQ(after - before, 1) << "one PUBSUB NUMSUB for all five";

  // Users connected to the node itself need no question at all.
  const long long local_before = numsub_calls();
  const std::vector<UserId> own{"batch-u1"};
  EXPECT_EQ(a->connected_users(own), std::vector<bool>{true});
  EXPECT_EQ(numsub_calls(), local_before);
  EXPECT_TRUE(a->connected_users({}).empty());
}

}  // namespace
}  // namespace parley
