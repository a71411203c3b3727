// The Redis presence registry's pure parts: notices on a user's channel are
// parsed strictly (anything else is dropped), script replies are checked
// before they are believed, and the arguments of a flush are laid out as the
// apply script reads them.

#include <gtest/gtest.h>

#include "presence/redis/presence_scripts.h"

namespace parley::presence {
namespace {

using redis::RedisReply;

TEST(PresenceNotice, ParsesTheOneFormatAndNothingElse) {
  auto ok = parse_notice("1 0a1b 1 1700000000123 1700000000124");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->origin, "0a1b");
  EXPECT_TRUE(ok->online);
  EXPECT_EQ(ok->last_active_at, 1700000000123);
  EXPECT_EQ(ok->version, 1700000000124u);
  ASSERT_TRUE(parse_notice("1 x 0 0 1"));
  EXPECT_FALSE(parse_notice("1 x 0 0 1")->online);
  for (const std::string& bad : std::vector<std::string>{
           "", " ", "1", "2 x 1 5 6", "1 x 2 5 6", "1 x 1 -5 6", "1 x 1 5 0", "1 x 1 5 6 ", " 1 x 1 5 6", "1  x 1 5 6",
           "1 x 1 5 6 7", "1 x 1 5 +6", "1 x 1 5 0x6", "1 x 1 5 99999999999999999999", "1 x 1 5\n 6",
           std::string("1 x 1 5\0 6", 10), "1 x 1 five 6"}) {
    EXPECT_FALSE(parse_notice(bad)) << "accepted: " << bad;
  }
}

TEST(PresenceScriptReplies, TransitionsAreCheckedBeforeTheyAreBelieved) {
  auto row = [](std::string user, long long online, long long la, long long v) {
    return std::vector<RedisReply>{RedisReply::of_string(std::move(user)), RedisReply::of_integer(online),
                                   RedisReply::of_integer(la), RedisReply::of_integer(v)};
  };
  auto two = row("ann", 1, 10, 11);
  auto more = row("b\nb", 0, 20, 21);
  two.insert(two.end(), more.begin(), more.end());
  auto got = parse_transitions(RedisReply::of_array(two));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].event.user_id, "b\nb");
  EXPECT_FALSE((*got)[1].event.online);
  EXPECT_EQ((*got)[1].event.last_active_at, 20);
  EXPECT_EQ((*got)[1].version, 21u);
  EXPECT_TRUE(parse_transitions(RedisReply::of_array({})).ok());

  auto short_row = row("ann", 1, 10, 11);
  short_row.pop_back();
  EXPECT_FALSE(parse_transitions(RedisReply::of_array(short_row)).ok());
  EXPECT_FALSE(parse_transitions(RedisReply::of_array(row("ann", 1, 10, 0))).ok());  // no version
  auto wrong_type = row("ann", 1, 10, 11);
  wrong_type[0] = RedisReply::of_integer(5);
  EXPECT_FALSE(parse_transitions(RedisReply::of_array(wrong_type)).ok());
  EXPECT_FALSE(parse_transitions(RedisReply::of_error("ERR boom")).ok());
  EXPECT_FALSE(parse_transitions(RedisReply::nil()).ok());
}

TEST(PresenceScriptReplies, StatusesMustAnswerEveryUserAskedFor) {
  std::vector<RedisReply> two{RedisReply::of_integer(1), RedisReply::of_integer(10), RedisReply::of_integer(3),
                              RedisReply::of_integer(0), RedisReply::of_integer(0),  RedisReply::of_integer(0)};
  auto got = parse_statuses(RedisReply::of_array(two), 2);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE((*got)[0].status.online);
  EXPECT_EQ((*got)[0].status.last_active_at, 10);
  EXPECT_EQ((*got)[0].version, 3u);
  EXPECT_FALSE((*got)[1].status.online);
  EXPECT_FALSE(parse_statuses(RedisReply::of_array(two), 3).ok());
  two[4] = RedisReply::of_integer(-1);
  EXPECT_FALSE(parse_statuses(RedisReply::of_array(two), 2).ok());
}

TEST(PresenceScriptArguments, AFlushIsLaidOutAsTheApplyScriptReadsIt) {
  std::vector<UserFlush> users{{"ann", {"old"}, {{"phone", 5}}, {{"tab", 4}}}, {"bob", {}, {{"a", 1}, {"b", 2}}, {}}};
  auto args = apply_arguments("P/", users, 100, 30, 60, "org");
  const std::vector<std::string> want{"P/pd", "P/ph:ann", "P/ph:bob", "100", "30", "60", "P/p:",  "org", "ann",
                                      "1",    "old",      "1",        "tab", "4",  "1",  "phone", "5",   "bob",
                                      "0",    "0",        "2",        "a",   "1",  "b",  "2"};
  EXPECT_EQ(args, want);
}

}  // namespace
}  // namespace parley::presence
