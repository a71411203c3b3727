// MariaDbStore against the real server, beyond the store contract (which
// runs against it in store_contract_mariadb_test.cc): the schema it creates,
// several stores (nodes) on one database, hostile strings, and a server that
// goes away and comes back under use.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "scratch_database.h"
#include "services.h"
#include "store/mariadb/mariadb_connection.h"
#include "store/mariadb/mariadb_schema.h"
#include "unit/store_contract_fixture.h"

namespace parley::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Table name, engine and collation of every table, and each table's DDL.
std::vector<std::string> schema_of(const std::string& database) {
  std::vector<std::string> out;
  for (const auto& table : first_column(database,
                                        "SELECT CONCAT(TABLE_NAME, ' ', ENGINE, ' ', TABLE_COLLATION)"
                                        " FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
                                        {std::string_view(database)})) {
    out.push_back(table);
  }
  for (const auto& ddl : first_column(database,
                                      "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME, ' ', COLUMN_TYPE, ' ', IS_NULLABLE)"
                                      " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?"
                                      " ORDER BY TABLE_NAME, ORDINAL_POSITION",
                                      {std::string_view(database)})) {
    out.push_back(ddl);
  }
  return out;
}

TEST(MariaDbSchema, IsCreatedOnInnoDbAndASecondStartChangesNothing) {
  ScratchDatabase db;
  auto store = db.open_store();
  ASSERT_TRUE(store->create_user(make_user("u-1", "one@example.com")).ok());
  const auto first = schema_of(db.name());
  EXPECT_EQ(first_column(db.name(),
                         "SELECT CONCAT(TABLE_NAME, ' ', ENGINE) FROM information_schema.TABLES"
                         " WHERE TABLE_SCHEMA = ? ORDER BY BINARY TABLE_NAME",
                         {std::string_view(db.name())}),
            (std::vector<std::string>{"blocks InnoDB", "chat_members InnoDB", "chats InnoDB", "devices InnoDB",
                                      "direct_pairs InnoDB", "former_members InnoDB", "read_markers InnoDB",
                                      "schema_version InnoDB", "users InnoDB"}));
  EXPECT_EQ(first_column(db.name(), "SELECT version FROM schema_version"),
            std::vector<std::string>{std::to_string(mariadb::kSchemaVersion)});

  auto again = db.open_store();
  EXPECT_EQ(schema_of(db.name()), first);
  EXPECT_EQ(first_column(db.name(), "SELECT version FROM schema_version"),
            std::vector<std::string>{std::to_string(mariadb::kSchemaVersion)});
  // The data survived the second start, and both stores see it.
  EXPECT_TRUE(must(again->find_user("u-1")).has_value());
  EXPECT_TRUE(must(store->find_user_by_email("one@example.com")).has_value());
}

// Runs one statement (DDL included) on `database`.
void run_sql(const std::string& database, const std::string& sql) {
  auto connection = mariadb::Connection::open(mariadb_config(database).connection, database);
  if (!connection) throw std::runtime_error(connection.error().message);
  if (auto ok = (*connection)->run(sql); !ok) throw std::runtime_error(ok.error().message);
}

TEST(MariaDbSchema, AVersion1DatabaseIsUpgradedInPlaceKeepingItsRows) {
  ScratchDatabase fresh;
  (void)fresh.open_store();
  ScratchDatabase db;
  {
    auto store = db.open_store();
    ASSERT_TRUE(store->create_user(make_user("u-1", "one@example.com")).ok());
    ASSERT_TRUE(store->put_device(make_device("d-1", "u-1", "digest-1")).ok());
    Device hooked = make_device("d-2", "u-1", "digest-2");
    hooked.push = PushRegistration{"webhook", "https://hooks.example/p"};
    ASSERT_TRUE(store->put_device(hooked).ok());
    ASSERT_TRUE(store->put_chat(make_group("c-1", {"u-1", "u-2"})).ok());
  }
  // The database as a build of schema version 1 left it.
  run_sql(db.name(), "ALTER TABLE devices DROP COLUMN last_used_at, DROP COLUMN push_p256dh, DROP COLUMN push_auth");
  run_sql(db.name(), "ALTER TABLE chat_members DROP COLUMN joined_seq, DROP COLUMN muted_until, DROP COLUMN pending");
  run_sql(db.name(), "ALTER TABLE users DROP COLUMN presence_visibility, DROP COLUMN disabled");
  run_sql(db.name(), "DROP TABLE blocks");
  run_sql(db.name(), "UPDATE schema_version SET version = 1");
  ASSERT_EQ(first_column(db.name(), "SELECT version FROM schema_version"), std::vector<std::string>{"1"});

  auto store = db.open_store();
  EXPECT_EQ(first_column(db.name(), "SELECT version FROM schema_version"),
            std::vector<std::string>{std::to_string(mariadb::kSchemaVersion)});
  // The same tables and columns as a database created by this build.
  auto upgraded = schema_of(db.name());
  auto created = schema_of(fresh.name());
  EXPECT_EQ(upgraded, created);
  auto device = must(store->find_device_by_token("digest-1"));
  ASSERT_TRUE(device.has_value());
  EXPECT_EQ(device->last_used_at, 0);
  ASSERT_TRUE(store->set_devices_last_used({{"d-1", 4242}}).ok());
  EXPECT_EQ(must(store->find_device("d-1"))->last_used_at, 4242);
  // A registration from before version 4 is a webhook without keys; a Web
  // Push one keeps its keys.
  auto hooked = must(store->find_device("d-2"));
  ASSERT_TRUE(hooked.has_value() && hooked->push.has_value());
  EXPECT_EQ(hooked->push->url, "https://hooks.example/p");
  EXPECT_EQ(hooked->push->p256dh, "");
  hooked->push = PushRegistration{"webpush", "https://push.example/s/1", "p256dh-key", "auth-key"};
  ASSERT_TRUE(store->put_device(*hooked).ok());
  EXPECT_EQ(fields(*must(store->find_device("d-2"))), fields(*hooked));
  EXPECT_TRUE(must(store->find_user("u-1")).has_value());
  // Members stored before version 3 joined at the start and are not muted.
  auto chat = must(store->find_chat("c-1"));
  ASSERT_TRUE(chat.has_value());
  EXPECT_EQ(member_list(*chat), (std::vector<std::string>{"u-1:admin", "u-2:member"}));
  chat->version += 1;
  chat->members[1].joined_seq = 9;
  chat->members[1].muted_until = kMutedForever;
  ASSERT_TRUE(store->put_chat(*chat).ok());
  EXPECT_EQ(member_list(*must(store->find_chat("c-1"))), member_list(*chat));
  // A second start changes nothing more.
  auto again = db.open_store();
  EXPECT_EQ(schema_of(db.name()), upgraded);
}

TEST(MariaDbSchema, NodesStartingAtOnceAllSucceed) {
  for (int round = 0; round < 3; ++round) {
    ScratchDatabase db;
    constexpr int kNodes = 4;
    std::vector<std::unique_ptr<MariaDbStore>> stores(kNodes);
    std::vector<std::string> errors(kNodes);
    std::vector<std::thread> threads;
    for (int i = 0; i < kNodes; ++i) {
      threads.emplace_back([&, i] {
        try {
          stores[i] = db.open_store();
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < kNodes; ++i) {
      EXPECT_EQ(errors[i], "") << "node " << i;
      ASSERT_NE(stores[i], nullptr);
    }
    EXPECT_EQ(first_column(db.name(), "SELECT version FROM schema_version"),
              std::vector<std::string>{std::to_string(mariadb::kSchemaVersion)});
    ASSERT_TRUE(stores[0]->create_user(make_user("u-1", "one@example.com")).ok());
    EXPECT_TRUE(must(stores[kNodes - 1]->find_user("u-1")).has_value());
  }
}

TEST(MariaDbSchema, RefusesADatabaseNameThatIsNotAPlainIdentifier) {
  for (const std::string& name : std::vector<std::string>{"", "parley_x`; DROP DATABASE mysql; --", "parley x",
                                                          "parley-x", std::string(65, 'p')}) {
    EXPECT_THROW(MariaDbStore::open(mariadb_config(name)), std::runtime_error) << name;
  }
}

TEST(MariaDbStore, OneEmailAdmitsOneAccountAcrossNodes) {
  ScratchDatabase db;
  auto node_a = db.open_store();
  auto node_b = db.open_store();
  constexpr int kThreads = 8;
  std::atomic<int> admitted{0};
  std::atomic<int> taken{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      MariaDbStore& node = i % 2 == 0 ? *node_a : *node_b;
      Status s = node.create_user(make_user("u-" + std::to_string(i), "race@example.com"));
      if (s.ok()) ++admitted;
      if (!s.ok() && s.error().code == ErrorCode::email_taken) ++taken;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 1);
  EXPECT_EQ(taken.load(), kThreads - 1);
}

TEST(MariaDbStore, OneDirectChatPerPairAcrossNodes) {
  // Two nodes create "the" direct chat of one pair at once, each under its
  // own id: the pair's primary key admits one, the rest conflict and leave
  // nothing behind.
  ScratchDatabase db;
  auto node_a = db.open_store();
  auto node_b = db.open_store();
  constexpr int kThreads = 8;
  std::atomic<int> created{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      MariaDbStore& node = i % 2 == 0 ? *node_a : *node_b;
      Status s = node.put_chat(i % 3 == 0 ? make_direct("dm-" + std::to_string(i), "amy", "zed")
                                          : make_direct("dm-" + std::to_string(i), "zed", "amy"));
      if (s.ok()) ++created;
      if (!s.ok() && s.error().code == ErrorCode::conflict) ++conflicts;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  auto winner = must(node_b->find_direct_chat("zed", "amy"));
  ASSERT_TRUE(winner.has_value());
  EXPECT_EQ(must(node_a->chats_of_user("amy")), std::vector<ChatId>{*winner});
  EXPECT_EQ(must(node_a->chats_of_user("zed")), std::vector<ChatId>{*winner});
  for (int i = 0; i < kThreads; ++i) {
    const ChatId id = "dm-" + std::to_string(i);
    EXPECT_EQ(must(node_a->find_chat(id)).has_value(), id == *winner) << id;
  }
}

TEST(MariaDbStore, ChatVersionsOrderWritersOnDifferentNodes) {
  // Every writer reads the chat, adds itself, and writes version + 1,
  // re-reading after a conflict: no change is lost, whichever node it
  // comes from, and the version counts every change.
  ScratchDatabase db;
  auto node_a = db.open_store();
  auto node_b = db.open_store();
  ASSERT_TRUE(node_a->put_chat(make_group("c-1", {"owner"})).ok());
  constexpr int kWriters = 6;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      MariaDbStore& node = i % 2 == 0 ? *node_a : *node_b;
      for (int attempt = 0; attempt < 100; ++attempt) {
        auto current = node.find_chat("c-1");
        if (!current.ok() || !current->has_value()) break;
        Chat next = **current;
        next.members.push_back({"w" + std::to_string(i), MemberRole::member});
        next.version += 1;
        Status s = node.put_chat(next);
        if (s.ok()) return;
        if (s.error().code != ErrorCode::conflict) break;
      }
      ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto stored = must(node_b->find_chat("c-1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->version, 1u + kWriters);
  EXPECT_EQ(stored->members.size(), 1u + kWriters);
  for (int i = 0; i < kWriters; ++i) {
    EXPECT_EQ(must(node_a->chats_of_user("w" + std::to_string(i))), std::vector<ChatId>{"c-1"});
  }
}

TEST(MariaDbStore, EmailsAndIdsMatchByteForByte) {
  // A PAD SPACE collation would find "a@x " for "a@x" and refuse the second
  // signup; ids and e-mails are VARBINARY for that reason.
  ScratchDatabase db;
  auto store = db.open_store();
  ASSERT_TRUE(store->create_user(make_user("u-1", "a@example.com")).ok());
  ASSERT_TRUE(store->create_user(make_user("u-2", "a@example.com ")).ok());
  ASSERT_TRUE(store->create_user(make_user("u-1 ", "b@example.com")).ok());
  EXPECT_EQ(must(store->find_user_by_email("a@example.com"))->id, "u-1");
  EXPECT_EQ(must(store->find_user_by_email("a@example.com "))->id, "u-2");
  EXPECT_FALSE(must(store->find_user_by_email("A@example.com")).has_value());
  EXPECT_EQ(must(store->find_user("u-1 "))->email, "b@example.com");
}

TEST(MariaDbStore, HostileStringsRoundTripOrAreRefusedCleanly) {
  ScratchDatabase db;
  auto store = db.open_store();
  using namespace std::string_literals;
  const std::vector<std::string> hostile = {
      "quote ' and \" and `",
      "backslash \\ and \\' and \\0",
      "'; DROP TABLE users; --",
      "nul \0 inside"s,
      "\0"s,
      "emoji \xF0\x9F\x98\x80 and ümlaut",
      "%_ like wildcards %",
      std::string(64 * 1024, 'x'),
      std::string(64 * 1024, '\''),
  };
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    const std::string& s = hostile[i];
    const std::string id = "u-" + std::to_string(i);
    // Names of 64 KiB round-trip; ids and e-mails are at most 255 bytes.
    User user = make_user(id, s.size() <= 255 ? s + "@example.com" : "long" + std::to_string(i) + "@example.com");
    user.display_name = s;
    user.password_hash = s.size() <= 1024 ? s : "hash";
    ASSERT_TRUE(store->create_user(user).ok()) << i;
    auto stored = must(store->find_user(id));
    ASSERT_TRUE(stored.has_value()) << i;
    EXPECT_EQ(fields(*stored), fields(user)) << i;
    EXPECT_EQ(must(store->find_user_by_email(user.email))->id, id) << i;

    Device device = make_device("d-" + std::to_string(i), id, s.size() <= 255 ? s : "digest-" + std::to_string(i));
    device.name = s;
    device.push = PushRegistration{"webhook", s};
    ASSERT_TRUE(store->put_device(device).ok()) << i;
    EXPECT_EQ(fields(*must(store->find_device(device.id))), fields(device)) << i;
    if (!device.token_digest.empty()) {
      EXPECT_EQ(must(store->find_device_by_token(device.token_digest))->id, device.id) << i;
    }

    Chat chat = make_group("c-" + std::to_string(i), {id, s.size() <= 255 ? s : "other"});
    chat.name = s;
    ASSERT_TRUE(store->put_chat(chat).ok()) << i;
    auto stored_chat = must(store->find_chat(chat.id));
    ASSERT_TRUE(stored_chat.has_value()) << i;
    EXPECT_EQ(stored_chat->name, s) << i;
    EXPECT_EQ(member_list(*stored_chat), member_list(chat)) << i;
    if (s.size() <= 255) {
      EXPECT_EQ(must(store->chats_of_user(s)), std::vector<ChatId>{chat.id}) << i;
      ASSERT_TRUE(raise_marker(*store, chat.id, s, 7 + i).ok()) << i;
      EXPECT_EQ(must(store->read_marker(chat.id, s)), 7 + i) << i;
    }
  }

  // Too long for a key column, or not UTF-8 where people read it: refused
  // with an error, nothing stored, and the store keeps working.
  const std::string long_id(64 * 1024, 'i');
  Status long_user = store->create_user(make_user(long_id, "long@example.com"));
  EXPECT_FALSE(long_user.ok());
  EXPECT_FALSE(must(store->find_user_by_email("long@example.com")).has_value());
  EXPECT_FALSE(must(store->find_user(long_id)).has_value());
  EXPECT_FALSE(store->put_chat(make_group(long_id, {"u-0"})).ok());
  EXPECT_FALSE(must(store->find_chat(long_id)).has_value());
  EXPECT_EQ(must(store->chats_of_user("u-0")), std::vector<ChatId>{"c-0"}) << "a failed put_chat left members";

  // Names are utf8mb4 (the core validates them first): not UTF-8 is refused.
  User invalid = make_user("u-invalid", "invalid@example.com");
  invalid.display_name = "\xC3\x28 \xFF\xFE";
  Status invalid_user = store->create_user(invalid);
  ASSERT_FALSE(invalid_user.ok());
  EXPECT_EQ(invalid_user.error().code, ErrorCode::internal);
  EXPECT_NE(invalid_user.error().message.find("Incorrect string value"), std::string::npos)
      << invalid_user.error().message;
  EXPECT_FALSE(must(store->find_user("u-invalid")).has_value());
  // Ids and e-mails are bytes: not UTF-8 is stored and found like any other.
  User binary = make_user("u-\xFF\xFE\x80", "\xFF@example.com");
  binary.display_name = "binary";
  Status binary_user = store->create_user(binary);
  ASSERT_TRUE(binary_user.ok()) << binary_user.error().message;
  EXPECT_EQ(fields(*must(store->find_user(binary.id))), fields(binary));
  EXPECT_EQ(must(store->find_user_by_email(binary.email))->id, binary.id);
  EXPECT_TRUE(must(store->find_user("u-0")).has_value());
}

// ---- Outages -------------------------------------------------------------------

// The longest one call may take while the server does not answer: a dead
// reused connection (read timeout), then a new one (connect timeout), plus
// scheduling slack on a busy machine.
constexpr auto kCallBound = 2s + 2s + 2s + 3s;

// Every call of a store while the server is out: each must fail with
// unavailable, and none may take longer than kCallBound.
void expect_every_call_unavailable(MariaDbStore& store, const std::string& tag) {
  const std::vector<std::pair<std::string, std::function<Status()>>> calls = {
      {"find_user", [&] { return store.find_user("u-1").ok() ? Status(Ok{}) : store.find_user("u-1").error(); }},
      {"create_user", [&] { return store.create_user(make_user("u-out-" + tag, "out-" + tag + "@example.com")); }},
      {"put_chat", [&] { return store.put_chat(make_group("c-out-" + tag, {"u-1"})); }},
      {"set_last_active",
       [&] {
         return store.set_last_active({{"u-1", 99}});
       }},
      {"raise_read_markers", [&] { return raise_marker(store, "c-1", "u-1", 3); }},
      {"chats_of_user",
       [&] {
         auto chats = store.chats_of_user("u-1");
         return chats.ok() ? Status(Ok{}) : Status(chats.error());
       }},
  };
  for (const auto& [name, call] : calls) {
    const auto start = Clock::now();
    Status status = call();
    const auto took = Clock::now() - start;
    EXPECT_FALSE(status.ok()) << name << " succeeded during the outage";
    if (!status.ok()) {
      EXPECT_EQ(status.error().code, ErrorCode::unavailable) << name << ": " << status.error().message;
    }
    EXPECT_LT(took, kCallBound) << name << " took "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  }
}

// Polls until the store answers again (with the same store object).
bool recovers(MariaDbStore& store) {
  const auto deadline = Clock::now() + 60s;
  while (Clock::now() < deadline) {
    if (store.find_user("u-1").ok()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// Every connection of the pool in use at once, so that each is idle (and
// dead) in the pool when the server goes away.
void use_every_connection(MariaDbStore& store) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) EXPECT_TRUE(store.find_user("u-1").ok());
    });
  }
  for (auto& t : threads) t.join();
}

void expect_healthy_again(MariaDbStore& store, const std::string& tag) {
  // No call fails on a connection left over from before the outage.
  for (int i = 0; i < 20; ++i) {
    auto user = store.find_user("u-1");
    ASSERT_TRUE(user.ok()) << "call " << i << " after recovery: " << user.error().message;
    EXPECT_TRUE(user->has_value());
  }
  EXPECT_TRUE(store.create_user(make_user("u-after-" + tag, "after-" + tag + "@example.com")).ok());
  EXPECT_TRUE(store.put_chat(make_group("c-after-" + tag, {"u-1"})).ok());
  EXPECT_EQ(must(store.chats_of_user("u-1")).size(), 2u);
  EXPECT_LE(store.open_connections(), 4u);
}

TEST(MariaDbOutage, ServerRestartedUnderUseFailsCallsUnavailableThenRecoversInPlace) {
  ScratchDatabase db;
  auto store = db.open_store();
  ASSERT_TRUE(store->create_user(make_user("u-1", "one@example.com")).ok());
  ASSERT_TRUE(store->put_chat(make_group("c-1", {"u-1"})).ok());
  use_every_connection(*store);

  auto& svc = cluster_services();
  svc.stop(ClusterServices::kMariaDb);
  expect_every_call_unavailable(*store, "stopped");
  svc.start(ClusterServices::kMariaDb);

  ASSERT_TRUE(recovers(*store));
  expect_healthy_again(*store, "restarted");
}

TEST(MariaDbOutage, ChatLockedByAStuckWriterFailsUnavailableWithinTheReadTimeout) {
  ScratchDatabase db;
  auto store = db.open_store();
  Chat chat = make_group("c-1", {"u-1"});
  ASSERT_TRUE(store->put_chat(chat).ok());

  // Another node's transaction holds the chat's row lock and hangs.
  auto other = mariadb::Connection::open(db.config().connection, db.name());
  ASSERT_TRUE(other.ok()) << other.error().message;
  ASSERT_TRUE((*other)->run("START TRANSACTION").ok());
  ASSERT_TRUE((*other)->query("SELECT version FROM chats WHERE id = ? FOR UPDATE", {"c-1"}).ok());

  chat.version = 2;
  chat.name = "renamed";
  ASSERT_EQ(store->open_connections(), 1u);
  const auto start = Clock::now();
  Status blocked = store->put_chat(chat);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, ErrorCode::unavailable) << blocked.error().message;
  // The server gave up the lock wait before the client's read timeout (2 s).
  EXPECT_LT(took, 2s + 1s);
  // ... and said so: the connection is still good and stays in the pool.
  EXPECT_EQ(store->open_connections(), 1u);
  EXPECT_EQ(must(store->find_chat("c-1"))->version, 1u);

  ASSERT_TRUE((*other)->run("ROLLBACK").ok());
  EXPECT_TRUE(store->put_chat(chat).ok());
  EXPECT_EQ(must(store->find_chat("c-1"))->name, "renamed");
}

// True once every thread of `pid` is stopped: kill() returns before they
// are, and a thread that has not stopped yet may still answer a query.
bool all_threads_stopped(pid_t pid) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto paren = line.rfind(')');
    if (paren == std::string::npos || paren + 2 >= line.size()) return false;
    const char state = line[paren + 2];
    if (state != 'T' && state != 't') return false;
  }
  return !error;
}

// Stops the server (SIGSTOP) until destroyed, so that a failed assertion
// never leaves it frozen for the following tests.
struct Frozen {
  explicit Frozen(pid_t pid) : pid(pid) {
    ::kill(pid, SIGSTOP);
    const auto deadline = Clock::now() + 10s;
    while (!all_threads_stopped(pid) && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  }
  ~Frozen() { ::kill(pid, SIGCONT); }
  pid_t pid;
};

TEST(MariaDbOutage, FrozenServerHoldsNoCallLongerThanTheTimeouts) {
  ScratchDatabase db;
  auto store = db.open_store();
  ASSERT_TRUE(store->create_user(make_user("u-1", "one@example.com")).ok());
  ASSERT_TRUE(store->put_chat(make_group("c-1", {"u-1"})).ok());
  use_every_connection(*store);

  const pid_t pid = cluster_services().pid(ClusterServices::kMariaDb);
  ASSERT_GT(pid, 0);
  {
    // Accepts connections (the kernel does) but answers nothing: the worst
    // case for a blocking client. Calls from several threads at once.
    Frozen frozen(pid);
    ASSERT_TRUE(all_threads_stopped(pid));
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&, i] { expect_every_call_unavailable(*store, "frozen" + std::to_string(i)); });
    }
    for (auto& t : threads) t.join();
  }
  ASSERT_TRUE(recovers(*store));
  expect_healthy_again(*store, "thawed");
}

}  // namespace
}  // namespace parley::testing
