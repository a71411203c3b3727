// MariaDbSequencer and MariaDbMessageLog on the real server, beyond the
// contracts (message_contract_mariadb_test.cc): the shard map, the schema on
// MyRocks, what the engine must guarantee (synced commits, row locks, the
// session settings), offsets under concurrent nodes, and hostile strings.
// Crashes and outages are in mariadb_sequencer_faults_test.cc.
#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cluster/stable_hash.h"
#include "message_log_checks.h"
#include "scratch_database.h"
#include "store/mariadb/mariadb_schema.h"
#include "store/mariadb/mariadb_sequencer.h"
#include "unit/sequencer_actions_contract.h"
#include "unit/sequencer_contract.h"

namespace parley::testing {
namespace {

std::uint64_t wal_syncs() {
  const auto value = first_column("",
                                  "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                                  " WHERE VARIABLE_NAME = 'ROCKSDB_WAL_SYNCED'");
  if (value.size() != 1) throw std::runtime_error("no Rocksdb_wal_synced status");
  return std::stoull(value[0]);
}

TEST(MessageShardMap, ChatsSpreadOverTheShardsByTheStableHash) {
  ScratchShards shards(2);
  auto map = shards.open();
  std::set<ShardId> used;
  for (int i = 0; i < 64; ++i) used.insert(map->shard_of("chat-" + std::to_string(i)));
  EXPECT_EQ(used, (std::set<ShardId>{0, 1}));
  EXPECT_EQ(map->shard_of("c1"), static_cast<ShardId>(cluster::stable_hash("c1") % 2));
}

TEST(MessageShardMap, RefusesAnEmptyMapAndABadDatabaseName) {
  EXPECT_THROW(MessageShards::open(MessageShardsConfig{}), std::runtime_error);
  EXPECT_THROW(MessageShards::open(shards_on_one_server(mariadb_config("").connection, {"bad`name"})),
               std::runtime_error);
}

TEST(MessageSchema, IsOnMyRocksAndASecondStartChangesNothing) {
  ScratchShards shards(2);
  auto first = shards.open();
  for (const std::string& name : shards.names()) {
    EXPECT_EQ(first_column(name,
                           "SELECT CONCAT(TABLE_NAME, ' ', ENGINE) FROM information_schema.TABLES"
                           " WHERE TABLE_SCHEMA = ? ORDER BY BINARY TABLE_NAME",
                           {std::string_view(name)}),
              (std::vector<std::string>{"chat_heads ROCKSDB", "message_schema_version InnoDB", "messages ROCKSDB",
                                        "search_postings ROCKSDB", "shard_head ROCKSDB"}));
    EXPECT_EQ(first_column(name, "SELECT version FROM message_schema_version"),
              std::vector<std::string>{std::to_string(mariadb::kMessageSchemaVersion)});
    EXPECT_EQ(first_column(name, "SELECT CONCAT(id, ':', last_offset) FROM shard_head"),
              std::vector<std::string>{"1:0"});
  }
  MariaDbSequencer node(first);
  node.start();
  auto stored = committed(node.commit({new_message("c1", "a"), new_message("c2", "b")}));
  // Several nodes starting at once, on a schema that exists: nothing changes.
  std::vector<std::thread> starts;
  std::atomic<int> failed{0};
  for (int i = 0; i < 3; ++i) {
    starts.emplace_back([&] {
      try {
        shards.open();
      } catch (const std::exception&) {
        ++failed;
      }
    });
  }
  for (auto& t : starts) t.join();
  EXPECT_EQ(failed.load(), 0);
  MariaDbMessageLog log(shards.open());
  for (const auto& o : stored) EXPECT_TRUE(must(log.find(o.message.chat_id, o.message.seq)).has_value());
}

// A shard created by a build before message actions (message schema 2, with
// a stored message) is migrated at start: its messages read as text messages
// in their original state, and actions work on them.
TEST(MessageSchema, AShardAtVersionTwoIsMigratedAndKeepsItsMessages) {
  ScratchShards shards(1);
  const std::string name = shards.names()[0];
  auto server = mariadb_config("").connection;
  server.myrocks = true;
  auto opened = mariadb::Connection::open(server, "");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  mariadb::Connection& c = **opened;
  const std::string rocks = " ENGINE=ROCKSDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
  for (const std::string& sql : {
           "CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
           "USE `" + name + "`",
           "CREATE TABLE messages (chat_id VARBINARY(255) NOT NULL, seq BIGINT UNSIGNED NOT NULL,"
           " sender_id VARBINARY(255) NOT NULL, sender_device_id VARBINARY(255) NOT NULL,"
           " client_msg_id VARBINARY(255) NULL, text MEDIUMBLOB NOT NULL, ts BIGINT NOT NULL,"
           " log_offset BIGINT UNSIGNED NOT NULL, PRIMARY KEY (chat_id, seq),"
           " UNIQUE KEY client_msg (chat_id, sender_id, client_msg_id), KEY chat_offset (chat_id, log_offset),"
           " UNIQUE KEY log_offset (log_offset))" +
               rocks,
           "CREATE TABLE shard_head (id TINYINT UNSIGNED NOT NULL, last_offset BIGINT UNSIGNED NOT NULL,"
           " PRIMARY KEY (id))" +
               rocks,
           "CREATE TABLE chat_heads (chat_id VARBINARY(255) NOT NULL, last_seq BIGINT UNSIGNED NOT NULL,"
           " members_version BIGINT UNSIGNED NOT NULL DEFAULT 0, PRIMARY KEY (chat_id))" +
               rocks,
           std::string("CREATE TABLE message_schema_version (id TINYINT UNSIGNED NOT NULL PRIMARY KEY,"
                       " version INT UNSIGNED NOT NULL) ENGINE=InnoDB"),
           std::string("INSERT INTO message_schema_version VALUES (1, 2)"),
           std::string("INSERT INTO shard_head VALUES (1, 1)"),
           std::string("INSERT INTO chat_heads VALUES ('c', 1, 0)"),
           std::string("INSERT INTO messages VALUES ('c', 1, 'ann', 'dev-ann', 'm1', 'stored before', 1000, 1)"),
       }) {
    ASSERT_TRUE(c.run(sql).ok()) << sql;
  }

  auto map = shards.open();
  EXPECT_EQ(first_column(name, "SELECT version FROM message_schema_version"),
            std::vector<std::string>{std::to_string(mariadb::kMessageSchemaVersion)});
  MariaDbMessageLog log(map);
  const Message before = must(log.find("c", 1)).value();
  EXPECT_EQ(before.text, "stored before");
  EXPECT_EQ(before.kind, MessageKind::text);
  EXPECT_EQ(before.edited_at, 0);
  EXPECT_FALSE(before.deleted);
  EXPECT_TRUE(before.reactions.empty());
  // The migration indexed it for search (message schema 5).
  const SearchPosting newest{std::numeric_limits<TimeMs>::max(), std::numeric_limits<Seq>::max()};
  for (const char* term : {"wstored", "wbefore", "pst", "pb"}) {
    const std::vector<SearchPosting> found = must(log.search_postings("c", term, newest, 10));
    EXPECT_EQ(found, (std::vector<SearchPosting>{{1000, 1}})) << term;
  }

  MariaDbSequencer node(map);
  node.start();
  auto done = committed(node.commit({action(MessageKind::edit, "c", "e1", 1, "edited after the upgrade"),
                                     action(MessageKind::reaction, "c", "r1", 1, "👍", "bob")}));
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].message.seq, 2u);
  const Message after = must(log.find("c", 1)).value();
  EXPECT_EQ(after.text, "edited after the upgrade");
  EXPECT_EQ(after.reactions, (std::vector<Reaction>{{"bob", "👍"}}));
  // A second start changes nothing.
  shards.open();
  EXPECT_EQ(must(log.find("c", 1)).value().text, "edited after the upgrade");
}

TEST(MessageSchema, ShardsAndAccountsMayShareADatabase) {
  ScratchDatabase db;
  auto store = db.open_store();
  MariaDbMessageLog log(MessageShards::open(shards_on_one_server(db.config().connection, {db.name()})));
  ASSERT_TRUE(store->create_user(make_user("u-1", "one@example.com")).ok());
  ASSERT_TRUE(log.append({make_message("c", 1, 1)}).ok());
  EXPECT_EQ(must(log.last_seq("c")), 1u);
  EXPECT_TRUE(must(store->find_user("u-1")).has_value());
}

// What the sequencer relies on from the engine, checked on this server.
TEST(MyRocksGuarantees, SessionsReadCommittedWithBoundedLockWaitsAndDeadlockDetection) {
  ScratchShards shards(1);
  auto map = shards.open();
  auto lease = map->pool(0).acquire();
  ASSERT_TRUE(lease.ok());
  auto rows = (*lease)->query(
      "SELECT @@tx_isolation, @@rocksdb_lock_wait_timeout, @@rocksdb_deadlock_detect,"
      " @@global.rocksdb_flush_log_at_trx_commit, @@global.rocksdb_write_disable_wal",
      {});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  const auto& r = rows->front();
  EXPECT_EQ(r.text(0), "READ-COMMITTED");
  EXPECT_EQ(r.text(1), "1");  // read timeout (2 s) - 1
  EXPECT_EQ(r.text(2), "1");
  EXPECT_EQ(r.text(3), "1") << "COMMIT must sync the WAL";
  EXPECT_EQ(r.text(4), "0");
}

TEST(MyRocksGuarantees, EveryCommitSyncsTheWriteAheadLog) {
  ScratchShards shards(2);
  MariaDbSequencer node(shards.open());
  node.start();
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t before = wal_syncs();
    committed(node.commit({new_message("c-" + std::to_string(i), "m")}));
    EXPECT_GT(wal_syncs(), before) << "a commit returned before the WAL was synced";
  }
}

// SELECT ... FOR UPDATE takes the shard head's row lock in MyRocks: a commit
// waits for another node's transaction, gives up with unavailable after the
// lock wait timeout, stores nothing and takes no seq.
TEST(MyRocksGuarantees, ShardHeadLockedElsewhereFailsUnavailableAndTakesNoSeq) {
  ScratchShards shards(1);
  auto map = shards.open();
  MariaDbSequencer node(map);
  node.start();
  MariaDbMessageLog log(map);
  auto config = shards.config().shards[0];
  config.myrocks = true;
  auto other = mariadb::Connection::open(config, config.database);
  ASSERT_TRUE(other.ok()) << other.error().message;
  ASSERT_TRUE((*other)->run("START TRANSACTION").ok());
  ASSERT_TRUE((*other)->query("SELECT last_offset FROM shard_head WHERE id = 1 FOR UPDATE", {}).ok());

  for (auto& o : node.commit({new_message("c", "a"), new_message("c", "b")})) {
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error().code, ErrorCode::unavailable) << o.error().message;
  }
  EXPECT_EQ(must(log.last_seq("c")), 0u);
  EXPECT_EQ(node.committed_head().at(0), 0u);

  ASSERT_TRUE((*other)->run("ROLLBACK").ok());
  auto stored = committed(node.commit({new_message("c", "a"), new_message("c", "b")}));
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].message.seq, 1u);
  EXPECT_EQ(stored[1].message.seq, 2u);
  EXPECT_EQ(stored[1].message.offset, 2u);
}

// Nodes commit into chats of both shards at once: each shard's offsets are
// 1..N with none used twice, every chat's seqs follow its offsets, and every
// acknowledged message is stored where its ack said.
TEST(MariaDbSequencer, OffsetsFollowCommitOrderOnEveryShardUnderConcurrentNodes) {
  constexpr int kNodes = 3, kBatches = 25, kPerBatch = 8;
  ScratchShards shards(2);
  std::vector<std::unique_ptr<MariaDbSequencer>> nodes;
  for (int n = 0; n < kNodes; ++n) {
    nodes.push_back(std::make_unique<MariaDbSequencer>(shards.open()));
    nodes.back()->start();
  }
  std::vector<std::vector<CommitOutcome>> acked(kNodes);
  std::vector<std::thread> threads;
  for (int n = 0; n < kNodes; ++n) {
    threads.emplace_back([&, n] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<NewMessage> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          batch.push_back(new_message("chat-" + std::to_string((b + i) % 6),
                                      "n" + std::to_string(n) + "-" + std::to_string(b) + "-" + std::to_string(i)));
        }
        for (auto& o : nodes[static_cast<std::size_t>(n)]->commit(batch)) {
          if (o.ok()) acked[static_cast<std::size_t>(n)].push_back(*o);
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  MariaDbMessageLog log(shards.open());
  const auto stored = check_shards(log);
  EXPECT_EQ(stored.size(), static_cast<std::size_t>(kNodes * kBatches * kPerBatch));
  for (const auto& node_acks : acked) {
    for (const auto& o : node_acks) {
      auto it = stored.find(o.message.client_msg_id);
      ASSERT_NE(it, stored.end()) << o.message.client_msg_id;
      EXPECT_EQ(it->second.seq, o.message.seq);
      EXPECT_EQ(it->second.offset, o.message.offset);
      EXPECT_EQ(it->second.shard, o.message.shard);
    }
  }
  // Each node's head is a committed one, and reading the heads brings it to the top.
  for (auto& node : nodes) {
    for (ShardId shard = 0; shard < 2; ++shard) {
      EXPECT_LE(node->committed_head().at(shard), must(log.shard_head(shard)));
    }
    ASSERT_TRUE(node->refresh_committed_head().ok());
    for (ShardId shard = 0; shard < 2; ++shard) {
      EXPECT_EQ(node->committed_head().at(shard), must(log.shard_head(shard)));
    }
  }
}

TEST(MariaDbSequencer, HostileIdsAndTextRoundTripOrAreRefusedWhole) {
  ScratchShards shards(2);
  auto map = shards.open();
  MariaDbSequencer node(map);
  node.start();
  MariaDbMessageLog log(map);
  const std::vector<std::string> hostile = {std::string("nul\0inside", 10),
                                            "quote' \"double\" `back` \\ ; DROP TABLE messages; --",
                                            "%_ like wildcards",
                                            std::string("\xff\xfe\xc3\x28 not utf-8", 14),
                                            std::string(128, 'x'),
                                            std::string(255, '\x01'),
                                            "trailing space ",
                                            " "};
  for (const std::string& id : hostile) {
    NewMessage m{id, id, id, id, std::string("text \0 of ", 10) + id, 1};
    auto stored = committed(node.commit({m}));
    ASSERT_EQ(stored.size(), 1u);
    auto found = must(log.find(id, 1));
    ASSERT_TRUE(found.has_value()) << id;
    EXPECT_EQ(fields(*found), fields(stored[0].message));
    EXPECT_EQ(found->text, m.text);
    auto resend = committed(node.commit({m}));
    ASSERT_EQ(resend.size(), 1u);
    EXPECT_TRUE(resend[0].duplicate);
    EXPECT_FALSE(must(log.find(id + " ", 1)).has_value());
  }
  // Longer than a column: refused with an error, and so is the rest of its
  // shard's transaction; nothing of it is stored and no seq is taken.
  const std::string too_long(256, 'y');
  const ChatId neighbour = "n";
  auto outcomes = node.commit({new_message(too_long, "a"), new_message(neighbour, "b")});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_FALSE(outcomes[0].ok());
  EXPECT_EQ(outcomes[1].ok(), map->shard_of(neighbour) != map->shard_of(too_long));
  EXPECT_EQ(must(log.last_seq(too_long)), 0u);
  EXPECT_TRUE(must(log.read_after(too_long, 0, 10)).empty());
  auto next = committed(node.commit({new_message(neighbour, "c")}));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].message.seq, outcomes[1].ok() ? 2u : 1u);
  EXPECT_EQ(log.read_log(7, 0, 10, 10).error().code, ErrorCode::invalid_request);
}

}  // namespace
}  // namespace parley::testing
