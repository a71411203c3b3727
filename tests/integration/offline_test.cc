// Offline storage: a device resumes with its cursor and gets what it missed
// exactly once, in per-chat seq order, then `synced`; two devices of one user
// each get every message.
#include <map>

#include "fixture.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

class OfflineTest : public ParleyTest {};

// Messages of `chat_id` among `frames`, in order.
std::vector<json::object> of_chat(const std::vector<json::object>& frames, const std::string& chat_id) {
  std::vector<json::object> out;
  for (const auto& f : frames) {
    if (str_field(f, "chat_id") == chat_id) out.push_back(f);
  }
  return out;
}

TEST_F(OfflineTest, WelcomeCarriesTheContractFields) {
  Session bob = new_session("bob");
  auto ws = connect(bob);
  const auto& w = ws->welcome();
  EXPECT_EQ(str_field(w, "type"), "welcome");
  EXPECT_EQ(str_field(w, "user_id"), bob.user_id());
  EXPECT_EQ(str_field(w, "device_id"), bob.device_id());
  EXPECT_GT(int_field(w, "heartbeat_interval_ms"), 0);
  EXPECT_EQ(int_field(w, "max_text_bytes"), 4096);  // the server's default limit, for clients to enforce
  EXPECT_FALSE(str_field(w, "cursor").empty());
}

TEST_F(OfflineTest, WithoutCursorOnlyLiveTraffic) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  alice.send(chat.chat_id, cmid(), "old");
  auto b = connect(bob);
  alice.send(chat.chat_id, cmid(), "new");
  auto m = b->next_message(kWait);
  ASSERT_TRUE(m);
  EXPECT_EQ(str_field(*m, "text"), "new") << "without cursor, no backlog is replayed";
  EXPECT_EQ(int_field(*m, "seq"), 2);
  for (const auto& f : b->history()) EXPECT_NE(client::frame_type(f), "synced");
}

TEST_F(OfflineTest, ResumeGetsBacklogOnceInOrderThenSynced) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  ChatInfo direct = alice.create_direct(bob.user_id());
  ChatInfo group = carol.create_group("g", {alice.user_id(), bob.user_id()});

  std::string cursor;
  {
    auto b = connect(bob);
    alice.send(direct.chat_id, cmid(), "live 1");
    auto m = b->next_message(kWait, direct.chat_id);
    ASSERT_TRUE(m);
    cursor = str_field(*m, "cursor");
    ASSERT_FALSE(cursor.empty());
    b->close();
  }
  // Bob is offline: 10 direct and 6 group messages, interleaved.
  for (int i = 0; i < 10; ++i) {
    alice.send(direct.chat_id, cmid(), "direct " + std::to_string(i));
    if (i % 2 == 0) carol.send(group.chat_id, cmid(), "group " + std::to_string(i));
    if (i % 3 == 0) alice.send(group.chat_id, cmid(), "group a " + std::to_string(i));
  }
  const auto group_last = alice.find_chat(group.chat_id)->last_seq;

  auto b = connect(bob, cursor);
  auto backlog = b->collect_backlog(kWait);
  ASSERT_TRUE(backlog.has_value()) << "no synced frame";
  EXPECT_FALSE(str_field(backlog->synced, "cursor").empty());
  EXPECT_EQ(seqs_of(of_chat(backlog->messages, direct.chat_id)), range_seq(2, 11));
  EXPECT_EQ(seqs_of(of_chat(backlog->messages, group.chat_id)), range_seq(1, group_last));
  EXPECT_EQ(backlog->messages.size(), 10u + static_cast<std::size_t>(group_last));
  for (const auto& m : backlog->messages) {
    EXPECT_FALSE(str_field(m, "text").empty());
    EXPECT_FALSE(str_field(m, "sender_id").empty());
    EXPECT_FALSE(str_field(m, "client_msg_id").empty());
  }

  // Then live traffic.
  alice.send(direct.chat_id, cmid(), "live 2");
  auto live = b->next_message(kWait, direct.chat_id);
  ASSERT_TRUE(live);
  EXPECT_EQ(int_field(*live, "seq"), 12);
  const std::string last = b->last_cursor();
  b->close();

  // Resuming from the newest cursor replays nothing: exactly once.
  auto again = connect(bob, last);
  auto empty = again->collect_backlog(kWait);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->messages.empty()) << "already-seen messages replayed";
}

TEST_F(OfflineTest, CursorOfWelcomeAndSyncedAreResumePoints) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  alice.send(chat.chat_id, cmid(), "before first connect");
  std::string welcome_cursor;
  {
    auto b = connect(bob);
    welcome_cursor = str_field(b->welcome(), "cursor");
  }
  alice.send(chat.chat_id, cmid(), "missed");
  auto b = connect(bob, welcome_cursor);
  auto backlog = b->collect_backlog(kWait);
  ASSERT_TRUE(backlog);
  EXPECT_EQ(seqs_of(backlog->messages), (std::vector<std::int64_t>{2}));
  const std::string synced_cursor = str_field(backlog->synced, "cursor");
  b->close();

  alice.send(chat.chat_id, cmid(), "missed again");
  auto b2 = connect(bob, synced_cursor);
  auto backlog2 = b2->collect_backlog(kWait);
  ASSERT_TRUE(backlog2);
  EXPECT_EQ(seqs_of(backlog2->messages), (std::vector<std::int64_t>{3}));
}

TEST_F(OfflineTest, TwoDevicesOfOneUserEachGetEveryMessage) {
  Session alice = new_session("alice");
  Session phone = new_session("bob");
  Session laptop = another_device(phone, "laptop");
  ChatInfo chat = alice.create_direct(phone.user_id());
  auto p = connect(phone);
  std::string laptop_cursor;
  {
    auto l = connect(laptop);
    laptop_cursor = str_field(l->welcome(), "cursor");
  }
  // Laptop offline, phone online.
  for (int i = 0; i < 8; ++i) alice.send(chat.chat_id, cmid(), "m" + std::to_string(i));
  std::vector<json::object> phone_got;
  for (int i = 0; i < 8; ++i) {
    auto m = p->next_message(kWait, chat.chat_id);
    ASSERT_TRUE(m);
    phone_got.push_back(*m);
  }
  EXPECT_EQ(seqs_of(phone_got), range_seq(1, 8));

  auto l = connect(laptop, laptop_cursor);
  auto backlog = l->collect_backlog(kWait);
  ASSERT_TRUE(backlog);
  EXPECT_EQ(seqs_of(backlog->messages), range_seq(1, 8)) << "the phone's delivery must not consume the laptop's";

  // Both online: both get the next one, once.
  alice.send(chat.chat_id, cmid(), "both");
  auto on_phone = p->next_message(kWait, chat.chat_id);
  auto on_laptop = l->next_message(kWait, chat.chat_id);
  ASSERT_TRUE(on_phone && on_laptop);
  EXPECT_EQ(int_field(*on_phone, "seq"), 9);
  EXPECT_EQ(int_field(*on_laptop, "seq"), 9);
}

TEST_F(OfflineTest, MessagesSentWhileResumingAreNeitherLostNorDuplicated) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  std::string cursor;
  {
    auto b = connect(bob);
    cursor = str_field(b->welcome(), "cursor");
  }
  for (int i = 0; i < 50; ++i) alice.send(chat.chat_id, cmid(), "backlog");
  auto a = connect(alice);
  // Keep sending while bob resumes.
  std::thread sender([&] {
    for (int i = 0; i < 50; ++i) a->send_message(chat.chat_id, cmid(), "during resume");
  });
  auto b = connect(bob, cursor);
  sender.join();
  std::vector<json::object> got;
  for (int i = 0; i < 100; ++i) {
    auto m = b->next_message(kWait, chat.chat_id);
    if (!m) break;
    got.push_back(*m);
  }
  EXPECT_EQ(seqs_of(got), range_seq(1, 100));
  EXPECT_TRUE(b->next_of_type("synced", kWait).has_value());
}

}  // namespace
}  // namespace parley::testing
