// The message log contract (unit/store_contract_messages.h) and its search
// index (unit/store_contract_search.h) on a one-shard
// MariaDbMessageLog, and the sequencer contract (unit/sequencer_contract.h)
// on MariaDbSequencer over two shards, with other nodes: sequencers with
// their own connections on the same shards, as other parleyd nodes have.
#include <memory>

#include "scratch_database.h"
#include "store/mariadb/mariadb_sequencer.h"
#include "unit/sequencer_actions_contract.h"
#include "unit/sequencer_contract.h"
#include "unit/store_contract_messages.h"
#include "unit/store_contract_search.h"

namespace parley::testing {

struct MariaDbName {
  template <typename S>
  static std::string GetName(int) {
    return "MariaDb";
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Store, MessageLogContract, ::testing::Types<MariaDbMessageLog>, MariaDbName);
INSTANTIATE_TYPED_TEST_SUITE_P(Store, SearchIndexContract, ::testing::Types<MariaDbMessageLog>, MariaDbName);

// A fresh two-shard log per test, and this node's sequencer on it.
class MariaDbSequencerHarness {
 public:
  static constexpr bool kManyNodes = true;

  MariaDbSequencerHarness() { sequencer_.start(); }
  MessageSequencer& sequencer() { return sequencer_; }
  MessageLog& log() { return log_; }
  std::unique_ptr<MessageSequencer> other_node() {
    auto node = std::make_unique<MariaDbSequencer>(shards_.open());
    node->start();
    return node;
  }

 private:
  ScratchShards shards_{2};
  std::shared_ptr<MessageShards> map_ = shards_.open();
  MariaDbMessageLog log_{map_};
  MariaDbSequencer sequencer_{map_};
};

INSTANTIATE_TYPED_TEST_SUITE_P(MariaDb, SequencerContract, ::testing::Types<MariaDbSequencerHarness>, MariaDbName);
INSTANTIATE_TYPED_TEST_SUITE_P(MariaDb, SequencerActionsContract, ::testing::Types<MariaDbSequencerHarness>,
                               MariaDbName);

}  // namespace parley::testing
