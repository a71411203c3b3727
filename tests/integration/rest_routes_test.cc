// REST routing: a known path with another method is 405 with Allow; an
// unknown /v1 path is 404 whoever asks; query parameters given twice and
// hostile path parameters are clean errors; a send is checked the same way
// over REST and WebSocket.
#include "fixture.h"

namespace parley::testing {
namespace {

class RestRoutesTest : public ParleyTest {
 protected:
  HttpResponse raw(const std::string& method, const std::string& target, const std::string& token = "",
                   const std::optional<std::string>& body = std::nullopt) {
    client::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.bearer_token = token;
    return server().http().send(req);
  }
};

TEST_F(RestRoutesTest, KnownPathWithAnotherMethodIs405WithAllow) {
  Session alice = new_session("alice");
  ChatInfo chat = alice.create_group("g", {});
  const std::string t = alice.token();
  struct Case {
    std::string method, target, allow;
  };
  for (const auto& c : std::vector<Case>{{"PATCH", "/v1/chats", "GET, POST"},
                                         {"DELETE", "/v1/chats", "GET, POST"},
                                         {"GET", "/v1/devices/current/push", "PUT, DELETE"},
                                         {"POST", "/v1/me", "GET, PATCH"},
                                         {"GET", "/v1/me/password", "POST"},
                                         {"POST", "/v1/devices", "GET"},
                                         {"GET", "/v1/login", "POST"},
                                         {"PUT", "/v1/chats/" + chat.chat_id, "GET, DELETE, PATCH"},
                                         {"GET", "/v1/chats/" + chat.chat_id + "/mute", "PUT, DELETE"},
                                         {"DELETE", "/v1/chats/" + chat.chat_id + "/messages", "GET, POST"},
                                         {"GET", "/v1/chats/" + chat.chat_id + "/members/x", "DELETE, PATCH"},
                                         {"POST", "/healthz", "GET"},
                                         {"POST", "/index.html", "GET, HEAD"}}) {
    auto r = raw(c.method, c.target, t);
    EXPECT_TRUE(is_error(r, 405, "invalid_request")) << c.method << " " << c.target;
    EXPECT_EQ(r.header("Allow"), c.allow) << c.method << " " << c.target;
  }
  // Without a token too: the method is wrong whoever asks.
  EXPECT_EQ(raw("PATCH", "/v1/chats").status, 405);
}

TEST_F(RestRoutesTest, UnknownPathsAre404AndKnownOnesStillNeedATokenFirst) {
  Session alice = new_session("alice");
  for (const char* target : {"/v1/nope", "/v1", "/v1/chats/x/y/z/w", "/v1/devices/other/push", "/V1/me"}) {
    auto r = raw("GET", target, alice.token());
    if (std::string(target) == "/V1/me") {
      EXPECT_EQ(r.status, 404) << target;  // not a route: the static files answer
    } else {
      EXPECT_TRUE(is_error(r, 404, "not_found")) << target;
    }
  }
  EXPECT_TRUE(is_error(raw("GET", "/v1/nope"), 404, "not_found"));
  EXPECT_TRUE(is_error(raw("GET", "/v1/me"), 401, "unauthorized"));
  EXPECT_TRUE(is_error(raw("GET", "/v1/chats/x"), 401, "unauthorized"));
  EXPECT_TRUE(
      is_error(raw("POST", "/v1/chats/x/messages", "", R"({"client_msg_id":"m","text":"t"})"), 401, "unauthorized"));
  EXPECT_TRUE(is_error(raw("GET", "/v1/me", "not-a-token"), 401, "unauthorized"));
  EXPECT_EQ(raw("GET", "/v1/me/", alice.token()).status, 200) << "a trailing slash is the same path";
}

TEST_F(RestRoutesTest, HostilePathAndQueryParameters) {
  Session alice = new_session("alice");
  ChatInfo chat = alice.create_group("g", {});
  const std::string t = alice.token();
  const std::string history = "/v1/chats/" + chat.chat_id + "/messages";
  EXPECT_TRUE(is_error(raw("GET", history + "?limit=1&limit=200", t), 400, "invalid_request"));
  EXPECT_TRUE(is_error(raw("GET", history + "?before=1&before=2", t), 400, "invalid_request"));
  EXPECT_TRUE(is_error(raw("GET", history + "?limit=-1", t), 400, "invalid_request"));
  EXPECT_TRUE(is_error(raw("GET", history + "?limit=99999999999999999999999", t), 400, "invalid_request"));
  EXPECT_TRUE(is_error(raw("GET", history + "?before=%31%00", t), 400, "invalid_request"));
  EXPECT_TRUE(is_error(raw("GET", "/v1/users?email=a@b.c&email=d@e.f", t), 400, "invalid_request"));
  EXPECT_TRUE(is_error(raw("GET", "/v1/presence?user_ids=", t), 400, "invalid_request"));
  // Path parameters are opaque ids: encoded slashes, dots, NUL, invalid UTF-8 and long ones find nothing.
  for (const std::string& id :
       std::vector<std::string>{"%2e%2e", "..%2F..%2Fetc", "%00", "%C3%28", std::string(5000, 'a'), "a%2Fb"}) {
    auto r = raw("GET", "/v1/chats/" + id + "/messages", t);
    EXPECT_TRUE(r.status == 404 || r.status == 403 || r.status == 400) << id.substr(0, 40) << " " << r.status;
    r = raw("POST", "/v1/chats/" + id + "/messages", t, R"({"client_msg_id":"m","text":"t"})");
    EXPECT_TRUE(r.status == 404 || r.status == 403 || r.status == 400) << id.substr(0, 40) << " " << r.status;
  }
  EXPECT_EQ(raw("GET", "/healthz").status, 200) << "still serving";
}

TEST_F(RestRoutesTest, SendIsCheckedTheSameWayOverRestAndWebSocket) {
  Session alice = new_session("alice");
  ChatInfo chat = alice.create_group("g", {});
  auto ws = connect(alice);
  for (const char* fields : {R"("text":"no id")", R"("client_msg_id":7,"text":"x")", R"("client_msg_id":"m")",
                             R"("client_msg_id":"m","text":["x"])"}) {
    auto rest = raw("POST", "/v1/chats/" + chat.chat_id + "/messages", alice.token(), std::string("{") + fields + "}");
    ASSERT_EQ(rest.status, 400) << fields;
    ws->send_text(std::string(R"({"type":"send","chat_id":")") + chat.chat_id + "\"," + fields + "}");
    auto frame = ws->next_of_type("error", kWait);
    ASSERT_TRUE(frame) << fields;
    EXPECT_EQ(client::str_field(*frame, "code"), rest.error_code()) << fields;
    EXPECT_EQ(client::str_field(*frame, "message"), rest.json.at("error").at("message").as_string()) << fields;
  }
  EXPECT_EQ(alice.history(chat.chat_id).size(), 0u) << "nothing was stored";
}

}  // namespace
}  // namespace parley::testing
