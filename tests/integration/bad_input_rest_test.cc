// Bad REST input: a clear 4xx error with the documented code, nothing
// changed, and the server still works afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"

namespace parley::testing {
namespace {

class BadRestInputTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--max-text-bytes", "64", "--max-body-bytes", "4096"});
    return f;
  }
  void SetUp() override {
    ParleyTest::SetUp();
    alice_.emplace(new_session("alice"));
    bob_.emplace(new_session("bob"));
    chat_ = alice_->create_direct(bob_->user_id()).chat_id;
    alice_->send(chat_, cmid(), "first");
  }
  // Nothing changed: still exactly one message, and the server still works.
  void expect_unchanged_and_alive() {
    EXPECT_EQ(alice_->find_chat(chat_)->last_seq, 1) << "bad input changed the chat";
    EXPECT_EQ(alice_->history(chat_).size(), 1u);
    EXPECT_EQ(server().http().get("/healthz").status, 200);
  }
  HttpResponse post_raw(const std::string& target, const std::string& body, const std::string& token) {
    client::HttpRequest req;
    req.method = "POST";
    req.target = target;
    req.body = body;
    req.bearer_token = token;
    return server().http().send(req);
  }
  std::string messages_path() const { return "/v1/chats/" + chat_ + "/messages"; }
  HttpResponse send_text(const std::string& text) {
    return alice_->call("POST", messages_path(), json::object{{"client_msg_id", cmid()}, {"text", text}});
  }

  std::optional<Session> alice_, bob_;
  std::string chat_;
};

TEST_F(BadRestInputTest, MalformedJsonIs400InvalidJson) {
  for (const char* body : {"{", "{\"text\": }", "not json at all", "{\"a\":1}}"}) {
    auto r = post_raw(messages_path(), body, alice_->token());
    EXPECT_TRUE(is_error(r, 400, "invalid_json")) << "body: " << body;
  }
  EXPECT_EQ(post_raw(messages_path(), "", alice_->token()).status, 400) << "empty body";
  EXPECT_TRUE(is_error(post_raw("/v1/signup", "{oops", ""), 400, "invalid_json"));
  EXPECT_TRUE(is_error(post_raw("/v1/login", "[1,2", ""), 400, "invalid_json"));
  EXPECT_TRUE(is_error(post_raw("/v1/chats", "{\"kind\":", alice_->token()), 400, "invalid_json"));
  expect_unchanged_and_alive();
}

TEST_F(BadRestInputTest, MissingOrWrongTypedFieldsAre400InvalidRequest) {
  auto& a = *alice_;
  EXPECT_TRUE(is_error(a.call("POST", messages_path(), json::object{{"text", "no id"}}), 400, "invalid_request"));
  EXPECT_TRUE(
      is_error(a.call("POST", messages_path(), json::object{{"client_msg_id", cmid()}}), 400, "invalid_request"));
  EXPECT_TRUE(is_error(a.call("POST", messages_path(), json::object{{"client_msg_id", cmid()}, {"text", 42}}), 400,
                       "invalid_request"));
  EXPECT_TRUE(is_error(a.call("POST", messages_path(), json::object{{"client_msg_id", 7}, {"text", "x"}}), 400,
                       "invalid_request"));
  EXPECT_TRUE(is_error(a.call("POST", messages_path(), json::array{1, 2}), 400, "invalid_request"));
  auto http = server().http();
  EXPECT_TRUE(is_error(http.post("/v1/signup", json::object{{"email", "x@example.test"}, {"password", "pw-123456"}}),
                       400, "invalid_request"));
  EXPECT_TRUE(
      is_error(http.post("/v1/signup",
                         json::object{{"email", "x@example.test"}, {"password", 123456789}, {"display_name", "x"}}),
               400, "invalid_request"));
  EXPECT_TRUE(is_error(http.post("/v1/login", json::object{{"email", "x@example.test"}}), 400, "invalid_request"));
  EXPECT_TRUE(is_error(a.call("POST", "/v1/chats", json::object{{"kind", "direct"}}), 400, "invalid_request"));
  EXPECT_TRUE(is_error(a.call("POST", "/v1/chats", json::object{{"kind", "circle"}, {"peer_id", bob_->user_id()}}), 400,
                       "invalid_request"));
  EXPECT_TRUE(is_error(a.call("POST", "/v1/chats", json::object{{"kind", "group"}, {"name", "g"}, {"member_ids", "x"}}),
                       400, "invalid_request"));
  ChatInfo group = a.create_group("g", {});
  EXPECT_TRUE(is_error(a.call("POST", "/v1/chats/" + group.chat_id + "/members", json::object{{"user_id", 1}}), 400,
                       "invalid_request"));
  EXPECT_TRUE(
      is_error(a.call("POST", "/v1/chats/" + group.chat_id + "/members", json::object{}), 400, "invalid_request"));
  EXPECT_TRUE(is_error(a.call("GET", "/v1/users"), 400, "invalid_request"));
  // The signup that failed validation created nothing.
  EXPECT_API_ERROR(a.find_user_by_email("x@example.test"), 404, "not_found");
  EXPECT_EQ(a.list_chats().size(), 2u);
  EXPECT_EQ(a.find_chat(group.chat_id)->members.size(), 1u);
  expect_unchanged_and_alive();
}

TEST_F(BadRestInputTest, EmptyTextIs400EmptyText) {
  EXPECT_TRUE(is_error(send_text(""), 400, "empty_text"));
  expect_unchanged_and_alive();
}

TEST_F(BadRestInputTest, InvalidUtf8Is400InvalidUtf8) {
  const std::string body = "{\"client_msg_id\":\"" + cmid() + "\",\"text\":\"bad \xC3\x28 byte\"}";
  EXPECT_TRUE(is_error(post_raw(messages_path(), body, alice_->token()), 400, "invalid_utf8"));
  const std::string overlong = "{\"client_msg_id\":\"" + cmid() + "\",\"text\":\"\xC0\xAF\"}";
  EXPECT_TRUE(is_error(post_raw(messages_path(), overlong, alice_->token()), 400, "invalid_utf8"));
  expect_unchanged_and_alive();
}

TEST_F(BadRestInputTest, TextOverMaxBytesIs400TextTooLong) {
  EXPECT_TRUE(is_error(send_text(std::string(65, 'x')), 400, "text_too_long"));
  // The limit is in bytes: 33 two-byte characters are 66 bytes.
  std::string accents;
  for (int i = 0; i < 33; ++i) accents += "\xC3\xA9";
  EXPECT_TRUE(is_error(send_text(accents), 400, "text_too_long"));
  expect_unchanged_and_alive();
  // Exactly at the limit is fine.
  EXPECT_EQ(send_text(std::string(64, 'x')).status, 200);
}

TEST_F(BadRestInputTest, NotAMemberIs403UnknownChatIs404) {
  Session eve = new_session("eve");
  EXPECT_API_ERROR(eve.send(chat_, cmid(), "let me in"), 403, "forbidden");
  EXPECT_API_ERROR(alice_->send("no-such-chat", cmid(), "hello?"), 404, "not_found");
  EXPECT_API_ERROR(eve.add_member(chat_, eve.user_id()), 403, "forbidden");
  expect_unchanged_and_alive();
}

TEST_F(BadRestInputTest, BadTokenIs401) {
  auto http = server().http();
  EXPECT_TRUE(is_error(http.post(messages_path(), json::object{{"client_msg_id", cmid()}, {"text", "x"}}), 401,
                       "unauthorized"));
  EXPECT_TRUE(is_error(http.post(messages_path(), json::object{{"client_msg_id", cmid()}, {"text", "x"}}, "forged"),
                       401, "unauthorized"));
  EXPECT_TRUE(is_error(http.get("/v1/chats", "forged"), 401, "unauthorized"));
  EXPECT_TRUE(is_error(http.get("/v1/presence?user_ids=" + bob_->user_id(), "forged"), 401, "unauthorized"));
  expect_unchanged_and_alive();
}

TEST_F(BadRestInputTest, OversizedBodyIs413) {
  const std::string big = "{\"client_msg_id\":\"" + cmid() + "\",\"text\":\"" + std::string(8000, 'x') + "\"}";
  auto r = post_raw(messages_path(), big, alice_->token());
  EXPECT_TRUE(is_error(r, 413, "payload_too_large"));
  auto signup = post_raw("/v1/signup", std::string(100000, ' '), "");
  EXPECT_EQ(signup.status, 413);
  expect_unchanged_and_alive();
}

TEST_F(BadRestInputTest, UnknownRoutesAndMethods) {
  EXPECT_EQ(alice_->call("GET", "/v1/nope").status, 404);
  auto r = alice_->call("PATCH", "/v1/chats");
  EXPECT_TRUE(r.status == 404 || r.status == 405) << r.raw;
  expect_unchanged_and_alive();
}

TEST_F(BadRestInputTest, GarbageBytesDoNotHurtTheServer) {
  // Not HTTP at all, then a truncated request: the server drops the
  // connection (or answers 400) and keeps serving others.
  for (const std::string& junk :
       {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
        std::string("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"),
        std::string("POST /v1/login HTTP/1.1\r\nContent-Length: 10\r\n\r\n{")}) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server().port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    char buf[512];
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    ::close(fd);
    EXPECT_EQ(server().http().get("/healthz").status, 200);
  }
  expect_unchanged_and_alive();
}

}  // namespace
}  // namespace parley::testing
