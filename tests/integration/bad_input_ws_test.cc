// Bad WebSocket input. JSON-level errors get an `error` frame and the socket
// stays open; protocol violations close it with the documented code. After
// each, nothing changed and the server still works.
#include "fixture.h"

namespace parley::testing {
namespace {

using client::int_field;
using client::str_field;

class BadWsInputTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--max-text-bytes", "64", "--max-frame-bytes", "4096"});
    return f;
  }
  void SetUp() override {
    ParleyTest::SetUp();
    alice_.emplace(new_session("alice"));
    bob_.emplace(new_session("bob"));
    chat_ = alice_->create_direct(bob_->user_id()).chat_id;
    ws_ = connect(*alice_);
    ASSERT_TRUE(ws_->send_and_wait(chat_, cmid(), "first").ok());
  }
  // The chat is unchanged, this socket (when `open`) and the server work.
  void expect_unchanged_and_alive(bool open = true) {
    EXPECT_EQ(alice_->find_chat(chat_)->last_seq, 1) << "bad input changed the chat";
    if (open) {
      EXPECT_TRUE(ws_->is_open()) << "a JSON-level error must not close the socket";
      auto ok = ws_->send_and_wait(chat_, cmid(), "still works");
      EXPECT_TRUE(ok.ok()) << json::serialize(ok.frame);
      if (ok.ok()) {
        EXPECT_EQ(ok.ack->seq, 2);
      }
    }
    auto fresh = connect(*bob_);
    EXPECT_TRUE(fresh->is_open());
  }
  json::object send_frame(const std::string& id, const json::value& text) {
    return json::object{{"type", "send"}, {"chat_id", chat_}, {"client_msg_id", id}, {"text", text}};
  }

  std::optional<Session> alice_, bob_;
  std::string chat_;
  std::unique_ptr<WsConnection> ws_;
};

TEST_F(BadWsInputTest, MalformedJsonGetsErrorFrameSocketStaysOpen) {
  for (const char* junk : {"{", "not json", "{\"type\":\"send\",}", "{\"type\": \"send\" \"x\": 1}"}) {
    ws_->send_text(junk);
    expect_error_frame(*ws_, "invalid_json");
  }
  expect_unchanged_and_alive();
}

// Error frames quote client input only as valid UTF-8: a frame the client
// library (a conforming WebSocket peer) could not accept would close the socket.
TEST_F(BadWsInputTest, ErrorFramesStayValidUtf8WhenTheyQuoteInput) {
  // The type is cut to fit the message: the cut must fall between characters.
  for (std::size_t pad : {62u, 63u, 64u, 65u}) {
    ws_->send(json::object{{"type", std::string(pad, 'a') + "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x92\xAC"}});
    expect_error_frame(*ws_, "unknown_type");
  }
  // A long id of multi-byte characters, quoted in the error message.
  std::string long_id;
  while (long_id.size() < 600) long_id += "\xE2\x82\xAC";
  ws_->send(json::object{{"type", "presence_subscribe"}, {"user_ids", json::array{json::value(long_id)}}});
  auto err = ws_->next_of_type("error", kWait);
  ASSERT_TRUE(err.has_value()) << "open=" << ws_->is_open();
  EXPECT_LE(str_field(*err, "message").size(), 256u);
  // An oversized client_msg_id is rejected without being echoed back.
  std::string huge_id(3000, 'x');
  ws_->send(send_frame(huge_id, "hi"));
  auto rejected = ws_->next_of_type("error", kWait);
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(str_field(*rejected, "code"), "invalid_request");
  EXPECT_FALSE(rejected->contains("ref")) << "a ref no send could carry is not echoed";
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, UnknownTypeGetsUnknownType) {
  ws_->send(json::object{{"type", "teleport"}, {"chat_id", chat_}});
  expect_error_frame(*ws_, "unknown_type");
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, MissingOrWrongTypedFieldsGetInvalidRequest) {
  const std::vector<json::value> frames = {
      json::object{{"chat_id", chat_}},                                               // no type
      json::object{{"type", 5}},                                                      // type not a string
      json::array{1, 2, 3},                                                           // not an object
      json::object{{"type", "send"}, {"client_msg_id", cmid()}, {"text", "x"}},       // no chat_id
      json::object{{"type", "send"}, {"chat_id", chat_}, {"text", "x"}},              // no client_msg_id
      json::object{{"type", "send"}, {"chat_id", chat_}, {"client_msg_id", cmid()}},  // no text
      json::object{{"type", "send"}, {"chat_id", 12}, {"client_msg_id", cmid()}, {"text", "x"}},
      json::object{{"type", "send"}, {"chat_id", chat_}, {"client_msg_id", cmid()}, {"text", json::array{"x"}}},
      json::object{{"type", "send"}, {"chat_id", chat_}, {"client_msg_id", 7}, {"text", "x"}},
  };
  for (const auto& f : frames) {
    ws_->send(f);
    auto err = ws_->next_of_type("error", kWait);
    ASSERT_TRUE(err) << "no error for " << json::serialize(f);
    EXPECT_EQ(str_field(*err, "code"), "invalid_request") << json::serialize(f) << " -> " << json::serialize(*err);
  }
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, ErrorFrameRefersToTheOffendingSend) {
  const std::string id = cmid("bad");
  ws_->send(send_frame(id, ""));
  expect_error_frame(*ws_, "empty_text", id);
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, EmptyTextGetsEmptyText) {
  auto r = ws_->send_and_wait(chat_, cmid(), "");
  EXPECT_EQ(r.error_code, "empty_text");
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, TextOverMaxBytesGetsTextTooLong) {
  auto r = ws_->send_and_wait(chat_, cmid(), std::string(65, 'y'));
  EXPECT_EQ(r.error_code, "text_too_long");
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, InvalidUtf8IsRejected) {
  // A text frame that is not UTF-8 violates RFC 6455 (close 1007); a server
  // may instead answer an error frame `invalid_utf8`. Either way nothing is stored.
  const std::string id = cmid("utf8");
  ws_->send_text("{\"type\":\"send\",\"chat_id\":\"" + chat_ + "\",\"client_msg_id\":\"" + id +
                 "\",\"text\":\"bad \xC3\x28 byte\"}");
  auto reply = ws_->next_matching(
      [](const json::object& o) { return str_field(o, "type") == "error" || str_field(o, "type") == "ack"; }, kWait);
  if (reply) {
    EXPECT_EQ(str_field(*reply, "code"), "invalid_utf8") << json::serialize(*reply);
    expect_unchanged_and_alive();
  } else {
    EXPECT_EQ(ws_->wait_closed(kWait), 1007) << "neither an invalid_utf8 error nor close 1007";
    expect_unchanged_and_alive(/*open=*/false);
  }
}

TEST_F(BadWsInputTest, NotAMemberIsForbiddenUnknownChatIsNotFound) {
  Session eve = new_session("eve");
  auto e = connect(eve);
  EXPECT_EQ(e->send_and_wait(chat_, cmid(), "let me in").error_code, "forbidden");
  EXPECT_EQ(e->send_and_wait("no-such-chat", cmid(), "hello?").error_code, "not_found");
  EXPECT_TRUE(e->is_open());
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, BadTokenClosesWith4401) {
  auto w = raw_ws();
  w->send(json::object{{"type", "hello"}, {"token", "forged"}});
  EXPECT_EQ(w->wait_closed(kWait), 4401);
  auto w2 = raw_ws();
  w2->send(json::object{{"type", "hello"}});
  EXPECT_EQ(w2->wait_closed(kWait), 4401);
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, FirstFrameNotHelloClosesWith4401) {
  auto w = raw_ws();
  w->send(send_frame(cmid(), "sneaky"));
  EXPECT_EQ(w->wait_closed(kWait), 4401);
  auto w2 = raw_ws();
  w2->send(json::object{{"type", "heartbeat"}});
  EXPECT_EQ(w2->wait_closed(kWait), 4401);
  auto w3 = raw_ws();
  w3->send_text("{garbage");
  EXPECT_EQ(w3->wait_closed(kWait), 4401);
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, SecondHelloIsAnErrorNotANewSession) {
  ws_->send(json::object{{"type", "hello"}, {"token", alice_->token()}});
  auto reply = ws_->next_matching(
      [](const json::object& o) { return str_field(o, "type") == "error" || str_field(o, "type") == "welcome"; },
      kWait);
  // Either tolerated (welcome) or refused (error); never a crash or close.
  EXPECT_TRUE(reply.has_value());
  expect_unchanged_and_alive();
}

TEST_F(BadWsInputTest, OversizedFrameClosesWith1009) {
  ws_->send(send_frame(cmid(), json::string(std::string(5000, 'z'))));
  EXPECT_EQ(ws_->wait_closed(kWait), 1009) << ws_->close_detail();
  expect_unchanged_and_alive(/*open=*/false);
}

TEST_F(BadWsInputTest, BinaryFrameClosesWith1003) {
  ws_->send_binary(json::serialize(send_frame(cmid(), "binary")));
  EXPECT_EQ(ws_->wait_closed(kWait), 1003) << ws_->close_detail();
  expect_unchanged_and_alive(/*open=*/false);
}

TEST_F(BadWsInputTest, BadInputOnOneSocketDoesNotDisturbOthers) {
  auto b = connect(*bob_);
  ws_->send_binary("\x01\x02");
  EXPECT_EQ(ws_->wait_closed(kWait), 1003) << ws_->close_detail();
  auto a2 = connect(*alice_);
  ASSERT_TRUE(a2->send_and_wait(chat_, cmid(), "after").ok());
  auto m = b->next_message(kWait, chat_);
  ASSERT_TRUE(m);
  EXPECT_EQ(str_field(*m, "text"), "after");
}

class RateLimitTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override { return {"--max-frames-per-second", "5", "--threads", "2"}; }
};

TEST_F(RateLimitTest, BurstBeyondTheRateGetsRateLimited) {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto ws = connect(alice);
  constexpr int kBurst = 40;  // far above the burst of 2 x 5
  std::vector<std::string> ids;
  for (int i = 0; i < kBurst; ++i) {
    ids.push_back(cmid("burst"));
    ws->send_message(chat.chat_id, ids.back(), "spam");
  }
  // Every frame of the burst is answered: an ack, or an error. Rate-limited
  // frames are refused before parsing, so their error may carry no `ref`.
  int acked = 0;
  int limited = 0;
  auto count_replies = [&] {
    acked = limited = 0;
    for (const auto& f : ws->history()) {
      if (!f.is_object()) continue;
      const auto& o = f.as_object();
      const std::string t = str_field(o, "type");
      if (t == "ack" && str_field(o, "client_msg_id").rfind("burst", 0) == 0) ++acked;
      if (t == "error") {
        EXPECT_EQ(str_field(o, "code"), "rate_limited") << json::serialize(o);
        // The dropped send is named, so a client knows what to resend.
        EXPECT_EQ(str_field(o, "ref").rfind("burst", 0), 0u) << json::serialize(o);
        ++limited;
      }
    }
    return acked + limited == kBurst;
  };
  EXPECT_TRUE(eventually(count_replies, kWait))
      << acked << " acks + " << limited << " errors for " << kBurst << " frames";
  ws->take_all();
  // The budget refills: a paced send eventually succeeds again.
  std::int64_t calm_seq = 0;
  EXPECT_TRUE(eventually(
      [&] {
        const std::string id = cmid("calm");
        ws->send_message(chat.chat_id, id, "calm");
        auto r = ws->next_matching(
            [&](const json::object& o) {
              const std::string t = str_field(o, "type");
              return (t == "ack" && str_field(o, "client_msg_id") == id) || (t == "error" && str_field(o, "ref") == id);
            },
            kWait);
        if (r && str_field(*r, "type") == "ack") calm_seq = int_field(*r, "seq");
        return calm_seq > 0;
      },
      Ms(30000), Ms(300)));
  EXPECT_GT(limited, 0) << "a burst of " << kBurst << " frames was not limited";
  EXPECT_GT(acked, 0);
  EXPECT_TRUE(ws->is_open()) << "rate limiting answers with errors, it does not close";
  // Only the acked sends were stored, then the calm one.
  EXPECT_EQ(calm_seq, acked + 1);
  EXPECT_EQ(alice.find_chat(chat.chat_id)->last_seq, acked + 1);
}

}  // namespace
}  // namespace parley::testing
