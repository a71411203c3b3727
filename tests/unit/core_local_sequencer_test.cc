// LocalSequencer: the MessageSequencer contract on the single node's log,
// in memory and on RocksDB.
#include "core/local_sequencer.h"

#include <future>
#include <memory>
#include <thread>

#include "fakes/faulty_store.h"
#include "fakes/memory_store.h"
#include "held_call.h"
#include "sequencer_actions_contract.h"
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
INSTANTIATE_TYPED_TEST_SUITE_P(Local, SequencerActionsContract, LocalHarnesses);

NewMessage reading(NewMessage m) {
  m.sender_reads = true;
  return m;
}

// With read markers raised in the commit, each sender that reads gets its
// marker at its newest new message of each chat, in the messages' own write;
// a sender that does not read (a line after it left) and a resend raise
// nothing, and a marker never moves back.
TEST(LocalSequencerReadMarkers, RaisedInTheCommitsOwnWrite) {
  MemoryStore memory;
  LocalSequencer sequencer(memory, /*raise_read_markers=*/true);
  ASSERT_TRUE(sequencer.raises_read_markers());
  sequencer.start();
  const std::size_t appends = memory.append_count();
  auto first =
      committed(sequencer.commit({reading(new_message("c1", "a1", "ann")), reading(new_message("c1", "a2", "ann")),
                                  reading(new_message("c2", "b1", "bob")), new_message("c2", "x1", "cat")}));
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(memory.append_count(), appends + 1) << "one write for the messages and their markers";
  EXPECT_EQ(must(memory.read_marker("c1", "ann")), 2u);
  EXPECT_EQ(must(memory.read_marker("c2", "bob")), 1u);
  EXPECT_EQ(must(memory.read_marker("c2", "cat")), 0u) << "a sender that does not read";
  EXPECT_EQ(must(memory.read_marker("c1", "bob")), 0u);

  // Read further by hand, then a resend of an older message: no move back.
  ASSERT_TRUE(memory.raise_read_markers(std::vector<ReadMarker>{{"c1", "ann", 5}}).ok());
  auto again = committed(sequencer.commit({reading(new_message("c1", "a1", "ann"))}));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(must(memory.read_marker("c1", "ann")), 5u);
}

TEST(LocalSequencerReadMarkers, LeftToTheCallerUnlessAsked) {
  MemoryStore memory;
  LocalSequencer sequencer(memory);
  EXPECT_FALSE(sequencer.raises_read_markers());
  sequencer.start();
  ASSERT_EQ(committed(sequencer.commit({reading(new_message("c1", "a1", "ann"))})).size(), 1u);
  EXPECT_EQ(must(memory.read_marker("c1", "ann")), 0u);
}

// A batch that read the chat versions before a change finishes before
// chat_changed() returns: what it stores counts as stored before the change,
// and nothing validated against the old version is stored after it.
TEST(LocalSequencerChatChange, WaitsForTheBatchInFlight) {
  MemoryStore memory;
  FaultyStore faulty(memory);
  LocalSequencer sequencer(faulty);
  sequencer.start();
  HoldFirstCall held;
  faulty.set_hook(StoreMethod::append, held.hook());
  auto in_flight = std::async(
      std::launch::async, [&] { return sequencer.commit({validated_at(new_message("c1", "before-the-change"), 1)}); });
  ASSERT_TRUE(held.wait_entered());
  auto change = std::async(std::launch::async, [&] { return sequencer.chat_changed("c1", 2); });
  // The change must not return while the batch is held; give it the chance
  // to show it would (the outcome, not this wait, is the assertion).
  const bool returned_while_held = change.wait_for(std::chrono::milliseconds(300)) == std::future_status::ready;
  held.release();
  auto outcomes = in_flight.get();
  EXPECT_TRUE(change.get().ok());
  EXPECT_FALSE(returned_while_held) << "the change returned while a batch validated before it was still being stored";
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_TRUE(outcomes[0].ok());
  auto after = sequencer.commit({validated_at(new_message("c1", "after-the-change"), 1)});
  ASSERT_EQ(after.size(), 1u);
  ASSERT_FALSE(after[0].ok());
  EXPECT_EQ(after[0].error().code, ErrorCode::conflict);
}

}  // namespace
}  // namespace parley::testing
