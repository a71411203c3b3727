// MariaDbPushJobStore on the real server: the push job contract
// (unit/store_contract_push_jobs.h) that MemoryStore and RocksStore pass, the
// schema, shards, and two nodes — each a PushPlanner and a PushDispatcher on
// its own connections to one database — where one dies mid-way and the other
// sends every job exactly once.

#include <atomic>
#include <future>
#include <map>
#include <set>

#include "core/core.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_credentials.h"
#include "fakes/fake_push_placement.h"
#include "fakes/recording_event_sink.h"
#include "fakes/recording_push_sender.h"
#include "poll_until.h"
#include "scratch_database.h"
#include "store/mariadb/connection_pool.h"
#include "store/mariadb/mariadb_schema.h"
#include "unit/store_contract_push_jobs.h"

namespace parley::testing {

struct MariaDbPushName {
  template <typename S>
  static std::string GetName(int) {
    return "MariaDb";
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Store, PushJobStoreContract, ::testing::Types<MariaDbPushJobStore>, MariaDbPushName);

namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout = 30s) {
  return poll_until(pred, timeout, 5ms);
}

TEST(MariaDbPushJobs, TheSchemaIsCreatedOnceAndOpeningAgainChangesNothing) {
  ScratchDatabase db;
  auto first = MariaDbPushJobStore::open(db.config());
  std::vector<PushJob> jobs{make_push_job(0)};
  ASSERT_TRUE(first->put_planned_push_jobs(jobs, 0, std::nullopt, 3).ok());
  auto second = MariaDbPushJobStore::open(db.config());  // another node starting
  EXPECT_EQ(must(second->push_planned_offset(0)), std::optional<LogOffset>(3));
  EXPECT_EQ(must(second->load_push_jobs(0)).size(), 1u);
  auto c = mariadb::Connection::open(db.config().connection, db.name());
  ASSERT_TRUE(c.ok());
  auto version = mariadb::stored_push_schema_version(**c);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, mariadb::kPushSchemaVersion);
  auto engines = (*c)->query(
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
      " AND table_name IN ('push_plans', 'push_jobs') AND engine = 'InnoDB'",
      {});
  ASSERT_TRUE(engines.ok());
  EXPECT_EQ((*engines)[0].u64(0), 2u);
}

TEST(MariaDbPushJobs, AVersion1QueueIsUpgradedInPlaceAndItsJobsAreWebhookJobs) {
  ScratchDatabase db;
  std::vector<PushJob> jobs{make_push_job(0)};
  {
    auto store = MariaDbPushJobStore::open(db.config());
    ASSERT_TRUE(store->put_planned_push_jobs(jobs, 0, std::nullopt, 3).ok());
  }
  auto c = mariadb::Connection::open(db.config().connection, db.name());
  ASSERT_TRUE(c.ok());
  // The queue as a build of push schema version 1 left it.
  ASSERT_TRUE((*c)->run("ALTER TABLE push_jobs DROP COLUMN provider, DROP COLUMN p256dh, DROP COLUMN auth").ok());
  ASSERT_TRUE((*c)->run("UPDATE push_schema_version SET version = 1").ok());
  auto store = MariaDbPushJobStore::open(db.config());
  EXPECT_EQ(must(mariadb::stored_push_schema_version(**c)), mariadb::kPushSchemaVersion);
  auto loaded = must(store->load_push_jobs(0));
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(fields(loaded[0]), fields(jobs[0]));
  EXPECT_EQ(loaded[0].provider, "");
  // New jobs keep their Web Push keys.
  PushJob webpush = make_push_job(0);
  webpush.provider = "webpush";
  webpush.p256dh = "p256dh-key";
  webpush.auth = "auth-key";
  std::vector<PushJob> more{webpush};
  ASSERT_TRUE(store->put_planned_push_jobs(more, 0, 3, 4).ok());
  loaded = must(store->load_push_jobs(0));
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(fields(loaded[1]), fields(more[0]));
}

TEST(MariaDbPushJobs, EachShardHasItsOwnMarkerJobsAndIdsThatNeverCollide) {
  ScratchDatabase db;
  auto store = MariaDbPushJobStore::open(db.config());
  std::set<std::uint64_t> ids;
  for (ShardId shard : {0u, 1u, 7u}) {
    std::vector<PushJob> jobs{make_push_job(0), make_push_job(0)};
    ASSERT_TRUE(store->put_planned_push_jobs(jobs, shard, std::nullopt, 10 + shard).ok());
    for (const auto& job : jobs) {
      EXPECT_EQ(job.shard, shard);
      EXPECT_TRUE(ids.insert(job.id).second) << "id " << job.id << " given twice";
    }
  }
  for (ShardId shard : {0u, 1u, 7u}) {
    EXPECT_EQ(must(store->push_planned_offset(shard)), std::optional<LogOffset>(10 + shard));
    auto jobs = must(store->load_push_jobs(shard));
    ASSERT_EQ(jobs.size(), 2u);
    for (const auto& job : jobs) EXPECT_EQ(job.shard, shard);
  }
  EXPECT_FALSE(must(store->push_planned_offset(2)).has_value());
  std::vector<PushJob> none;
  EXPECT_EQ(store->put_planned_push_jobs(none, 70'000, std::nullopt, 1).error().code, ErrorCode::invalid_request);
}

// A node's push job store that can crash: once `crashed`, the node's stop
// releases none of its claims, as when its process dies.
class CrashablePushJobStore final : public PushJobStore {
 public:
  explicit CrashablePushJobStore(std::unique_ptr<MariaDbPushJobStore> inner) : inner_(std::move(inner)) {}
  void crash() { crashed_ = true; }

  Result<std::optional<LogOffset>> push_planned_offset(ShardId shard) override {
    return inner_->push_planned_offset(shard);
  }
  Status put_planned_push_jobs(std::vector<PushJob>& jobs, ShardId shard, std::optional<LogOffset> from,
                               LogOffset up_to) override {
    return inner_->put_planned_push_jobs(jobs, shard, from, up_to);
  }
  Result<std::vector<PushJob>> load_push_jobs(ShardId shard) override { return inner_->load_push_jobs(shard); }
  Result<std::vector<PushClaim>> claim_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner,
                                                 TimeMs now, TimeMs lease_until) override {
    return inner_->claim_push_jobs(ids, owner, now, lease_until);
  }
  Result<bool> reschedule_push_job(const PushJob& job, const std::string& owner) override {
    return inner_->reschedule_push_job(job, owner);
  }
  Status delete_push_job(std::uint64_t id) override { return inner_->delete_push_job(id); }
  Status release_push_jobs(const std::vector<std::uint64_t>& ids, const std::string& owner) override {
    if (crashed_) return make_error(ErrorCode::unavailable, "the node crashed");
    return inner_->release_push_jobs(ids, owner);
  }

 private:
  std::unique_ptr<MariaDbPushJobStore> inner_;
  std::atomic<bool> crashed_{false};
};

// Users, chats and the message log of the cluster (in memory here: the push
// job store is what is under test), and a Core whose own planner owns no
// shard, to send messages.
class PushNodesOnMariaDb : public ::testing::Test {
 protected:
  struct Node {
    Node(PushNodesOnMariaDb& t, const std::string& id, std::vector<ShardId> owned, RecordingPushSender::Outcome outcome)
        : store(std::make_unique<CrashablePushJobStore>(MariaDbPushJobStore::open(t.db.config()))),
          sender(outcome),
          placement(id, std::move(owned)),
          dispatcher(*store, sender, t.clock, t.config, id),
          planner(t.log, *store, placement, t.core->chats, t.core->accounts, t.sink, dispatcher, t.config) {
      dispatcher.start();
      planner.start();
    }
    ~Node() {
      planner.stop();
      dispatcher.stop();
    }
    std::unique_ptr<CrashablePushJobStore> store;  // its own connections, as on another machine
    RecordingPushSender sender;
    FakePushPlacement placement;
    PushDispatcher dispatcher;
    PushPlanner planner;
  };

  PushNodesOnMariaDb() {
    config.presence_sweep_ms = 0;
    config.push_coalesce_ms = 0;
    config.push_head_poll_ms = 20;
    config.push_retry_initial_ms = 10;
    config.push_lease_ms = 60'000;
    config.push_stop_grace_ms = 50;
    core = std::make_unique<Core>(config, CorePorts{log, log, log, *path_store, credentials, clock, sink, push_sender,
                                                    nullptr, nullptr, &nobody});
    core->start();
  }
  ~PushNodesOnMariaDb() override { core->stop(); }

  UserId user(const std::string& name, bool push) {
    auto id = core->accounts.signup(name + "@example.org", "password-" + name, name);
    EXPECT_TRUE(id.ok());
    auto device = core->accounts.login(name + "@example.org", "password-" + name, "phone");
    EXPECT_TRUE(device.ok());
    if (push) {
      EXPECT_TRUE(core->accounts.set_push({*id, device->device_id}, {"webhook", "http://127.0.0.1:9/" + name}).ok());
    }
    return *id;
  }
  AuthContext login(const std::string& name) {
    auto r = core->accounts.login(name + "@example.org", "password-" + name, "web");
    EXPECT_TRUE(r.ok());
    return AuthContext{r->user_id, r->device_id};
  }
  LogOffset send(const AuthContext& who, const ChatId& chat, const std::string& id) {
    std::promise<Result<SendAck>> answer;
    auto future = answer.get_future();
    core->pipeline.submit(SendRequest{who, chat, id, "text " + id},
                          [&answer](Result<SendAck> r) { answer.set_value(std::move(r)); });
    auto ack = future.get();
    EXPECT_TRUE(ack.ok());
    return ack.ok() ? ack->offset : 0;
  }
  std::vector<PushJob> stored() {
    auto jobs = db_reader->load_push_jobs(0);
    EXPECT_TRUE(jobs.ok());
    return jobs.ok() ? *jobs : std::vector<PushJob>{};
  }

  ScratchDatabase db;
  std::unique_ptr<MariaDbPushJobStore> path_store = MariaDbPushJobStore::open(db.config());
  std::unique_ptr<MariaDbPushJobStore> db_reader = MariaDbPushJobStore::open(db.config());
  CoreConfig config;
  MemoryStore log;
  FakeCredentials credentials;
  FakeClock clock;
  RecordingEventSink sink;
  RecordingPushSender push_sender;
  FakePushPlacement nobody{"path", {}};
  std::unique_ptr<Core> core;
};

TEST_F(PushNodesOnMariaDb, WhenTheNodeThatQueuedThePushesDiesTheOtherSendsEachExactlyOnce) {
  const UserId ann = user("ann", false);
  auto wa = login("ann");
  std::vector<std::pair<UserId, ChatId>> chats;
  for (int i = 0; i < 6; ++i) {
    UserId u = user("u" + std::to_string(i), true);
    auto chat = core->chats.open_direct(ann, u);
    ASSERT_TRUE(chat.ok());
    chats.emplace_back(u, chat->chat->id);
  }
  std::map<UserId, std::uint32_t> expected;
  auto a = std::make_unique<Node>(*this, "node-a", std::vector<ShardId>{0}, RecordingPushSender::Outcome::held);
  Node b(*this, "node-b", {}, RecordingPushSender::Outcome::delivered);

  // Node a plans and starts sending the first round...
  LogOffset head = 0;
  for (const auto& [u, chat] : chats) {
    head = send(wa, chat, "first-" + u);
    ++expected[u];
  }
  ASSERT_TRUE(eventually([&] { return a->sender.held_count() == chats.size(); }));
  // ...the provider accepts three of them (a deletes those)...
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a->sender.complete_next(true));
  ASSERT_TRUE(eventually([&] { return stored().size() == chats.size() - 3; }));
  std::map<UserId, std::uint32_t> delivered;
  std::set<std::uint64_t> delivered_ids;
  const std::vector<PushJob> sent_by_a = a->sender.sent();
  for (std::size_t i = 0; i < 3; ++i) {
    const PushJob& job = sent_by_a[i];
    delivered[job.user_id] += job.count;
    delivered_ids.insert(job.id);
  }
  // ...and a dies with three claimed and in flight.
  a->store->crash();
  a.reset();

  // More messages while nobody owns the shard.
  for (const auto& [u, chat] : chats) {
    head = send(wa, chat, "second-" + u);
    ++expected[u];
  }
  b.placement.set({0});  // the ring gives b the dead node's shard
  ASSERT_TRUE(eventually([&] { return b.planner.planned_offset() == head; }));
  ASSERT_TRUE(eventually([&] { return b.sender.sent_count() == chats.size(); }))  // the second round
      << b.sender.sent_count();
  EXPECT_EQ(stored().size(), 3u) << "a's claimed jobs wait for its lease";
  clock.advance(config.push_lease_ms);
  ASSERT_TRUE(eventually([&] { return stored().empty(); }));
  ASSERT_TRUE(eventually([&] { return b.dispatcher.pending() == 0; }));

  for (const auto& job : b.sender.sent()) {
    delivered[job.user_id] += job.count;
    EXPECT_TRUE(delivered_ids.insert(job.id).second) << "job " << job.id << " sent twice";
  }
  EXPECT_EQ(delivered, expected) << "every message in exactly one delivered push per device";
  EXPECT_EQ(b.sender.sent_count(), chats.size() + 3);
}

}  // namespace
}  // namespace parley::testing
