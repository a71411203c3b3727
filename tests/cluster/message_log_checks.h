#pragma once
// Checks of a whole sharded message log after concurrent or interrupted
// commits, as gtest expectations: on every shard the offsets are 1..head
// with none missing or used twice, every chat's seqs are 1..N in offset
// order (gap-free, commit order), and each chat's head is its last seq.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>

#include "store/mariadb/mariadb_message_log.h"
#include "unit/store_contract_fixture.h"

namespace parley::testing {

// Every stored message, by client_msg_id (unique in the tests that use it).
inline std::map<std::string, Message> check_shards(MariaDbMessageLog& log) {
  std::map<std::string, Message> by_id;
  for (ShardId shard = 0; shard < log.shards()->count(); ++shard) {
    const LogOffset head = must(log.shard_head(shard));
    const auto all = must(log.read_log(shard, 0, std::numeric_limits<LogOffset>::max(), 1'000'000));
    EXPECT_EQ(all.size(), head) << "shard " << shard << ": offsets 1..head, each once";
    std::map<ChatId, Seq> last_seq;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const Message& m = all[i];
      EXPECT_EQ(m.offset, i + 1) << "shard " << shard;
      EXPECT_EQ(m.shard, shard);
      EXPECT_EQ(log.shard_of(m.chat_id), shard);
      Seq& last = last_seq[m.chat_id];
      EXPECT_EQ(m.seq, last + 1) << "chat " << m.chat_id << ": seq in offset order, no gap";
      last = m.seq;
      EXPECT_TRUE(by_id.emplace(m.client_msg_id, m).second) << "stored twice: " << m.client_msg_id;
    }
    for (const auto& [chat, last] : last_seq) EXPECT_EQ(must(log.last_seq(chat)), last) << chat;
  }
  return by_id;
}

}  // namespace parley::testing
