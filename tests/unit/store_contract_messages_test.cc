// Store contract: the message log (store_contract_messages.h) and push jobs,
// on MemoryStore and RocksStore.
#include "store_contract_messages.h"

namespace parley::testing {

INSTANTIATE_TYPED_TEST_SUITE_P(Store, MessageLogContract, StoreTypes, StoreTypeNames);

namespace {

template <typename S>
class PushJobStoreContract : public StoreContractTest<S> {};
TYPED_TEST_SUITE(PushJobStoreContract, StoreTypes, StoreTypeNames);

TYPED_TEST(PushJobStoreContract, StartsEmpty) {
  EXPECT_TRUE(must(this->push_jobs().load_push_jobs()).empty());
}

TYPED_TEST(PushJobStoreContract, JobsLoadWithEveryFieldInIdOrder) {
  // 256 sorts before 2 unless ids are keyed big-endian.
  ASSERT_TRUE(this->push_jobs().put_push_jobs({make_push_job(256), make_push_job(2), make_push_job(1)}).ok());
  auto jobs = must(this->push_jobs().load_push_jobs());
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(fields(jobs[0]), fields(make_push_job(1)));
  EXPECT_EQ(fields(jobs[1]), fields(make_push_job(2)));
  EXPECT_EQ(fields(jobs[2]), fields(make_push_job(256)));
}

TYPED_TEST(PushJobStoreContract, PutReplacesById) {
  ASSERT_TRUE(this->push_jobs().put_push_jobs({make_push_job(1)}).ok());
  PushJob retry = make_push_job(1);
  retry.attempts = 5;
  retry.next_attempt_at = 99'000;
  ASSERT_TRUE(this->push_jobs().put_push_jobs({retry}).ok());
  auto jobs = must(this->push_jobs().load_push_jobs());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(fields(jobs[0]), fields(retry));
}

TYPED_TEST(PushJobStoreContract, DeleteRemovesOnlyThatJob) {
  ASSERT_TRUE(this->push_jobs().put_push_jobs({make_push_job(1), make_push_job(2)}).ok());
  ASSERT_TRUE(this->push_jobs().delete_push_job(1).ok());
  ASSERT_TRUE(this->push_jobs().delete_push_job(42).ok());  // absent: still fine
  auto jobs = must(this->push_jobs().load_push_jobs());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, 2u);
}

TYPED_TEST(PushJobStoreContract, PlannedOffsetMovesWithItsJobsAndNeverBack) {
  EXPECT_FALSE(must(this->push_jobs().push_planned_offset()).has_value());
  ASSERT_TRUE(this->push_jobs().put_planned_push_jobs({}, 0).ok());
  EXPECT_EQ(must(this->push_jobs().push_planned_offset()), std::optional<LogOffset>(0));
  ASSERT_TRUE(this->push_jobs().put_planned_push_jobs({make_push_job(1), make_push_job(2)}, 10).ok());
  EXPECT_EQ(must(this->push_jobs().push_planned_offset()), std::optional<LogOffset>(10));
  EXPECT_EQ(must(this->push_jobs().load_push_jobs()).size(), 2u);
  ASSERT_TRUE(this->push_jobs().put_planned_push_jobs({make_push_job(3)}, 4).ok());
  EXPECT_EQ(must(this->push_jobs().push_planned_offset()), std::optional<LogOffset>(10));
  EXPECT_EQ(must(this->push_jobs().load_push_jobs()).size(), 3u);
}

TYPED_TEST(PushJobStoreContract, EmptyPutIsFine) {
  ASSERT_TRUE(this->push_jobs().put_push_jobs({}).ok());
  EXPECT_TRUE(must(this->push_jobs().load_push_jobs()).empty());
}

}  // namespace
}  // namespace parley::testing
