// Typed body and query parsers shared by REST and WebSocket: wrong types,
// missing fields, duplicate keys, invalid UTF-8, oversized lists.
#include <gtest/gtest.h>

#include "protocol/bodies.h"
#include "protocol/frames.h"

namespace parley::protocol {
namespace {

QueryParams query(std::initializer_list<std::pair<std::string, std::string>> values) {
  return QueryParams(std::vector<std::pair<std::string, std::string>>(values));
}

template <typename T>
::testing::AssertionResult fails_with(const Result<T>& r, ErrorCode code, const std::string& message_part = "") {
  if (r) return ::testing::AssertionFailure() << "parsed";
  if (r.error().code != code) return ::testing::AssertionFailure() << "code " << static_cast<int>(r.error().code);
  if (r.error().message.find(message_part) == std::string::npos) {
    return ::testing::AssertionFailure() << "message: " << r.error().message;
  }
  return ::testing::AssertionSuccess();
}

TEST(SendBody, ParsesAndNamesTheFirstBadField) {
  auto ok = parse_send_body(R"({"client_msg_id":"m1","text":"hi","extra":[1,2]})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->client_msg_id, "m1");
  EXPECT_EQ(ok->text, "hi");
  EXPECT_TRUE(fails_with(parse_send_body(R"({"text":"hi"})"), ErrorCode::invalid_request, "client_msg_id"));
  EXPECT_TRUE(fails_with(parse_send_body(R"({"client_msg_id":"m"})"), ErrorCode::invalid_request, "text"));
  for (const char* wrong : {"1", "null", "true", "[\"a\"]", "{\"a\":1}", "1.5"}) {
    auto body = std::string(R"({"client_msg_id":"m","text":)") + wrong + "}";
    EXPECT_TRUE(fails_with(parse_send_body(body), ErrorCode::invalid_request, "text must be a string")) << body;
  }
  EXPECT_TRUE(fails_with(parse_send_body("not json"), ErrorCode::invalid_json));
  EXPECT_TRUE(fails_with(parse_send_body(R"({"client_msg_id":"m","text":"x")"), ErrorCode::invalid_json));
  EXPECT_TRUE(fails_with(parse_send_body(""), ErrorCode::invalid_json));
  EXPECT_TRUE(fails_with(parse_send_body("[]"), ErrorCode::invalid_request, "object"));
  EXPECT_TRUE(fails_with(parse_send_body(std::string(100, '[') + std::string(100, ']')), ErrorCode::invalid_json));
}

TEST(SendBody, DuplicateKeysKeepTheLastAndInvalidUtf8IsLeftToTheCore) {
  auto dup = parse_send_body(R"({"client_msg_id":"first","client_msg_id":"last","text":"a","text":"b"})");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->client_msg_id, "last");
  EXPECT_EQ(dup->text, "b");
  // The core answers `invalid_utf8` for text; the parser must not turn it into invalid_json.
  auto bad_utf8 = parse_send_body("{\"client_msg_id\":\"m\",\"text\":\"\xC3\x28\"}");
  ASSERT_TRUE(bad_utf8);
  EXPECT_EQ(bad_utf8->text, "\xC3\x28");
}

TEST(SendBody, WebSocketFrameAndRestBodyGiveTheSameErrors) {
  for (const char* fields : {R"("text":"hi")", R"("client_msg_id":5,"text":"hi")", R"("client_msg_id":"m")",
                             R"("client_msg_id":"m","text":null)"}) {
    auto rest = parse_send_body(std::string("{") + fields + "}");
    auto ws = parse_client_frame(std::string(R"({"type":"send","chat_id":"c",)") + fields + "}");
    ASSERT_FALSE(rest) << fields;
    ASSERT_TRUE(ws.error) << fields;
    EXPECT_EQ(ws.error->error.code, rest.error().code) << fields;
    EXPECT_EQ(ws.error->error.message, rest.error().message) << fields;
  }
  auto ws = parse_client_frame(R"({"type":"send","chat_id":"c","client_msg_id":"m","text":"hi"})");
  ASSERT_TRUE(ws.frame);
  auto& send = std::get<SendFrame>(*ws.frame);
  EXPECT_EQ(send.chat_id, "c");
  EXPECT_EQ(send.body.client_msg_id, "m");
  EXPECT_EQ(send.body.text, "hi");
}

TEST(AccountBodies, SignupLoginAndPushRegistration) {
  auto signup = parse_signup_body(R"({"email":"a@b.c","password":"pw","display_name":"A"})");
  ASSERT_TRUE(signup);
  EXPECT_EQ(signup->display_name, "A");
  EXPECT_TRUE(fails_with(parse_signup_body(R"({"email":"a@b.c","password":"pw"})"), ErrorCode::invalid_request,
                         "display_name"));
  EXPECT_TRUE(fails_with(parse_signup_body(R"({"email":["a@b.c"],"password":"pw","display_name":"A"})"),
                         ErrorCode::invalid_request, "email must be a string"));
  auto login = parse_login_body(R"({"email":"a@b.c","password":"pw","device_name":null})");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->device_name, "");
  EXPECT_TRUE(fails_with(parse_login_body(R"({"email":"a@b.c","password":"pw","device_name":7})"),
                         ErrorCode::invalid_request, "device_name"));
  EXPECT_TRUE(fails_with(parse_login_body(R"({"email":"a@b.c","password":{}})"), ErrorCode::invalid_request));
  auto push = parse_push_registration_body(R"({"provider":"webhook","url":"http://x/"})");
  ASSERT_TRUE(push);
  EXPECT_EQ(push->url, "http://x/");
  EXPECT_TRUE(fails_with(parse_push_registration_body(R"({"provider":"apns","url":"http://x/"})"),
                         ErrorCode::invalid_request, "provider"));
  EXPECT_TRUE(fails_with(parse_push_registration_body(R"({"provider":"webhook"})"), ErrorCode::invalid_request, "url"));
}

TEST(AuthBodies, WebPushRegistrationIsTheBrowsersSubscriptionJson) {
  auto push = parse_push_registration_body(
      R"({"provider":"webpush","subscription":{"endpoint":"https://push.example/s/1","expirationTime":null,)"
      R"("keys":{"p256dh":"BPk","auth":"QUJD"}}})");
  ASSERT_TRUE(push);
  EXPECT_EQ(push->provider, "webpush");
  EXPECT_EQ(push->url, "https://push.example/s/1");
  EXPECT_EQ(push->p256dh, "BPk");
  EXPECT_EQ(push->auth, "QUJD");
  auto fails = [](std::string_view body, const std::string& field) {
    return fails_with(parse_push_registration_body(body), ErrorCode::invalid_request, field);
  };
  EXPECT_TRUE(fails(R"({"provider":"webpush"})", "subscription"));
  EXPECT_TRUE(fails(R"({"provider":"webpush","subscription":"https://push.example/"})", "subscription"));
  EXPECT_TRUE(fails(R"({"provider":"webpush","subscription":{"keys":{"p256dh":"a","auth":"b"}}})",
                    "subscription.missing field: endpoint"));
  EXPECT_TRUE(fails(R"({"provider":"webpush","subscription":{"endpoint":"https://p/"}})", "subscription.keys"));
  EXPECT_TRUE(
      fails(R"({"provider":"webpush","subscription":{"endpoint":"https://p/","keys":{"auth":"b"}}})", "p256dh"));
  EXPECT_TRUE(fails(R"({"provider":"webpush","subscription":{"endpoint":"https://p/","keys":{"p256dh":"a","auth":7}}})",
                    "auth"));
  EXPECT_TRUE(fails(R"({"provider":"WebPush","subscription":{}})", "provider"));
}

TEST(ChatBodies, DirectGroupAndMember) {
  auto direct = parse_create_chat_body(R"({"kind":"direct","peer_id":"u2"})");
  ASSERT_TRUE(direct);
  EXPECT_EQ(std::get<DirectChatBody>(*direct).peer_id, "u2");
  auto group = parse_create_chat_body(R"({"kind":"group","name":"G","member_ids":["a","b"]})");
  ASSERT_TRUE(group);
  EXPECT_EQ(std::get<GroupChatBody>(*group).member_ids, (std::vector<UserId>{"a", "b"}));
  EXPECT_TRUE(fails_with(parse_create_chat_body(R"({"kind":"channel"})"), ErrorCode::invalid_request, "kind"));
  EXPECT_TRUE(fails_with(parse_create_chat_body(R"({"kind":1})"), ErrorCode::invalid_request, "kind"));
  EXPECT_TRUE(fails_with(parse_create_chat_body(R"({"kind":"direct"})"), ErrorCode::invalid_request, "peer_id"));
  EXPECT_TRUE(fails_with(parse_create_chat_body(R"({"kind":"group","name":"G","member_ids":"a"})"),
                         ErrorCode::invalid_request, "member_ids"));
  EXPECT_TRUE(fails_with(parse_create_chat_body(R"({"kind":"group","name":"G","member_ids":["a",2]})"),
                         ErrorCode::invalid_request, "member_ids"));
  std::string huge = R"({"kind":"group","name":"G","member_ids":[)";
  for (int i = 0; i <= 100'000; ++i) huge += (i ? ",\"x\"" : "\"x\"");
  huge += "]}";
  EXPECT_TRUE(fails_with(parse_create_chat_body(huge), ErrorCode::invalid_request, "more than"));
  EXPECT_TRUE(parse_add_member_body(R"({"user_id":"u"})"));
  EXPECT_TRUE(fails_with(parse_add_member_body(R"({"user":"u"})"), ErrorCode::invalid_request, "user_id"));
}

TEST(QueryParams, IntegersDuplicatesAndLists) {
  QueryParams q = query({{"limit", "20"}, {"before", "7"}, {"after", ""}});
  EXPECT_EQ(q.uint("limit", 100).value(), 20u);
  EXPECT_FALSE(q.uint("missing", 100).value().has_value());
  EXPECT_TRUE(fails_with(q.uint("limit", 10), ErrorCode::invalid_request, "limit"));
  EXPECT_TRUE(fails_with(q.uint("after", 10), ErrorCode::invalid_request, "after"));
  for (const char* bad : {"-1", "+1", " 1", "1 ", "1e3", "0x10", "18446744073709551616", "1.0", "abc"}) {
    QueryParams one = query({{"n", bad}});
    EXPECT_FALSE(one.uint("n", ~0ull)) << bad;
  }
  QueryParams twice = query({{"limit", "1"}, {"limit", "1000"}});
  EXPECT_TRUE(fails_with(twice.uint("limit", 5000), ErrorCode::invalid_request, "more than once"));
  EXPECT_TRUE(fails_with(twice.get("limit"), ErrorCode::invalid_request, "more than once"));

  auto history = parse_history_params(query({{"before", "10"}, {"limit", "5"}}));
  ASSERT_TRUE(history);
  EXPECT_EQ(history->before, 10u);
  EXPECT_FALSE(history->after);
  EXPECT_EQ(history->limit, 5u);
  EXPECT_FALSE(parse_history_params(query({{"before", "x"}})));

  auto ids = parse_user_ids_param(query({{"user_ids", "a,,b,"}}), 10);
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, (std::vector<UserId>{"a", "b"}));
  EXPECT_TRUE(fails_with(parse_user_ids_param(query({{"user_ids", ",,,"}}), 10), ErrorCode::invalid_request));
  EXPECT_TRUE(fails_with(parse_user_ids_param(QueryParams(), 10), ErrorCode::invalid_request, "user_ids"));
  std::string many;
  for (int i = 0; i < 11; ++i) many += "u" + std::to_string(i) + ",";
  EXPECT_TRUE(fails_with(parse_user_ids_param(query({{"user_ids", many}}), 10), ErrorCode::invalid_request));
}

TEST(PageParams, DefaultsBoundsAndCursors) {
  auto none = parse_page_params(QueryParams(), 200, 1000);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->limit, 200u);
  EXPECT_FALSE(none->after);
  auto page = parse_page_params(query({{"limit", "1000"}, {"after", "0a1b_c-D"}}), 200, 1000);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->limit, 1000u);
  EXPECT_EQ(page->after, "0a1b_c-D");
  for (auto bad : std::vector<std::vector<std::pair<std::string, std::string>>>{{{"limit", "0"}},
                                                                                {{"limit", "1001"}},
                                                                                {{"limit", "-5"}},
                                                                                {{"limit", ""}},
                                                                                {{"limit", "1"}, {"limit", "2"}},
                                                                                {{"after", ""}},
                                                                                {{"after", std::string(129, 'a')}},
                                                                                {{"after", "a/b"}},
                                                                                {{"after", std::string("a\0b", 3)}},
                                                                                {{"after", "\xC3\x28"}},
                                                                                {{"after", "a"}, {"after", "b"}}}) {
    auto r = parse_page_params(QueryParams(bad), 200, 1000);
    EXPECT_TRUE(fails_with(r, ErrorCode::invalid_request)) << bad.front().first << "=" << bad.front().second;
  }
  EXPECT_TRUE(parse_page_params(query({{"after", std::string(128, 'a')}}), 200, 1000));
}

}  // namespace
}  // namespace parley::protocol
