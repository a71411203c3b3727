// LocalSequencer: the MessageSequencer contract on the single node's log,
// in memory and on RocksDB.
#include "core/local_sequencer.h"

#include <memory>

#include "fakes/memory_store.h"
#include "sequencer_contract.h"
#include "store_contract_fixture.h"

namespace parley::testing {
namespace {

template <typename S>
class LocalHarness {
 public:
  static constexpr bool kManyNodes = false;
  LocalHarness() { sequencer_.start(); }
  MessageSequencer& sequencer() { return sequencer_; }
  MessageLog& log() { return scratch_.store(); }
  std::unique_ptr<MessageSequencer> other_node() { return nullptr; }

 private:
  ScratchStore<S> scratch_;
  LocalSequencer sequencer_{scratch_.store()};
};

using LocalHarnesses = ::testing::Types<LocalHarness<MemoryStore>, LocalHarness<RocksStore>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, SequencerContract, LocalHarnesses);

}  // namespace
}  // namespace parley::testing
