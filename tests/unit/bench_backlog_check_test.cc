// parley-bench's backlog check: the resuming device must get every acked
// message once, in seq order, before `synced`, and nothing else.

#include <gtest/gtest.h>

#include "backlog_check.h"

namespace parley::bench {
namespace {

BacklogCheck three_messages() {
  return BacklogCheck("chat", {"m0", "m1", "m2"});
}

TEST(BenchBacklogCheck, EveryMessageOnceInOrderIsComplete) {
  BacklogCheck check = three_messages();
  check.on_message("chat", 1, "m0", false);
  check.on_message("chat", 2, "m1", false);
  EXPECT_FALSE(check.complete());
  check.on_message("chat", 3, "m2", false);
  EXPECT_TRUE(check.complete());
  EXPECT_TRUE(check.tally().ok());
  EXPECT_EQ(check.tally().received, 3u);
}

TEST(BenchBacklogCheck, AMissingMessageFails) {
  BacklogCheck check = three_messages();
  check.on_message("chat", 1, "m0", false);
  check.on_message("chat", 3, "m2", false);
  EXPECT_FALSE(check.complete());
  EXPECT_EQ(check.tally().missing, 1u);
  EXPECT_FALSE(check.tally().ok());
}

TEST(BenchBacklogCheck, DuplicatesDisorderStraysAndLateMessagesFail) {
  BacklogCheck check = three_messages();
  check.on_message("chat", 2, "m1", false);
  check.on_message("chat", 1, "m0", false);     // out of order
  check.on_message("chat", 1, "m0", false);     // duplicate
  check.on_message("other", 3, "m2", false);    // another chat
  check.on_message("chat", 4, "m3", false);     // never acked
  check.on_message("chat", 3, "not-m2", true);  // the wrong send, after synced
  const BacklogTally t = check.tally();
  EXPECT_EQ(t.received, 3u);
  EXPECT_EQ(t.missing, 0u);
  EXPECT_EQ(t.out_of_order, 1u);
  EXPECT_EQ(t.duplicates, 1u);
  EXPECT_EQ(t.foreign, 2u);
  EXPECT_EQ(t.mismatched, 1u);
  EXPECT_EQ(t.after_synced, 1u);
  EXPECT_FALSE(t.ok());
}

TEST(BenchBacklogCheck, SeqsNoSendTookAreNotOwed) {
  BacklogCheck check("chat", {"m0", "", "m2"});
  check.on_message("chat", 1, "m0", false);
  check.on_message("chat", 3, "m2", false);
  EXPECT_TRUE(check.complete());
  EXPECT_TRUE(check.tally().ok());
}

}  // namespace
}  // namespace parley::bench
