// MariaDbSequencer when things break: a node killed in the middle of its
// commits, a COMMIT whose answer is lost, and MariaDB restarted while a node
// commits. Afterwards every chat
// must be gap-free, every acknowledged message stored, nothing stored twice.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "commit_cutting_proxy.h"
#include "message_log_checks.h"
#include "scratch_database.h"
#include "services.h"
#include "store/mariadb/mariadb_sequencer.h"
#include "unit/sequencer_contract.h"

namespace parley::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A batch of `size` messages over four chats, ids "<tag>-<b>-<i>".
std::vector<NewMessage> numbered_batch(const std::string& tag, int b, int size) {
  std::vector<NewMessage> batch;
  for (int i = 0; i < size; ++i) {
    batch.push_back(
        new_message("chat-" + std::to_string((b + i) % 4), tag + "-" + std::to_string(b) + "-" + std::to_string(i)));
  }
  return batch;
}

// In a forked child: a node committing batches until killed, writing the id
// of every acknowledged message to `fd` (one line each) after its commit.
[[noreturn]] void commit_until_killed(const MessageShardsConfig& config, int fd) {
  try {
    MariaDbSequencer node(MessageShards::open(config));  // its own connections
    node.start();
    int failed_in_a_row = 0;
    for (int b = 0;; ++b) {
      const auto batch = numbered_batch("k", b, 5);
      const auto outcomes = node.commit(batch);
      std::string acks;
      for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i].ok()) acks += batch[i].client_msg_id + "\n";
      }
      // A node that cannot commit at all ends, so that the test fails instead of waiting for acks.
      failed_in_a_row = acks.empty() ? failed_in_a_row + 1 : 0;
      if (failed_in_a_row > 50) _exit(3);
      if (!acks.empty() && ::write(fd, acks.data(), acks.size()) != static_cast<ssize_t>(acks.size())) _exit(2);
    }
  } catch (...) {
  }
  _exit(1);
}

TEST(MariaDbSequencerFaults, NodeKilledMidCommitLeavesNoGapAndLosesNoAck) {
  ScratchShards shards(2);
  MariaDbMessageLog log(shards.open());  // creates the schema before the child starts
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    commit_until_killed(shards.config(), fds[1]);
  }
  ::close(fds[1]);
  FILE* acks = ::fdopen(fds[0], "r");
  ASSERT_NE(acks, nullptr);
  std::vector<std::string> acked;
  char line[256];
  // Kill it once it is well into its commits: it is always inside one.
  while (acked.size() < 400 && std::fgets(line, sizeof line, acks) != nullptr) {
    acked.emplace_back(line, std::strlen(line) - 1);
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself: " << status;
  // Acks it wrote before it died.
  while (std::fgets(line, sizeof line, acks) != nullptr) acked.emplace_back(line, std::strlen(line) - 1);
  std::fclose(acks);
  ASSERT_GE(acked.size(), 400u);

  auto stored = check_shards(log);
  for (const auto& id : acked) EXPECT_TRUE(stored.count(id)) << "acknowledged but not stored: " << id;
  // Another node goes on where it stopped: each chat's next seq follows on.
  MariaDbSequencer next(shards.open());
  next.start();
  committed(next.commit(numbered_batch("after", 0, 4)));
  stored = check_shards(log);
  for (int c = 0; c < 4; ++c) {
    EXPECT_EQ(stored.at("after-0-" + std::to_string(c)).seq, must(log.last_seq("chat-" + std::to_string(c))));
  }
}

// The connection is lost after the server committed but before the node
// heard it: the node answers unavailable (it cannot know), and the client's
// resend is answered with the stored messages, not stored again.
TEST(MariaDbSequencerFaults, CommitWhoseAnswerIsLostIsUnavailableAndTheResendIsNotStoredTwice) {
  ScratchShards shards(1);
  MariaDbMessageLog log(shards.open());
  CommitCuttingProxy proxy(cluster_services().mariadb_port());
  MessageShardsConfig through_proxy = shards.config();
  through_proxy.shards[0].host = "127.0.0.1";
  through_proxy.shards[0].port = proxy.port();
  MariaDbSequencer node(MessageShards::open(through_proxy));
  node.start();
  committed(node.commit({new_message("c", "a")}));

  proxy.arm(true);
  const std::vector<NewMessage> batch = {new_message("c", "b"), new_message("c", "d")};
  const auto lost = node.commit(batch);
  proxy.arm(false);
  EXPECT_EQ(proxy.cut(), 1);
  ASSERT_EQ(lost.size(), 2u);
  for (const auto& o : lost) {
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error().code, ErrorCode::unavailable) << o.error().message;
  }
  EXPECT_EQ(node.committed_head().at(0), 1u) << "an unknown outcome does not move the head";
  EXPECT_EQ(must(log.last_seq("c")), 3u) << "the COMMIT did land";

  const auto resent = committed(node.commit(batch));
  ASSERT_EQ(resent.size(), 2u);
  EXPECT_TRUE(resent[0].duplicate);
  EXPECT_EQ(resent[0].message.seq, 2u);
  EXPECT_TRUE(resent[1].duplicate);
  EXPECT_EQ(resent[1].message.seq, 3u);
  EXPECT_EQ(node.committed_head().at(0), 3u) << "seen under the lock";
  EXPECT_EQ(check_shards(log).size(), 3u);
}

TEST(MariaDbSequencerFaults, MariaDbRestartedWhileCommittingAnswersUnavailableThenRecovers) {
  ScratchShards shards(2);
  auto map = shards.open();
  MariaDbSequencer node(map);
  node.start();
  MariaDbMessageLog log(map);

  std::mutex mutex;
  std::vector<NewMessage> unanswered;  // answered unavailable: outcome unknown to the client
  std::vector<std::string> acked, other_errors;
  std::atomic<int> ok_batches{0};
  std::atomic<bool> stop{false};
  std::thread committer([&] {
    for (int b = 0; !stop; ++b) {
      const auto batch = numbered_batch("r", b, 4);
      const auto outcomes = node.commit(batch);
      bool all_ok = true;
      std::lock_guard lock(mutex);
      for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i].ok()) {
          acked.push_back(batch[i].client_msg_id);
        } else {
          all_ok = false;
          if (outcomes[i].error().code == ErrorCode::unavailable) {
            unanswered.push_back(batch[i]);
          } else {
            other_errors.push_back(outcomes[i].error().message);
          }
        }
      }
      if (all_ok) ++ok_batches;
    }
  });
  auto wait_for_batches = [&](int count) {
    const auto deadline = Clock::now() + 60s;
    while (ok_batches < count && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return ok_batches >= count;
  };
  const bool started = wait_for_batches(20);
  cluster_services().restart(ClusterServices::kMariaDb);
  const int before = ok_batches;
  const bool recovered = wait_for_batches(before + 20);
  stop = true;
  committer.join();
  ASSERT_TRUE(started);
  ASSERT_TRUE(recovered) << "no commit succeeded after the restart";
  EXPECT_TRUE(other_errors.empty()) << other_errors.front();
  EXPECT_FALSE(unanswered.empty()) << "no commit ran while the server was down";

  // The clients resend what was not acknowledged, with the same ids: a
  // COMMIT that landed before its answer was lost comes back `duplicate`.
  auto resent = committed(node.commit(unanswered));
  ASSERT_EQ(resent.size(), unanswered.size());
  auto stored = check_shards(log);
  for (const auto& id : acked) EXPECT_TRUE(stored.count(id)) << "acknowledged but not stored: " << id;
  for (const auto& m : unanswered) EXPECT_TRUE(stored.count(m.client_msg_id)) << m.client_msg_id;
  EXPECT_EQ(stored.size(), acked.size() + unanswered.size());
}

}  // namespace
}  // namespace parley::testing
