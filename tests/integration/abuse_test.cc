// Abuse from clients that break the rules on purpose: devices that never
// read, replies nobody collects, frames that trickle in, bursts far above
// the sustainable rate. The server stays within its memory bounds, drops the
// offenders, answers every send and loses nothing acknowledged.
#include <algorithm>
#include <set>
#include <thread>

#include "fixture.h"
#include "raw_ws.h"

namespace parley::testing {
namespace {

using client::str_field;

// Sends `count` messages of `text` to each chat over `ws`, pipelined, and
// waits for every ack.
void fill(WsConnection& ws, const std::vector<std::string>& chats, int count, const std::string& text) {
  constexpr int kWindow = 256;
  int in_flight = 0;
  auto settle = [&](int down_to) {
    while (in_flight > down_to) {
      // The fan-out to our own device comes too: count acks, drop the rest.
      for (const auto& f : ws.take_all()) in_flight -= client::frame_type(f) == "ack";
      if (in_flight <= down_to) break;
      auto ack = ws.next_of_type("ack", kWait);
      ASSERT_TRUE(ack.has_value()) << "a send of the fill was not acked";
      --in_flight;
    }
  };
  for (int i = 0; i < count; ++i) {
    for (const auto& chat : chats) {
      ws.send_message(chat, "fill-" + chat + "-" + std::to_string(i), text);
      if (++in_flight >= kWindow) settle(kWindow / 2);
    }
  }
  settle(0);
}

std::string hello_frame(const Session& s, const std::string& cursor) {
  return json::serialize(json::object{{"type", "hello"}, {"token", s.token()}, {"cursor", cursor}});
}

class AbuseTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    // Pings are rare here (heartbeat 60 s), so only the bounds under test
    // can end a connection within the test's deadlines.
    f.insert(f.end(), {"--write-stall-timeout-ms", "3000", "--frame-timeout-ms", "1500", "--heartbeat-interval", "60"});
    return f;
  }

  // Polls until `done` holds (or the deadline), tracking parleyd's peak RSS.
  long peak_rss_kib_until(const std::function<bool()>& done, Ms timeout) {
    long peak = server().rss_kib();
    eventually(
        [&] {
          peak = std::max(peak, server().rss_kib());
          return done();
        },
        timeout, Ms(50));
    return peak;
  }
};

// Five devices of one user with a big backlog in many chats say hello with
// cursor o0 and never read. The resume reads a page only when the previous
// one has drained, so each holds a bounded amount; the watchdog drops them
// once their writes stall.
TEST_F(AbuseTest, NonReadingResumersStayBoundedAndAreDropped) {
  PARLEY_SINGLE_NODE_ONLY("it bounds one process's memory, and its devices connect to every node");
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  std::vector<std::string> groups;
  for (int i = 0; i < 100; ++i) groups.push_back(alice.create_group("g" + std::to_string(i), {bob.user_id()}).chat_id);
  auto writer = WsConnection::connect(server().host(), server().port(), {.keep_history = false});
  writer->hello(alice.token(), std::nullopt, kWait);
  fill(*writer, groups, 60, std::string(4000, 'x'));  // 6,000 messages, 24 MB of backlog
  writer->close();

  long before = server().rss_kib();
  std::vector<std::unique_ptr<RawWs>> resumers;
  for (int i = 0; i < 5; ++i) {
    Session device = another_device(bob, "silent" + std::to_string(i));
    resumers.push_back(std::make_unique<RawWs>(server().host(), server().port(), 4096));
    ASSERT_TRUE(resumers.back()->send_text(hello_frame(device, "o0")));
  }
  std::vector<bool> dropped(resumers.size(), false);
  long peak = peak_rss_kib_until(
      [&] {
        bool all = true;
        for (std::size_t i = 0; i < resumers.size(); ++i) {
          // Reading only to see whether the server ended it: a stalled write
          // is noticed server-side long before this looks.
          if (!dropped[i]) dropped[i] = resumers[i]->hung_up_by_server();
          all = all && dropped[i];
        }
        return all;
      },
      Ms(30000));
  // The bound: 5 connections x (read-ahead budget of 1,024 messages + one
  // page of frames) of 4 KB messages is about 25 MiB; without bounds this
  // backlog costs more than 24 MB per connection.
  EXPECT_LT(peak - before, 64 * 1024) << "RSS grew from " << before << " KiB to " << peak << " KiB";
  std::cout << "non-reading resumers: RSS " << before << " KiB before, peak " << peak << " KiB\n";
  for (std::size_t i = 0; i < dropped.size(); ++i) EXPECT_TRUE(dropped[i]) << "resumer " << i << " is still connected";
  // The server is fine, and a reading device still gets the whole backlog.
  auto reader = WsConnection::connect(server().host(), server().port(), {.keep_history = false});
  reader->hello(another_device(bob, "reader").token(), std::string("o0"), kWait);
  auto backlog = reader->collect_backlog(Ms(60000));
  ASSERT_TRUE(backlog.has_value());
  EXPECT_EQ(backlog->messages.size(), 6000u);
}

// A client that sends and never reads its replies: every reply counts
// against the connection's bound, oversized ids are not echoed, and the
// connection is dropped instead of growing the server.
TEST_F(AbuseTest, RepliesNobodyReadsAreBounded) {
  PARLEY_SKIP_MEMORY_BOUND_UNDER_ASAN();
  Session alice = new_session("alice");
  RawWs raw(server().host(), server().port(), 4096);
  ASSERT_TRUE(raw.send_text(hello_frame(alice, "o0")));
  std::string frame = json::serialize(json::object{
      {"type", "send"}, {"chat_id", "no-such-chat"}, {"client_msg_id", std::string(60000, 'i')}, {"text", "x"}});
  long before = server().rss_kib();
  long peak = before;
  bool refused = false;
  // A bound on the wait, not on the server's speed: the loop ends as soon as
  // the server drops the client (10-15 s on a cluster of a busy 2-core machine).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
    if (!raw.send_text(frame)) {
      refused = true;
      break;
    }
    if (i % 100 == 0) peak = std::max(peak, server().rss_kib());
  }
  EXPECT_TRUE(refused) << "the server kept a client that never reads its replies";
  EXPECT_LT(peak - before, 64 * 1024) << "RSS grew from " << before << " KiB to " << peak << " KiB";
  auto fresh = connect(alice);
  EXPECT_TRUE(fresh->is_open());
}

// A frame that starts and then arrives a byte at a time is bounded in time.
TEST_F(AbuseTest, TricklingFrameIsClosed) {
  Session alice = new_session("alice");
  RawWs raw(server().host(), server().port());
  ASSERT_TRUE(raw.send_text(hello_frame(alice, "o0")));
  std::string payload = R"({"type":"heartbeat","pad":")" + std::string(200, 'p') + R"("})";
  char key[4];
  std::string bytes = RawWs::frame_header(payload.size(), key) + RawWs::mask_payload(payload, key);
  bool closed = false;
  for (std::size_t i = 0; i < bytes.size() && !closed; ++i) {
    if (!raw.send_bytes(bytes.substr(i, 1))) {
      closed = true;
      break;
    }
    closed = raw.closed_by_server_within(200);
  }
  EXPECT_TRUE(closed) << "a frame trickling in for " << bytes.size() * 200 / 1000 << " s was kept";
}

class OverloadTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--max-pending-sends", "500", "--max-unacked-sends", "200"});
    return f;
  }
  void burst_is_answered_and_service_recovers();
};

// Here only the time the oldest waiting send has waited refuses sends: the
// bound is so short that a burst always passes it.
class OverloadByWaitTest : public OverloadTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    // In place of the fixture's own wait bound.
    auto wait = std::find(f.begin(), f.end(), "--max-pending-send-wait-ms");
    if (wait != f.end()) f.erase(wait, wait + 2);
    f.insert(f.end(),
             {"--max-pending-sends", "10000000", "--max-unacked-sends", "1000000", "--max-pending-send-wait-ms", "1"});
    return f;
  }
};

// A burst far above what may wait: every send is answered, ack or
// `overloaded`, at once; afterwards sends go through again; every acked
// message is stored exactly once.
void OverloadTest::burst_is_answered_and_service_recovers() {
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  auto chat = alice.create_direct(bob.user_id()).chat_id;
  auto ws = connect(alice);
  constexpr int kBurst = 5000;
  for (int i = 0; i < kBurst; ++i) ws->send_message(chat, "burst-" + std::to_string(i), "b");
  std::set<std::string> acked, refused;
  auto answered = [&] { return static_cast<int>(acked.size() + refused.size()); };
  while (answered() < kBurst) {
    auto frame = ws->next_matching(
        [](const json::object& o) { return str_field(o, "type") == "ack" || str_field(o, "type") == "error"; }, kWait);
    ASSERT_TRUE(frame.has_value()) << answered() << " of " << kBurst << " sends answered; open=" << ws->is_open();
    if (str_field(*frame, "type") == "ack") {
      EXPECT_TRUE(acked.insert(str_field(*frame, "client_msg_id")).second) << "acked twice";
    } else {
      EXPECT_EQ(str_field(*frame, "code"), "overloaded") << json::serialize(*frame);
      EXPECT_TRUE(refused.insert(str_field(*frame, "ref")).second) << "refused twice";
    }
  }
  EXPECT_GT(refused.size(), 0u) << "a burst of " << kBurst << " never met the bounds";
  EXPECT_GT(acked.size(), 0u);
  EXPECT_TRUE(ws->is_open());

  // A modest rate afterwards goes through.
  for (int i = 0; i < 100; ++i) {
    auto r = ws->send_and_wait(chat, "after-" + std::to_string(i), "a");
    ASSERT_TRUE(r.ok()) << json::serialize(r.frame);
    acked.insert("after-" + std::to_string(i));
  }
  // Everything acked is stored once, in a gap-free sequence; nothing refused is.
  std::set<std::string> stored;
  for (std::int64_t after = 0;;) {
    auto page = alice.history(chat, {.after = after, .limit = 200});
    if (page.empty()) break;
    for (const auto& m : page) EXPECT_TRUE(stored.insert(m.client_msg_id).second) << "stored twice";
    after = page.back().seq;
  }
  EXPECT_EQ(stored, acked);
}

TEST_F(OverloadTest, EverySendIsAnsweredAndServiceRecovers) {
  burst_is_answered_and_service_recovers();
}

TEST_F(OverloadByWaitTest, EverySendIsAnsweredAndServiceRecovers) {
  burst_is_answered_and_service_recovers();
}

}  // namespace
}  // namespace parley::testing
