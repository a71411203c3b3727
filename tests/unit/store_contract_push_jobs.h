#pragma once
// Store contract, push jobs: the tests every PushJobStore adapter must pass,
// as a gtest type-parameterized suite. Unit tests run it on MemoryStore and
// RocksStore, tests/cluster on MariaDbPushJobStore:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Store, PushJobStoreContract, Types, Names);
// A new test must also be named in the REGISTER line at the end.
#include <atomic>
#include <set>
#include <thread>

#include "store_contract_fixture.h"

namespace parley::testing {

template <typename S>
class PushJobStoreContract : public StoreContractTest<S> {
 protected:
  // Plans `jobs` on shard 0 from `from` to `up_to`; answers them with their ids.
  std::vector<PushJob> plan(std::vector<PushJob> jobs, std::optional<LogOffset> from, LogOffset up_to) {
    Status ok = this->push_jobs().put_planned_push_jobs(jobs, 0, from, up_to);
    if (!ok) throw std::runtime_error("plan failed: " + ok.error().message);
    return jobs;
  }
  std::vector<PushJob> stored() { return must(this->push_jobs().load_push_jobs(0)); }
  PushClaim claim(std::uint64_t id, const std::string& owner, TimeMs now, TimeMs until) {
    auto claims = must(this->push_jobs().claim_push_jobs({id}, owner, now, until));
    if (claims.size() != 1) throw std::runtime_error("one claim per id expected");
    return claims.front();
  }
};
TYPED_TEST_SUITE_P(PushJobStoreContract);

TYPED_TEST_P(PushJobStoreContract, StartsEmptyAndUnplanned) {
  EXPECT_TRUE(this->stored().empty());
  EXPECT_FALSE(must(this->push_jobs().push_planned_offset(0)).has_value());
}

TYPED_TEST_P(PushJobStoreContract, PlannedJobsGetFreshIdsAndLoadWithEveryField) {
  PushJob webpush = make_push_job(0);
  webpush.provider = "webpush";
  webpush.p256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
  webpush.auth = "BTBZMqHH6r4Tts7J_aSIgg";
  auto jobs = this->plan({make_push_job(0), webpush}, std::nullopt, 10);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_NE(jobs[0].id, 0u);
  EXPECT_NE(jobs[0].id, jobs[1].id);
  EXPECT_EQ(must(this->push_jobs().push_planned_offset(0)), std::optional<LogOffset>(10));
  auto loaded = this->stored();
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_LT(loaded[0].id, loaded[1].id) << "id order";
  for (std::size_t i = 0; i < 2; ++i) {
    auto& expected = jobs[loaded[0].id == jobs[0].id ? i : 1 - i];
    EXPECT_EQ(fields(loaded[i]), fields(expected));
    EXPECT_EQ(loaded[i].shard, 0u);
  }
}

TYPED_TEST_P(PushJobStoreContract, HostileBytesRoundTrip) {
  PushJob job = make_push_job(0);
  job.user_id = std::string("u\0ser ", 6);  // a NUL and a trailing space
  job.device_id = "dev\xff";
  job.chat_id = "chat ";
  job.sender_id = "s\x01";
  job.preview = "caf\xc3\xa9 \xf0\x9f\x98\x80";  // multi-byte UTF-8
  auto planned = this->plan({job}, std::nullopt, 1);
  auto loaded = this->stored();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(fields(loaded[0]), fields(planned[0]));
}

TYPED_TEST_P(PushJobStoreContract, PlanningIsACompareAndSetOnThePlannedOffset) {
  this->plan({make_push_job(0)}, std::nullopt, 10);
  for (std::optional<LogOffset> stale : {std::optional<LogOffset>(), std::optional<LogOffset>(0),
                                         std::optional<LogOffset>(5), std::optional<LogOffset>(11)}) {
    std::vector<PushJob> late{make_push_job(0)};
    Status refused = this->push_jobs().put_planned_push_jobs(late, 0, stale, 20);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::conflict);
  }
  EXPECT_EQ(this->stored().size(), 1u) << "a refused plan stores nothing";
  EXPECT_EQ(must(this->push_jobs().push_planned_offset(0)), std::optional<LogOffset>(10));
  this->plan({make_push_job(0)}, 10, 20);
  EXPECT_EQ(must(this->push_jobs().push_planned_offset(0)), std::optional<LogOffset>(20));
  EXPECT_EQ(this->stored().size(), 2u);
  this->plan({}, 20, 20);  // nothing new: still fine
  std::vector<PushJob> none;
  Status back = this->push_jobs().put_planned_push_jobs(none, 0, 20, 4);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, ErrorCode::invalid_request);
  EXPECT_EQ(must(this->push_jobs().push_planned_offset(0)), std::optional<LogOffset>(20));
}

TYPED_TEST_P(PushJobStoreContract, OfPlannersRacingForOneRangeExactlyOneWins) {
  this->plan({}, std::nullopt, 0);
  for (LogOffset round = 0; round < 5; ++round) {
    std::atomic<int> won{0};
    std::atomic<int> lost{0};
    std::vector<std::thread> planners;
    for (int p = 0; p < 4; ++p) {
      planners.emplace_back([&] {
        std::vector<PushJob> jobs{make_push_job(0)};
        Status ok = this->push_jobs().put_planned_push_jobs(jobs, 0, round * 10, round * 10 + 10);
        if (ok) {
          ++won;
        } else if (ok.error().code == ErrorCode::conflict) {
          ++lost;
        }
      });
    }
    for (auto& t : planners) t.join();
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(lost.load(), 3);
  }
  EXPECT_EQ(this->stored().size(), 5u);
}

TYPED_TEST_P(PushJobStoreContract, IdsAreNeverReusedAfterADelete) {
  auto first = this->plan({make_push_job(0)}, std::nullopt, 1);
  ASSERT_TRUE(this->push_jobs().delete_push_job(first[0].id).ok());
  auto second = this->plan({make_push_job(0)}, 1, 2);
  EXPECT_GT(second[0].id, first[0].id);
}

TYPED_TEST_P(PushJobStoreContract, DeleteRemovesOnlyThatJob) {
  auto jobs = this->plan({make_push_job(0), make_push_job(0)}, std::nullopt, 1);
  ASSERT_TRUE(this->push_jobs().delete_push_job(jobs[0].id).ok());
  ASSERT_TRUE(this->push_jobs().delete_push_job(jobs[0].id).ok());  // absent: still fine
  auto loaded = this->stored();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].id, jobs[1].id);
}

TYPED_TEST_P(PushJobStoreContract, AClaimIsExclusiveUntilItsLeaseEnds) {
  auto jobs = this->plan({make_push_job(0)}, std::nullopt, 1);
  const auto id = jobs[0].id;
  auto a = this->claim(id, "node-a", 1'000, 2'000);
  EXPECT_EQ(a.state, PushClaimState::claimed);
  EXPECT_EQ(fields(a.job), fields(jobs[0]));
  auto b = this->claim(id, "node-b", 1'500, 2'500);
  EXPECT_EQ(b.state, PushClaimState::held);
  EXPECT_EQ(b.held_until, 2'000);
  EXPECT_EQ(this->claim(id, "node-a", 1'900, 3'000).state, PushClaimState::claimed) << "its own claim renews";
  EXPECT_EQ(this->claim(id, "node-b", 2'999, 4'000).state, PushClaimState::held);
  EXPECT_EQ(this->claim(id, "node-b", 3'000, 4'000).state, PushClaimState::claimed) << "the lease ended";
  EXPECT_EQ(this->claim(id, "node-a", 3'001, 5'000).state, PushClaimState::held);
  EXPECT_EQ(this->claim(id + 1000, "node-a", 3'001, 5'000).state, PushClaimState::gone);
  ASSERT_TRUE(this->push_jobs().delete_push_job(id).ok());
  EXPECT_EQ(this->claim(id, "node-b", 3'001, 5'000).state, PushClaimState::gone);
}

TYPED_TEST_P(PushJobStoreContract, ClaimsAnswerEveryIdInOrder) {
  auto jobs = this->plan({make_push_job(0), make_push_job(0), make_push_job(0)}, std::nullopt, 1);
  ASSERT_EQ(this->claim(jobs[1].id, "node-b", 0, 10'000).state, PushClaimState::claimed);
  std::vector<std::uint64_t> ids{jobs[2].id, 999'999, jobs[1].id, jobs[0].id};
  auto claims = must(this->push_jobs().claim_push_jobs(ids, "node-a", 1, 10'000));
  ASSERT_EQ(claims.size(), 4u);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(claims[i].id, ids[i]);
  EXPECT_EQ(claims[0].state, PushClaimState::claimed);
  EXPECT_EQ(claims[1].state, PushClaimState::gone);
  EXPECT_EQ(claims[2].state, PushClaimState::held);
  EXPECT_EQ(claims[3].state, PushClaimState::claimed);
}

TYPED_TEST_P(PushJobStoreContract, OfOwnersClaimingAtOnceEachJobGoesToOne) {
  std::vector<PushJob> many(20, make_push_job(0));
  auto jobs = this->plan(many, std::nullopt, 1);
  std::vector<std::uint64_t> ids;
  for (const auto& job : jobs) ids.push_back(job.id);
  std::vector<std::vector<PushClaim>> answers(4);
  std::vector<std::thread> owners;
  for (std::size_t o = 0; o < answers.size(); ++o) {
    owners.emplace_back([&, o] {
      answers[o] = must(this->push_jobs().claim_push_jobs(ids, "node-" + std::to_string(o), 100, 60'000));
    });
  }
  for (auto& t : owners) t.join();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    int claimed = 0;
    for (const auto& answer : answers) claimed += answer.at(i).state == PushClaimState::claimed ? 1 : 0;
    EXPECT_EQ(claimed, 1) << "job " << ids[i];
  }
}

TYPED_TEST_P(PushJobStoreContract, ARescheduleKeepsTheClaimUntilTheNextAttempt) {
  auto jobs = this->plan({make_push_job(0)}, std::nullopt, 1);
  PushJob job = this->claim(jobs[0].id, "node-a", 1'000, 2'000).job;
  job.attempts = 4;
  job.next_attempt_at = 9'000;
  EXPECT_TRUE(must(this->push_jobs().reschedule_push_job(job, "node-a")));
  auto loaded = this->stored();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].attempts, 4u);
  EXPECT_EQ(loaded[0].next_attempt_at, 9'000);
  EXPECT_EQ(loaded[0].url, jobs[0].url);
  auto held = this->claim(job.id, "node-b", 5'000, 65'000);
  EXPECT_EQ(held.state, PushClaimState::held);
  EXPECT_EQ(held.held_until, 9'000);
  EXPECT_FALSE(must(this->push_jobs().reschedule_push_job(job, "node-b"))) << "not its claim";
  auto taken = this->claim(job.id, "node-b", 9'000, 69'000);
  ASSERT_EQ(taken.state, PushClaimState::claimed);
  EXPECT_EQ(taken.job.attempts, 4u) << "the new owner sees the attempts so far";
  EXPECT_FALSE(must(this->push_jobs().reschedule_push_job(job, "node-a"))) << "taken over";
  ASSERT_TRUE(this->push_jobs().delete_push_job(job.id).ok());
  EXPECT_FALSE(must(this->push_jobs().reschedule_push_job(job, "node-b"))) << "gone";
  EXPECT_TRUE(this->stored().empty()) << "a reschedule never brings a job back";
}

TYPED_TEST_P(PushJobStoreContract, AReleasedClaimIsFreeAtOnce) {
  auto jobs = this->plan({make_push_job(0), make_push_job(0)}, std::nullopt, 1);
  ASSERT_EQ(this->claim(jobs[0].id, "node-a", 1'000, 61'000).state, PushClaimState::claimed);
  ASSERT_EQ(this->claim(jobs[1].id, "node-b", 1'000, 61'000).state, PushClaimState::claimed);
  // Its own claim, another owner's and an absent job: only the first changes.
  ASSERT_TRUE(this->push_jobs().release_push_jobs({jobs[0].id, jobs[1].id, 999'999}, "node-a").ok());
  EXPECT_EQ(this->claim(jobs[0].id, "node-c", 1'001, 61'001).state, PushClaimState::claimed) << "released";
  auto held = this->claim(jobs[1].id, "node-c", 1'001, 61'001);
  EXPECT_EQ(held.state, PushClaimState::held) << "node-a cannot release node-b's claim";
  EXPECT_EQ(held.held_until, 61'000);
  ASSERT_TRUE(this->push_jobs().release_push_jobs({}, "node-a").ok()) << "nothing to release is no error";
  EXPECT_EQ(this->stored().size(), 2u) << "a release keeps the jobs";
  EXPECT_FALSE(must(this->push_jobs().reschedule_push_job(this->stored()[1], "node-a"))) << "no longer its claim";
}

REGISTER_TYPED_TEST_SUITE_P(PushJobStoreContract, StartsEmptyAndUnplanned, PlannedJobsGetFreshIdsAndLoadWithEveryField,
                            HostileBytesRoundTrip, PlanningIsACompareAndSetOnThePlannedOffset,
                            OfPlannersRacingForOneRangeExactlyOneWins, IdsAreNeverReusedAfterADelete,
                            DeleteRemovesOnlyThatJob, AClaimIsExclusiveUntilItsLeaseEnds, ClaimsAnswerEveryIdInOrder,
                            OfOwnersClaimingAtOnceEachJobGoesToOne, ARescheduleKeepsTheClaimUntilTheNextAttempt,
                            AReleasedClaimIsFreeAtOnce);

}  // namespace parley::testing
