// RocksStore beyond the shared contract: durability across close, reopen and
// kill -9, and start-up failures.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <cstdlib>
#include <fstream>
#include <limits>

#include "store/rocks/record_codec.h"
#include "store/rocks/rocks_database.h"
#include "store_contract_fixture.h"

extern char** environ;

namespace parley::testing {
namespace {

constexpr const char* kCrashChildEnv = "PARLEY_STORE_CRASH_CHILD_DIR";
constexpr const char* kNoFilesChildEnv = "PARLEY_STORE_NO_FILES_CHILD_DIR";

// Runs this test binary again with only `filter` and `env_name`=`dir` added
// to the environment; returns its wait status.
int run_child(const std::string& filter_test, const char* env_name, const std::string& dir) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(env_name) + "=" + dir);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string filter = "--gtest_filter=" + filter_test;
  std::string self = "/proc/self/exe";
  char* argv[] = {self.data(), filter.data(), nullptr};
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    execve(self.c_str(), argv, envp.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) return -1;
  return status;
}

// What the writers below store, checked after reopening.
void write_sample(RocksStore& store) {
  ASSERT_TRUE(store.create_user(make_user("u-1", "ann@example.com")).ok());
  ASSERT_TRUE(store.put_device(make_device("d-1", "u-1", "digest-1")).ok());
  ASSERT_TRUE(store.put_chat(make_direct("dm-1", "u-1", "u-2")).ok());
  ASSERT_TRUE(store.append({make_message("dm-1", 1, 1, "u-1", "cm-1"), make_message("dm-1", 2, 2, "u-2", "")}).ok());
  ASSERT_TRUE(store.append({make_message("dm-1", 3, 5, "u-1", "cm-3")}).ok());
  ASSERT_TRUE(raise_marker(store, "dm-1", "u-2", 3).ok());
  std::vector<PushJob> jobs{make_push_job(7)};
  ASSERT_TRUE(store.put_planned_push_jobs(jobs, 0, std::nullopt, 5).ok());
}

void expect_sample(RocksStore& store) {
  auto user = must(store.find_user_by_email("ann@example.com"));
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(fields(*user), fields(make_user("u-1", "ann@example.com")));
  Status duplicate = store.create_user(make_user("u-9", "ann@example.com"));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, ErrorCode::email_taken);

  auto device = must(store.find_device_by_token("digest-1"));
  ASSERT_TRUE(device.has_value());
  EXPECT_EQ(device->id, "d-1");
  EXPECT_EQ(must(store.chats_of_user("u-2")), (std::vector<ChatId>{"dm-1"}));
  EXPECT_EQ(must(store.find_direct_chat("u-2", "u-1")), std::optional<ChatId>("dm-1"));

  EXPECT_EQ(must(store.last_seq("dm-1")), 3u);
  EXPECT_EQ(must(store.last_offset()), 5u);
  EXPECT_EQ(seqs(must(store.read_before("dm-1", 0, 10))), (std::vector<Seq>{3, 2, 1}));
  EXPECT_EQ(seqs(must(store.read_offset_range("dm-1", 2, 5, 10))), (std::vector<Seq>{3}));
  auto resent = must(store.find_by_client_msg_id("dm-1", "u-1", "cm-3"));
  ASSERT_TRUE(resent.has_value());
  EXPECT_EQ(fields(*resent), fields(make_message("dm-1", 3, 5, "u-1", "cm-3")));
  EXPECT_EQ(must(store.read_marker("dm-1", "u-2")), 3u);
  auto jobs = must(store.load_push_jobs(0));
  ASSERT_EQ(jobs.size(), 1u);
  PushJob job = make_push_job(7);
  job.id = 1;  // the store's first
  EXPECT_EQ(fields(jobs[0]), fields(job));
  EXPECT_EQ(must(store.push_planned_offset(0)), std::optional<LogOffset>(5));
}

TEST(RocksStore, DataSurvivesCloseAndReopen) {
  TempDir dir;
  {
    auto store = RocksStore::open(dir.str());
    write_sample(*store);
  }
  auto reopened = RocksStore::open(dir.str());
  expect_sample(*reopened);

  // And the reopened store keeps appending where the old one stopped.
  ASSERT_TRUE(reopened->append({make_message("dm-1", 4, 6)}).ok());
  EXPECT_EQ(must(reopened->last_seq("dm-1")), 4u);
  EXPECT_EQ(must(reopened->last_offset()), 6u);
}

TEST(RocksStore, ReopenSurvivesManyMessagesAcrossFlushes) {
  TempDir dir;
  {
    auto store = RocksStore::open(dir.str());
    LogOffset offset = 0;
    for (Seq s = 1; s <= 500; s += 50) {
      std::vector<Message> batch;
      for (Seq i = s; i < s + 50; ++i) batch.push_back(make_message("big", i, ++offset));
      ASSERT_TRUE(store->append(batch).ok());
    }
  }
  auto store = RocksStore::open(dir.str());
  EXPECT_EQ(must(store->last_seq("big")), 500u);
  EXPECT_EQ(must(store->last_offset()), 500u);
  EXPECT_EQ(seqs(must(store->read_before("big", 300, 2))), (std::vector<Seq>{299, 298}));
  EXPECT_EQ(must(store->read_offset_range("big", 100, 200, 1000)).size(), 100u);
}

// Runs only as the child of DataSurvivesKill9: writes, then dies without
// closing anything, the way kill -9 or a crash would end it.
TEST(RocksStoreCrashChild, WriteThenDie) {
  const char* dir = std::getenv(kCrashChildEnv);
  if (dir == nullptr) GTEST_SKIP() << "runs only as the child process of DataSurvivesKill9";
  auto store = RocksStore::open(dir);
  write_sample(*store);
  if (::testing::Test::HasFailure()) std::_Exit(1);
  (void)store.release();  // never destroyed: nothing gets flushed or closed
  ::raise(SIGKILL);
}

TEST(RocksStore, DataSurvivesKill9) {
  TempDir dir;
  // Built before fork: the child may only call async-signal-safe functions.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(kCrashChildEnv) + "=" + dir.str());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string filter = "--gtest_filter=RocksStoreCrashChild.WriteThenDie";
  std::string self = "/proc/self/exe";
  char* argv[] = {self.data(), filter.data(), nullptr};

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execve(self.c_str(), argv, envp.data());
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with status " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto store = RocksStore::open(dir.str());
  expect_sample(*store);
}

// Runs only as the child of ResumesByItselfAfterRunningOutOfFileDescriptors:
// its own descriptor limit is lowered, which must not touch the parent.
TEST(RocksStoreNoFilesChild, RunOutThenRecover) {
  const char* dir = std::getenv(kNoFilesChildEnv);
  if (dir == nullptr)
    GTEST_SKIP() << "runs only as the child process of ResumesByItselfAfterRunningOutOfFileDescriptors";
  auto store = RocksStore::open(dir);
  ASSERT_TRUE(store->append({make_message("c", 1, 1, "u", "before")}).ok());

  // Use up every descriptor below a lowered limit.
  int open_now = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++open_now;
    closedir(d);
  }
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = static_cast<rlim_t>(open_now + 64);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  std::vector<int> hogs;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) hogs.push_back(fd);

  // Big messages fill the memtable, so RocksDB must open a new WAL file: it cannot.
  const std::string big(1 << 20, 'x');
  Seq seq = 2;
  bool failed = false;
  for (; seq < 200 && !failed; ++seq) {
    Message m = make_message("c", seq, seq, "u", "big-" + std::to_string(seq));
    m.text = big;
    failed = !store->append({m}).ok();
  }
  ASSERT_TRUE(failed) << "no write failed while out of descriptors";
  const Seq last_acked = seq - 2;  // the failed one took seq - 1

  for (int fd : hogs) ::close(fd);
  // The store resumes by itself: a later write succeeds without a restart.
  bool healed = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!healed && std::chrono::steady_clock::now() < deadline) {
    healed = store->append({make_message("c", last_acked + 1, last_acked + 1, "u", "after")}).ok();
    if (!healed) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling for the heal
  }
  ASSERT_TRUE(healed) << "the store stayed failed after descriptors were freed";
  // RocksDB does not resume from a WAL file it could not create: the store reopened it.
  std::uint64_t reopens = 0;
  for (const auto& [name, value] : store->stats()) {
    if (name == "reopens") reopens = value;
  }
  EXPECT_GE(reopens, 1u);
  // Nothing acknowledged was lost.
  auto all = must(store->read_after("c", 0, 1000));
  ASSERT_EQ(all.size(), last_acked + 1);
  for (Seq s = 1; s <= last_acked + 1; ++s) EXPECT_EQ(all[s - 1].seq, s);
  EXPECT_EQ(all.front().client_msg_id, "before");
  EXPECT_EQ(all.back().client_msg_id, "after");
  if (::testing::Test::HasFailure()) std::_Exit(1);
}

TEST(RocksStore, ResumesByItselfAfterRunningOutOfFileDescriptors) {
  TempDir dir;
  int status = run_child("RocksStoreNoFilesChild.RunOutThenRecover", kNoFilesChildEnv, dir.str());
  ASSERT_TRUE(WIFEXITED(status)) << "child died with signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the child's output above";
  // And the data is intact for a fresh open as well.
  auto store = RocksStore::open(dir.str());
  auto first = must(store->find("c", 1));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->client_msg_id, "before");
}

TEST(RocksStore, OpenOnAFileFailsWithTheReason) {
  TempDir dir;
  const std::string file = (dir.path() / "not-a-dir").string();
  std::ofstream(file) << "x";
  try {
    RocksStore::open(file);
    FAIL() << "open succeeded on a regular file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  }
}

// A record that does not decode (a damaged or future format) is an error for
// every read that meets it: never "absent", never skipped from a page.
TEST(RocksStore, UndecodableRecordsAreErrorsNeverSkipped) {
  TempDir dir;
  {
    auto store = RocksStore::open(dir.str());
    write_sample(*store);
    ASSERT_TRUE(store->append({make_message("dm-1", 4, 6, "u-1", "cm-4")}).ok());
  }
  {
    using rocks::Column;
    auto db = rocks::RocksDatabase::open(dir.str());
    rocks::WriteSet garbage;
    const std::string junk = "\xff\xfe not a record";
    garbage.put(Column::messages, rocks::seq_key("dm-1", 2), junk);
    garbage.put(Column::users, "u-1", junk);
    garbage.put(Column::devices, "d-1", junk);
    garbage.put(Column::chats, "dm-1", junk);
    garbage.put(Column::read_markers, rocks::pair_key("dm-1", "u-2"), junk);
    garbage.put(Column::push_jobs, rocks::encode_u64(7), junk);
    garbage.put(Column::client_ids, rocks::client_msg_key("dm-1", "u-1", "cm-4"), junk);
    garbage.put(Column::meta, "last_offset", junk);
    // An offset entry naming a message that is not there.
    garbage.put(Column::offsets, rocks::seq_key("dm-1", 9), rocks::encode_u64(99));
    ASSERT_TRUE(db->write(garbage, rocks::Durability::synced).ok());
  }
  auto store = RocksStore::open(dir.str());
  auto expect_error = [](const auto& result, const char* what) {
    EXPECT_FALSE(result.ok()) << what << " hid an undecodable record";
    if (!result.ok()) {
      EXPECT_EQ(result.error().code, ErrorCode::internal) << what;
    }
  };
  expect_error(store->find("dm-1", 2), "find");
  expect_error(store->read_before("dm-1", 0, 10), "read_before");
  expect_error(store->read_after("dm-1", 0, 10), "read_after");
  expect_error(store->read_offset_range("dm-1", 0, 5, 10), "read_offset_range (bad message)");
  expect_error(store->read_offset_range("dm-1", 5, 9, 10), "read_offset_range (dangling offset)");
  expect_error(store->find_by_client_msg_id("dm-1", "u-1", "cm-4"), "find_by_client_msg_id");
  expect_error(store->last_offset(), "last_offset");
  expect_error(store->find_user("u-1"), "find_user");
  expect_error(store->find_user_by_email("ann@example.com"), "find_user_by_email");
  expect_error(store->find_device("d-1"), "find_device");
  expect_error(store->find_device_by_token("digest-1"), "find_device_by_token");
  expect_error(store->devices_of_user("u-1"), "devices_of_user");
  expect_error(store->find_chat("dm-1"), "find_chat");
  expect_error(store->read_marker("dm-1", "u-2"), "read_marker");
  expect_error(store->load_push_jobs(0), "load_push_jobs");
  // Records around the damage still read.
  EXPECT_EQ(seqs(must(store->read_after("dm-1", 2, 10))), (std::vector<Seq>{3, 4}));
  EXPECT_EQ(must(store->last_seq("dm-1")), 4u);
  // A write that must read the damaged record first fails instead of overwriting blindly.
  EXPECT_FALSE(store->set_last_active({{"u-1", 5}}).ok());
}

// A store written before push planning was per shard and before the store
// gave job ids: its marker is shard 0's, its jobs are shard 0's, and new ids
// continue after the largest stored one.
TEST(RocksStore, PushStateFromBeforeShardsIsShardZeros) {
  TempDir dir;
  {
    using rocks::Column;
    auto db = rocks::RocksDatabase::open(dir.str());
    rocks::WriteSet old;
    old.put(Column::meta, "push_planned", rocks::encode_u64(12));
    old.put(Column::push_jobs, rocks::encode_u64(40), rocks::encode_push_job(make_push_job(40)));
    old.put(Column::push_jobs, rocks::encode_u64(3), rocks::encode_push_job(make_push_job(3)));
    ASSERT_TRUE(db->write(old, rocks::Durability::synced).ok());
  }
  auto store = RocksStore::open(dir.str());
  EXPECT_EQ(must(store->push_planned_offset(0)), std::optional<LogOffset>(12));
  auto jobs = must(store->load_push_jobs(0));
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(fields(jobs[1]), fields(make_push_job(40)));
  EXPECT_EQ(jobs[1].shard, 0u);
  EXPECT_TRUE(must(store->load_push_jobs(1)).empty()) << "one node, one shard";
  EXPECT_EQ(store->push_planned_offset(1).error().code, ErrorCode::invalid_request);

  std::vector<PushJob> fresh{make_push_job(0)};
  ASSERT_TRUE(store->put_planned_push_jobs(fresh, 0, 12, 13).ok());
  EXPECT_EQ(fresh[0].id, 41u);
  store.reset();
  auto reopened = RocksStore::open(dir.str());
  std::vector<PushJob> later{make_push_job(0)};
  ASSERT_TRUE(reopened->put_planned_push_jobs(later, 0, 13, 14).ok());
  EXPECT_EQ(later[0].id, 42u) << "the counter survives a restart";
}

// A store written before the search index existed gets its messages
// indexed once, at open; deleted ones stay out.
TEST(RocksStore, MessagesStoredBeforeTheSearchIndexAreIndexedAtOpen) {
  TempDir dir;
  {
    using rocks::Column;
    auto db = rocks::RocksDatabase::open(dir.str());
    rocks::WriteSet old;
    for (Seq seq = 1; seq <= 5000; ++seq) {
      Message m = make_message("c", seq, seq);
      m.text = seq == 7 ? "rare harbour" : "common words";
      m.deleted = seq == 9;
      old.put(Column::messages, rocks::seq_key("c", seq), rocks::encode_message(m));
    }
    ASSERT_TRUE(db->write(old, rocks::Durability::synced).ok());
  }
  const SearchPosting newest{std::numeric_limits<TimeMs>::max(), std::numeric_limits<Seq>::max()};
  {
    auto store = RocksStore::open(dir.str());
    EXPECT_EQ(must(store->search_postings("c", "wharbour", newest, 10)), (std::vector<SearchPosting>{{4007, 7}}));
    EXPECT_EQ(must(store->search_postings("c", "wcommon", newest, 10000)).size(), 4998u);
  }
  auto reopened = RocksStore::open(dir.str());
  EXPECT_EQ(must(reopened->search_postings("c", "wcommon", newest, 10000)).size(), 4998u);
}

TEST(RocksStore, SecondOpenOfTheSameDirectoryFails) {
  TempDir dir;
  auto first = RocksStore::open(dir.str());
  EXPECT_THROW(RocksStore::open(dir.str()), std::runtime_error);
  // The first one is unaffected.
  EXPECT_TRUE(first->append({make_message("c", 1, 1)}).ok());
}

}  // namespace
}  // namespace parley::testing
