// Acked means durable: kill -9 during a send burst loses no acked message and
// seq continues with no gap after restart. Graceful SIGTERM exits 0 and keeps
// everything; tokens and cursors survive restarts.
#include <algorithm>
#include <map>
#include <mutex>

#include "fixture.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

class DurabilityTest : public ParleyTest {};

// Every message of the chat, oldest first, paging with `after`.
std::vector<MessageInfo> all_messages(Session& s, const std::string& chat_id) {
  std::vector<MessageInfo> out;
  for (std::int64_t after = 0;;) {
    auto page = s.history(chat_id, {.after = after, .limit = 200});
    if (page.empty()) return out;
    out.insert(out.end(), page.begin(), page.end());
    after = page.back().seq;
  }
}

TEST_F(DurabilityTest, KillNineDuringBurstLosesNoAckedMessage) {
  constexpr int kSenders = 3;
  constexpr std::size_t kWindow = 16;  // sends in flight per connection
  constexpr std::size_t kKillAfterAcks = 300;
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());

  std::mutex mu;
  std::map<std::string, std::int64_t> acked;  // client_msg_id -> seq
  std::atomic<std::size_t> ack_count{0};
  std::vector<std::unique_ptr<WsConnection>> conns;
  for (int i = 0; i < kSenders; ++i) conns.push_back(connect(i % 2 == 0 ? alice : bob));

  std::vector<std::thread> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.emplace_back([&, i] {
      WsConnection& ws = *conns[i];
      std::size_t in_flight = 0;
      int k = 0;
      while (ws.is_open()) {
        while (in_flight < kWindow) {
          ws.send_message(chat.chat_id, "c" + std::to_string(i) + "-" + std::to_string(k++), "burst");
          ++in_flight;
        }
        auto reply = ws.next_matching(
            [](const json::object& o) {
              const auto t = str_field(o, "type");
              return t == "ack" || t == "error";
            },
            Ms(2000));
        if (!reply) continue;  // closed (or slow): the loop condition decides
        --in_flight;
        if (str_field(*reply, "type") == "ack") {
          std::lock_guard lock(mu);
          acked[str_field(*reply, "client_msg_id")] = int_field(*reply, "seq");
          ++ack_count;
        }
      }
    });
  }
  const bool enough = eventually([&] { return ack_count.load() >= kKillAfterAcks; }, Ms(60000));
  kill_servers();
  for (auto& t : senders) t.join();
  ASSERT_TRUE(enough) << "only " << ack_count.load() << " acks before the deadline";

  start_servers();  // same data dir, new port
  Session alice2 = resume(alice);
  auto stored = all_messages(alice2, chat.chat_id);
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(seqs_of(stored), range_seq(1, static_cast<std::int64_t>(stored.size())))
      << "stored seqs must be 1..N without gaps";
  std::map<std::string, std::int64_t> stored_by_id;
  for (const auto& m : stored) stored_by_id[m.client_msg_id] = m.seq;
  std::size_t missing = 0;
  for (const auto& [id, seq] : acked) {
    auto it = stored_by_id.find(id);
    if (it == stored_by_id.end()) {
      ++missing;
    } else {
      EXPECT_EQ(it->second, seq) << "acked " << id << " stored under another seq";
    }
  }
  EXPECT_EQ(missing, 0u) << "acked messages lost by kill -9 (of " << acked.size() << ")";
  EXPECT_EQ(alice2.find_chat(chat.chat_id)->last_seq, static_cast<std::int64_t>(stored.size()));

  // seq continues right after the last stored message.
  auto next = alice2.send(chat.chat_id, cmid("after-restart"), "still here");
  EXPECT_EQ(next.seq, static_cast<std::int64_t>(stored.size()) + 1);
  auto ws = connect(alice2);
  auto sent = ws->send_and_wait(chat.chat_id, cmid("after-restart-ws"), "and here");
  ASSERT_TRUE(sent.ok()) << json::serialize(sent.frame);
  EXPECT_EQ(sent.ack->seq, next.seq + 1);
}

TEST_F(DurabilityTest, ResendAfterCrashKeepsItsSeq) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto first = alice.send(chat.chat_id, "crash-dup", "hello");
  kill_servers();
  start_servers();
  Session again = resume(alice);
  // The client did not see the ack (say) and resends after the restart.
  EXPECT_EQ(again.send(chat.chat_id, "crash-dup", "hello").seq, first.seq);
  EXPECT_EQ(again.history(chat.chat_id).size(), 1u);
}

TEST_F(DurabilityTest, SigtermExitsZeroAndKeepsEverything) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  for (int i = 0; i < 5; ++i) alice.send(chat.chat_id, cmid(), "m" + std::to_string(i));
  EXPECT_EQ(terminate_servers(), 0) << "SIGTERM must exit 0";
  start_servers();

  // Tokens survive restarts; so do accounts, chats and history.
  Session alice2 = resume(alice);
  Session bob2 = resume(bob);
  EXPECT_EQ(client::str_field(alice2.me(), "user_id"), alice.user_id());
  EXPECT_NO_THROW(client().login(user_of(bob).email, user_of(bob).password));
  auto chats = bob2.list_chats();
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(chats[0].chat_id, chat.chat_id);
  EXPECT_EQ(chats[0].last_seq, 5);
  EXPECT_EQ(seqs_of(bob2.history(chat.chat_id)), (std::vector<std::int64_t>{5, 4, 3, 2, 1}));
  // A second direct create still finds the same chat.
  EXPECT_EQ(bob2.create_direct(alice.user_id()).chat_id, chat.chat_id);
}

TEST_F(DurabilityTest, SigtermWithOpenConnectionsExitsZero) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto a = connect(alice);
  auto b = connect(bob);
  ASSERT_TRUE(a->send_and_wait(chat.chat_id, cmid(), "hi").ok());
  EXPECT_EQ(terminate_servers(), 0);
  EXPECT_TRUE(a->wait_closed(kWait).has_value());
  EXPECT_TRUE(b->wait_closed(kWait).has_value());
}

TEST_F(DurabilityTest, CursorResumesAcrossRestart) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  std::string cursor;
  {
    auto b = connect(bob);
    alice.send(chat.chat_id, cmid(), "seen");
    ASSERT_TRUE(b->next_message(kWait, chat.chat_id));
    cursor = b->last_cursor();
  }
  kill_servers();
  start_servers();
  Session alice2 = resume(alice);
  Session bob2 = resume(bob);
  alice2.send(chat.chat_id, cmid(), "missed 1");
  alice2.send(chat.chat_id, cmid(), "missed 2");
  auto b = connect(bob2, cursor);
  auto backlog = b->collect_backlog(kWait);
  ASSERT_TRUE(backlog.has_value()) << "no synced after hello with cursor";
  EXPECT_EQ(seqs_of(backlog->messages), (std::vector<std::int64_t>{2, 3}));
}

}  // namespace
}  // namespace parley::testing
