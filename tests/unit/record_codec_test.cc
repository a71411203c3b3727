// The byte layout of RocksStore: records round-trip exactly, damaged bytes are
// rejected rather than misread, and keys sort the way the store relies on.
#include "store/rocks/record_codec.h"

#include <gtest/gtest.h>

#include <limits>

#include "store_contract_fixture.h"

namespace parley::testing {
namespace {

using namespace parley::rocks;

// Every strict prefix of a record, and the record plus a trailing byte, must
// fail to decode.
template <typename Decode>
void expect_rejects_damage(const std::string& bytes, Decode decode) {
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode(std::string_view(bytes).substr(0, n)).has_value()) << "prefix of " << n << " bytes";
  }
  EXPECT_FALSE(decode(bytes + '\0').has_value()) << "trailing byte";
  std::string future = bytes;
  future[0] = static_cast<char>(0x7f);  // an unknown format version
  EXPECT_FALSE(decode(future).has_value()) << "unknown version";
}

TEST(RecordCodec, UserRoundTrips) {
  User user = make_user("u-1", "ann@example.com");
  user.created_at = -5;  // negative times survive the unsigned encoding
  user.last_active_at = std::numeric_limits<TimeMs>::max();
  auto decoded = decode_user(encode_user(user));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(fields(*decoded), fields(user));
  expect_rejects_damage(encode_user(user), decode_user);
}

TEST(RecordCodec, DisabledUserRoundTripsAndOlderUsersAreRead) {
  User user = make_user("u-1", "ann@example.com");
  user.disabled = true;
  user.presence_visibility = PresenceVisibility::nobody;
  auto decoded = decode_user(encode_user(user));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(fields(*decoded), fields(user));
  // Version 2 ended after presence_visibility: not disabled.
  std::string v2 = encode_user(user);
  v2.pop_back();
  v2[0] = 2;
  auto old = decode_user(v2);
  ASSERT_TRUE(old.has_value());
  EXPECT_FALSE(old->disabled);
  EXPECT_EQ(old->presence_visibility, PresenceVisibility::nobody);
  std::string bad = encode_user(user);
  bad.back() = 2;  // neither 0 nor 1
  EXPECT_FALSE(decode_user(bad).has_value());
}

TEST(RecordCodec, DeviceRoundTripsWithAndWithoutPush) {
  Device plain = make_device("d-1", "u-1", "");
  Device pushed = make_device("d-2", "u-1", "digest");
  pushed.push = PushRegistration{"webhook", "https://example.com/hook"};
  Device webpush = make_device("d-3", "u-1", "digest");
  webpush.push = PushRegistration{"webpush", "https://push.example/s/1", std::string(87, 'B'), std::string(22, 'A')};
  for (const Device& d : {plain, pushed, webpush}) {
    auto decoded = decode_device(encode_device(d));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(fields(*decoded), fields(d));
    expect_rejects_damage(encode_device(d), decode_device);
  }
}

TEST(RecordCodec, DevicesStoredBeforeWebPushAreRead) {
  Device device = make_device("d-1", "u-1", "digest");
  device.push = PushRegistration{"webhook", "https://example.com/hook"};
  std::string v2 = encode_device(device);
  // Version 1 ended after the url: the same bytes without the two empty keys.
  std::string v1 = v2.substr(0, v2.size() - 8);
  v1[0] = 1;
  auto decoded = decode_device(v1);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(fields(*decoded), fields(device));
  EXPECT_FALSE(decode_device(v1 + std::string(8, '\0')).has_value()) << "version 1 has no keys";
}

TEST(RecordCodec, ChatRoundTripsKindRolesAndMemberOrder) {
  Chat group = make_group("c-1", {"zed", "amy", "bob"});
  Chat direct = make_direct("dm", "amy", "zed");
  Chat empty = make_group("c-2", {});
  group.version = 7;
  group.members[1].joined_seq = 42;
  group.members[1].muted_until = 1'800'000'000'000;
  group.members[2].muted_until = kMutedForever;
  for (const Chat& chat : {group, direct, empty}) {
    auto decoded = decode_chat(encode_chat(chat));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->id, chat.id);
    EXPECT_EQ(decoded->version, chat.version);
    EXPECT_EQ(decoded->kind, chat.kind);
    EXPECT_EQ(decoded->name, chat.name);
    EXPECT_EQ(decoded->created_at, chat.created_at);
    EXPECT_EQ(member_list(*decoded), member_list(chat));
    expect_rejects_damage(encode_chat(chat), decode_chat);
  }
}

TEST(RecordCodec, ChatStoredBeforeVersionsReadsAsVersionOne) {
  ByteWriter out;
  out.u8(1);  // the first layout: no version field
  out.str("c-1");
  out.u8(1);
  out.str("old group");
  out.i64(3000);
  out.u32(1);
  out.str("amy");
  out.u8(0);
  auto decoded = decode_chat(out.take());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->version, 1u);
  EXPECT_EQ(decoded->name, "old group");
  EXPECT_EQ(member_list(*decoded), (std::vector<std::string>{"amy:admin"}));
}

TEST(RecordCodec, ChatStoredBeforeMemberSettingsReadsAsJoinedFromTheStartAndUnmuted) {
  ByteWriter out;
  out.u8(2);  // the second layout: a version, no joined_seq or muted_until
  out.u64(5);
  out.str("c-1");
  out.u8(1);
  out.str("group");
  out.i64(3000);
  out.u32(2);
  out.str("amy");
  out.u8(0);
  out.str("bob");
  out.u8(1);
  auto decoded = decode_chat(out.take());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->version, 5u);
  EXPECT_EQ(member_list(*decoded), (std::vector<std::string>{"amy:admin", "bob:member"}));
}

TEST(RecordCodec, ChatWithANegativeMuteIsRejected) {
  Chat chat = make_group("c-1", {"amy"});
  chat.members[0].muted_until = -1;
  EXPECT_FALSE(decode_chat(encode_chat(chat)).has_value());
}

TEST(RecordCodec, ChatWithVersionZeroIsRejected) {
  Chat chat = make_group("c-1", {"amy"});
  chat.version = 0;
  EXPECT_FALSE(decode_chat(encode_chat(chat)).has_value());
}

TEST(RecordCodec, ChatWithAbsurdMemberCountIsRejected) {
  ByteWriter out;
  out.u8(1);
  out.str("c");
  out.u8(1);
  out.str("");
  out.i64(0);
  out.u32(0xffffffff);
  EXPECT_FALSE(decode_chat(out.take()).has_value());
}

TEST(RecordCodec, MessageRoundTripsBinaryText) {
  Message m = make_message("c", std::numeric_limits<Seq>::max(), 42, "alice", "cm");
  m.text = std::string("\0\xff\x01 text", 8);
  auto decoded = decode_message(encode_message(m));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(fields(*decoded), fields(m));
  expect_rejects_damage(encode_message(m), decode_message);
}

TEST(RecordCodec, MessageRoundTripsKindTargetsAndState) {
  Message m = make_message("c", 7, 42, "alice", "cm");
  m.kind = MessageKind::reaction;
  m.target_seq = 3;
  m.reply_to = 2;
  m.edited_at = 1234;
  m.deleted = true;
  m.reactions = {{"bob", "👍"}, {"cy", "👨‍👩‍👧"}};
  m.edit_seqs = {4, 5};
  auto decoded = decode_message(encode_message(m));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(fields(*decoded), fields(m));
  EXPECT_EQ(decoded->kind, MessageKind::reaction);
  EXPECT_EQ(decoded->target_seq, 3u);
  EXPECT_EQ(decoded->reply_to, 2u);
  EXPECT_EQ(decoded->edited_at, 1234);
  EXPECT_TRUE(decoded->deleted);
  EXPECT_EQ(decoded->reactions, m.reactions);
  EXPECT_EQ(decoded->edit_seqs, m.edit_seqs);
  expect_rejects_damage(encode_message(m), decode_message);
  std::string bad_kind = encode_message(make_message("c", 1, 1));
  const std::size_t kind_at = bad_kind.size() - (1 + 8 + 8 + 8 + 1 + 4 + 4 + 1);
  bad_kind[kind_at] = 9;
  EXPECT_FALSE(decode_message(bad_kind).has_value()) << "an unknown kind";
}

// Stored before message actions: version 1, a text message in its original state.
TEST(RecordCodec, MessagesStoredBeforeActionsReadAsTextMessages) {
  const Message m = make_message("c", 9, 10, "alice", "cm");
  std::string v2 = encode_message(m);
  std::string v1 = v2.substr(0, v2.size() - (1 + 8 + 8 + 8 + 1 + 4 + 4 + 1));
  v1[0] = 1;
  auto decoded = decode_message(v1);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(fields(*decoded), fields(m));
  EXPECT_EQ(decoded->kind, MessageKind::text);
  EXPECT_FALSE(decoded->deleted);
  EXPECT_FALSE(decode_message(v1 + '\0').has_value());
}

// Stored before blocking: version 2, never withheld; version 3 keeps the flag.
TEST(RecordCodec, MessagesStoredBeforeBlockingAreNotWithheld) {
  Message m = make_message("c", 9, 10, "alice", "cm");
  m.withheld = true;
  std::string v3 = encode_message(m);
  auto decoded = decode_message(v3);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->withheld);
  std::string v2 = v3.substr(0, v3.size() - 1);
  v2[0] = 2;
  decoded = decode_message(v2);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_FALSE(decoded->withheld);
  std::string bad = v3;
  bad.back() = 2;
  EXPECT_FALSE(decode_message(bad).has_value()) << "withheld is 0 or 1";
}

TEST(RecordCodec, PushJobRoundTrips) {
  PushJob job = make_push_job(std::numeric_limits<std::uint64_t>::max());
  PushJob webpush = make_push_job(5);
  webpush.provider = "webpush";
  webpush.p256dh = std::string(87, 'B');
  webpush.auth = std::string(22, 'A');
  for (const PushJob& j : {job, webpush}) {
    auto decoded = decode_push_job(encode_push_job(j));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(fields(*decoded), fields(j));
    expect_rejects_damage(encode_push_job(j), decode_push_job);
  }
}

TEST(RecordCodec, PushJobsStoredBeforeWebPushAreWebhookJobs) {
  PushJob job = make_push_job(9);
  std::string v3 = encode_push_job(job);
  // Version 2 ended after the count: the same bytes without three empty strings.
  std::string v2 = v3.substr(0, v3.size() - 12);
  v2[0] = 2;
  auto decoded = decode_push_job(v2);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(fields(*decoded), fields(job));
  EXPECT_TRUE(decoded->provider.empty());
}

TEST(RecordCodec, PushJobsStoredBeforeCoalescingCountOneMessage) {
  PushJob job = make_push_job(9);
  std::string v2 = encode_push_job(job).substr(0, encode_push_job(job).size() - 12);
  v2[0] = 2;
  // Version 1 had no count: the same bytes without the trailing u32.
  std::string v1 = v2.substr(0, v2.size() - 4);
  v1[0] = 1;
  auto decoded = decode_push_job(v1);
  ASSERT_TRUE(decoded.has_value());
  job.count = 1;
  EXPECT_EQ(fields(*decoded), fields(job));
  std::string zero = v2;
  zero.replace(zero.size() - 4, 4, std::string(4, '\0'));
  EXPECT_FALSE(decode_push_job(zero).has_value()) << "a job covers at least one message";
}

TEST(RecordCodec, NumbersEncodeBigEndianSoBytesSortNumerically) {
  EXPECT_EQ(encode_u64(1), std::string("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_LT(encode_u64(255), encode_u64(256));
  EXPECT_LT(encode_u64(0x00ff'ffff'ffff'ffff), encode_u64(0x0100'0000'0000'0000));
  EXPECT_EQ(decode_u64(encode_u64(123456789)), std::optional<std::uint64_t>(123456789));
  EXPECT_FALSE(decode_u64("short").has_value());
}

TEST(RecordCodec, SeqKeysOfOneChatSortBySeqAndStayInsideThePrefix) {
  const std::string prefix = id_prefix("ab");
  EXPECT_LT(seq_key("ab", 2), seq_key("ab", 256));
  EXPECT_EQ(seq_key("ab", 9).substr(0, prefix.size()), prefix);
  EXPECT_EQ(seq_key_number(seq_key("ab", 9)), std::optional<std::uint64_t>(9));
  // Every key of "ab" lies in [prefix, prefix_end); no key of "abc" or "a" does.
  for (const std::string& key : {seq_key("ab", 0), seq_key("ab", std::numeric_limits<Seq>::max())}) {
    EXPECT_GE(key, prefix);
    EXPECT_LT(key, prefix_end(prefix));
  }
  for (const std::string& other : {seq_key("abc", 0), seq_key("a", 1), seq_key("", 1)}) {
    EXPECT_FALSE(other >= prefix && other < prefix_end(prefix)) << "key leaks into the range of \"ab\"";
  }
}

TEST(RecordCodec, PrefixEndIncrementsTheLastByteThatCan) {
  EXPECT_EQ(prefix_end("ab"), "ac");
  EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_end(std::string("\xff\xff", 2)), "");
  EXPECT_EQ(prefix_end(""), "");
}

TEST(RecordCodec, PairKeysSeparateTheirParts) {
  EXPECT_NE(pair_key("a", "bc"), pair_key("ab", "c"));
  EXPECT_EQ(pair_key_second(pair_key("user", "chat-1")), std::optional<std::string>("chat-1"));
  EXPECT_EQ(direct_key("zed", "amy"), direct_key("amy", "zed"));
  EXPECT_NE(client_msg_key("c", "alice", "m"), client_msg_key("c", "alicem", ""));
  EXPECT_FALSE(pair_key_second("\x01").has_value());
}

}  // namespace
}  // namespace parley::testing
