// Push planning and sending when several nodes share one PushJobStore: no
// range planned twice, a compare-and-set conflict reloads, a shard taken over
// brings its stored jobs, and a claim keeps a job from being sent twice.
// Each "node" is a PushPlanner and a PushDispatcher of its own on the shared
// store; the messages come from one Core whose planner owns no shard.

#include <map>
#include <set>

#include "cluster/hash_ring.h"
#include "core/push_placement.h"
#include "fakes/fake_push_placement.h"
#include "unit/core_fixture.h"
#include "unit/held_call.h"

namespace parley::testing {
namespace {

class PushNodesTest : public CoreTest {
 protected:
  struct Node {
    Node(PushNodesTest& t, const std::string& id, std::vector<ShardId> owned,
         RecordingPushSender::Outcome outcome = RecordingPushSender::Outcome::delivered)
        : sender(outcome),
          placement(id, std::move(owned)),
          dispatcher(t.faults, sender, t.clock, t.config, id),
          planner(t.faults, t.faults, placement, t.core->chats, t.core->accounts, t.sink, dispatcher, t.config) {
      dispatcher.start();
      planner.start();
    }
    ~Node() {
      planner.stop();
      dispatcher.stop();
    }
    RecordingPushSender sender;
    FakePushPlacement placement;
    PushDispatcher dispatcher;
    PushPlanner planner;
  };

  void SetUp() override {
    config.push_head_poll_ms = 10;
    config.push_retry_initial_ms = 5;
    config.push_lease_ms = 60'000;
    config.push_stop_grace_ms = 50;
    // The message path's own planner owns nothing: the nodes below plan.
    core->stop();
    core.reset();
    core = std::make_unique<Core>(config, CorePorts{faults, faults, faults, faults, credentials, clock, sink,
                                                    push_sender, nullptr, nullptr, &nobody});
    core->start();
    ann = make_user("ann");
    bob = make_user("bob");
    chat = direct(ann, bob);
    wa = login("ann");
    phone = login("bob");
    ASSERT_TRUE(core->accounts.set_push(phone, {"webhook", "http://127.0.0.1:9/phone"}).ok());
  }

  // The core's planner polls `nobody`, a member of this class: it must stop
  // before `nobody` is destroyed, not in ~CoreTest, which runs after.
  ~PushNodesTest() override {
    if (core) core->stop();
  }

  // Messages covered per job id, over every push the nodes sent.
  static std::map<std::uint64_t, std::uint32_t> sends(std::initializer_list<const Node*> nodes) {
    std::map<std::uint64_t, std::uint32_t> out;
    for (const Node* node : nodes) {
      for (const auto& job : node->sender.sent()) out[job.id] += 1;
    }
    return out;
  }
  static std::uint32_t covered(std::initializer_list<const Node*> nodes) {
    std::uint32_t total = 0;
    for (const Node* node : nodes) {
      for (const auto& job : node->sender.sent()) total += job.count;
    }
    return total;
  }

  FakePushPlacement nobody{"path", {}};
  UserId ann, bob;
  ChatId chat;
  AuthContext wa, phone;
};

TEST_F(PushNodesTest, TwoPlannersOfOneShardNeverPlanARangeTwice) {
  Node a(*this, "node-a", {0});
  Node b(*this, "node-b", {0});
  constexpr int kMessages = 40;
  LogOffset head = 0;
  for (int i = 1; i <= kMessages; ++i) {
    auto sent = send(wa, chat, "m" + std::to_string(i), "text");
    ASSERT_TRUE(sent.ok());
    head = sent->offset;
  }
  ASSERT_TRUE(eventually([&] { return a.planner.planned_offset() == head && b.planner.planned_offset() == head; }));
  ASSERT_TRUE(eventually([&] { return store.all_push_jobs().empty(); }));
  EXPECT_EQ(covered({&a, &b}), static_cast<std::uint32_t>(kMessages)) << "each message in exactly one push";
  for (const auto& [id, times] : sends({&a, &b})) EXPECT_EQ(times, 1u) << "job " << id << " sent twice";
}

TEST_F(PushNodesTest, ACompareAndSetConflictReloadsTheMarkerAndItsJobs) {
  HoldFirstCall held;
  faults.set_hook(StoreMethod::put_planned_push_jobs, held.hook());
  Node a(*this, "node-a", {0});
  auto sent = send(wa, chat, "m1", "one");
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(held.wait_entered());  // a read the message and is about to store its plan...
  Node b(*this, "node-b", {0});      // ...when b plans the same range first
  ASSERT_TRUE(eventually([&] { return b.planner.planned_offset() == sent->offset; }));
  held.release();
  // a's write is refused; a goes on from b's marker instead of planning again.
  ASSERT_TRUE(eventually([&] { return a.planner.planned_offset() == sent->offset; }));
  ASSERT_TRUE(eventually([&] { return store.all_push_jobs().empty(); }));
  EXPECT_EQ(covered({&a, &b}), 1u);
  EXPECT_EQ(sends({&a, &b}).size(), 1u);
  EXPECT_GE(faults.calls(StoreMethod::put_planned_push_jobs), 2u);
}

TEST_F(PushNodesTest, AShardTakenOverBringsTheDeadNodesJobsSentOnceAfterTheLease) {
  auto a = std::make_unique<Node>(*this, "node-a", std::vector<ShardId>{0}, RecordingPushSender::Outcome::held);
  auto sent = send(wa, chat, "m1", "one");
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(eventually([&] { return a->sender.sent_count() == 1; }));  // claimed, sending...
  faults.fail(StoreMethod::release_push_jobs);                           // ...and the node dies: it releases nothing,
  a.reset();                                                             // the job stays stored, claimed by node-a

  Node b(*this, "node-b", {});
  EXPECT_EQ(b.dispatcher.pending(), 0u);
  b.placement.set({0});                                                  // the ring gives b the shard
  ASSERT_TRUE(eventually([&] { return b.dispatcher.pending() == 1; }));  // taken over
  ASSERT_TRUE(eventually([&] { return faults.calls(StoreMethod::claim_push_jobs) >= 2; }));
  EXPECT_EQ(b.sender.sent_count(), 0u) << "node-a's lease still runs";
  clock.advance(config.push_lease_ms);
  ASSERT_TRUE(eventually([&] { return b.sender.sent_count() == 1; }));
  ASSERT_TRUE(eventually([&] { return store.all_push_jobs().empty(); }));
  EXPECT_EQ(b.sender.sent()[0].seq, sent->seq);
  EXPECT_EQ(b.planner.planned_offset(), sent->offset) << "nothing planned again";
}

TEST_F(PushNodesTest, AGracefulStopHandsUnansweredClaimsToAnotherNodeAtOnce) {
  auto a = std::make_unique<Node>(*this, "node-a", std::vector<ShardId>{0}, RecordingPushSender::Outcome::held);
  auto sent = send(wa, chat, "m1", "one");
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(eventually([&] { return a->sender.held_count() == 1; }));  // sending, unanswered...
  a.reset();  // ...when the node stops: after the grace it gives the claim back
  EXPECT_EQ(faults.calls(StoreMethod::release_push_jobs), 1u);

  Node b(*this, "node-b", {0});
  ASSERT_TRUE(eventually([&] { return b.sender.sent_count() == 1; })) << "sent without waiting for the lease";
  ASSERT_TRUE(eventually([&] { return store.all_push_jobs().empty(); }));
  EXPECT_EQ(b.sender.sent()[0].seq, sent->seq);
}

TEST_F(PushNodesTest, AClaimKeepsAJobFromBeingSentByTwoNodes) {
  Node a(*this, "node-a", {0}, RecordingPushSender::Outcome::held);
  auto sent = send(wa, chat, "m1", "one");
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(eventually([&] { return a.sender.held_count() == 1; }));  // a is sending it
  Node b(*this, "node-b", {0});                                         // b loads the same job when it takes the shard
  ASSERT_TRUE(eventually([&] { return faults.calls(StoreMethod::claim_push_jobs) >= 2; }));
  EXPECT_EQ(b.dispatcher.pending(), 1u);
  EXPECT_EQ(b.sender.sent_count(), 0u) << "held by node-a";
  a.sender.complete_all(true);  // delivered: a deletes it
  ASSERT_TRUE(eventually([&] { return store.all_push_jobs().empty(); }));
  clock.advance(config.push_lease_ms);  // b looks again when a's lease ends: gone
  ASSERT_TRUE(eventually([&] { return b.dispatcher.pending() == 0; }));
  EXPECT_EQ(b.sender.sent_count(), 0u);
  EXPECT_EQ(a.sender.sent_count(), 1u);
}

TEST_F(PushNodesTest, ANodePlansOnlyTheShardsItOwns) {
  store.set_shard_count(4);
  Node a(*this, "node-a", {0, 2});
  Node b(*this, "node-b", {1, 3});
  // Chats on every shard, each with an offline member who has a push device.
  std::set<ShardId> shards;
  for (int i = 0; shards.size() < 4 && i < 200; ++i) {
    auto other = make_user("u" + std::to_string(i));
    auto device = login("u" + std::to_string(i));
    ASSERT_TRUE(core->accounts.set_push(device, {"webhook", "http://127.0.0.1:9/u"}).ok());
    ChatId c = direct(ann, other);
    if (!shards.insert(store.shard_of(c)).second) continue;
    ASSERT_TRUE(send(wa, c, "s" + std::to_string(i), "hi").ok());
  }
  ASSERT_EQ(shards.size(), 4u);
  ASSERT_TRUE(eventually([&] { return a.sender.sent_count() + b.sender.sent_count() == 4; }));
  for (const auto& job : a.sender.sent()) EXPECT_TRUE(job.shard == 0 || job.shard == 2) << job.shard;
  for (const auto& job : b.sender.sent()) EXPECT_TRUE(job.shard == 1 || job.shard == 3) << job.shard;
  EXPECT_EQ(a.planner.planned_offset(1), 0u) << "not its shard";
}

TEST_F(PushNodesTest, TheCommitThreadAsksWhoIsConnectedOncePerBatchNotPerRecipient) {
  // No node plans here: every question comes from the commit thread.
  // A group of ann and five others, none connected.
  std::vector<UserId> members;
  for (int i = 0; i < 5; ++i) members.push_back(make_user("g" + std::to_string(i)));
  auto group = core->chats.create_group(ann, "team", members);
  ASSERT_TRUE(group.ok());
  const std::size_t appends = store.append_count();
  const std::size_t questions = sink.connectivity_questions();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(send(wa, (*group)->id, "g" + std::to_string(i), "hi").ok());
  const std::size_t batches = store.append_count() - appends;
  EXPECT_LE(sink.connectivity_questions() - questions, batches) << "one question per committed batch at most";
}

// The cluster's placement: the hash ring's owner of "push-shard:<n>".
TEST(KeyOwnerPushPlacement, EveryShardHasOneNodeAndANodesDeathMovesOnlyItsShards) {
  constexpr ShardId kShards = 16;
  auto ring_of = [](std::vector<std::string> ids) {
    std::vector<cluster::Member> members;
    for (auto& id : ids) members.push_back({id, "http://" + id});
    return cluster::HashRing::build(members);
  };
  auto placement = [](const std::string& me, std::shared_ptr<const cluster::HashRing> ring) {
    return KeyOwnerPushPlacement(me, kShards, [ring](std::string_view key) -> std::optional<std::string> {
      const cluster::Member* owner = ring->owner(key);
      if (owner == nullptr) return std::nullopt;
      return owner->id;
    });
  };
  auto three = ring_of({"n1", "n2", "n3"});
  std::map<ShardId, std::string> before;
  for (const std::string node : {"n1", "n2", "n3"}) {
    for (ShardId shard : placement(node, three).owned_push_shards()) {
      EXPECT_TRUE(before.emplace(shard, node).second) << "shard " << shard << " on two nodes";
    }
  }
  EXPECT_EQ(before.size(), kShards);
  auto two = ring_of({"n1", "n3"});  // n2 died
  for (const std::string node : {"n1", "n3"}) {
    for (ShardId shard : placement(node, two).owned_push_shards()) {
      EXPECT_TRUE(before[shard] == node || before[shard] == "n2") << "shard " << shard << " moved needlessly";
    }
  }
  EXPECT_TRUE(placement("n1", ring_of({})).owned_push_shards().empty()) << "no ring yet: no shard";
  EXPECT_EQ(push_shard_key(3), "push-shard:3");
}

}  // namespace
}  // namespace parley::testing
