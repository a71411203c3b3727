// A figure, not a test: messages per second one node commits through
// MariaDbSequencer into two shards, by batch size. Disabled in normal runs;
// run it with
//   tests/parley_cluster_tests --gtest_also_run_disabled_tests --gtest_filter='*MariaDbSequencerFigure*'
// It prints and asserts nothing about speed.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scratch_database.h"
#include "store/mariadb/mariadb_sequencer.h"
#include "unit/sequencer_contract.h"

namespace parley::testing {
namespace {

using Clock = std::chrono::steady_clock;

TEST(MariaDbSequencerFigure, DISABLED_MessagesPerSecondByBatchSize) {
  constexpr int kChats = 100;
  constexpr auto kRun = std::chrono::seconds(5);
  for (const int batch_size : {1, 10, 100}) {
    ScratchShards shards(2);
    MariaDbSequencer node(shards.open());
    node.start();
    std::size_t messages = 0, commits = 0;
    const auto start = Clock::now();
    while (Clock::now() - start < kRun) {
      std::vector<NewMessage> batch;
      for (int i = 0; i < batch_size; ++i) {
        const std::size_t n = messages + static_cast<std::size_t>(i);
        batch.push_back(new_message("chat-" + std::to_string(n % kChats), "m-" + std::to_string(n)));
      }
      for (const auto& o : node.commit(batch)) ASSERT_TRUE(o.ok()) << o.error().message;
      messages += batch.size();
      ++commits;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("batch %3d: %7.0f messages/s, %6.1f ms per batch (%zu messages in %.1f s, 2 shards)\n", batch_size,
                static_cast<double>(messages) / seconds, 1000.0 * seconds / static_cast<double>(commits), messages,
                seconds);
  }
}

}  // namespace
}  // namespace parley::testing
