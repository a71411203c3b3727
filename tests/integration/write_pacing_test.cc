// Paced writes (net/write_pacer.h) and paced wakes (net/wake_pacer.h): with
// pacing forced on (any load counts as busy), every frame still reaches
// every device whole, once and in order, every send is acked, and the writes
// or wakes are counted as paced (that a light load is not: metrics_test.cc).
// The flags refuse what makes no sense.
#include <thread>

#include "fixture.h"

namespace parley::testing {
namespace {

double sample(const std::string& metrics, const std::string& name) {
  const std::string prefix = name + " ";
  for (std::size_t at = 0; at < metrics.size();) {
    const std::size_t end = std::min(metrics.find('\n', at), metrics.size());
    if (metrics.compare(at, prefix.size(), prefix) == 0) return std::stod(metrics.substr(at + prefix.size(), end - at));
    at = end + 1;
  }
  return -1;
}

// The chat's messages on `ws` are `texts`, each once, in order, and nothing after.
void expect_each_once_in_order(WsConnection& ws, const std::string& chat_id, const std::vector<std::string>& texts) {
  const auto total = static_cast<std::int64_t>(texts.size());
  std::vector<json::object> got;
  while (static_cast<std::int64_t>(got.size()) < total) {
    auto m = ws.next_message(kWait, chat_id);
    if (!m) break;
    got.push_back(std::move(*m));
  }
  ASSERT_EQ(seqs_of(got), range_seq(1, total));
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(got[i].at("text").as_string(), texts[i]);
  EXPECT_FALSE(ws.next_message(std::chrono::milliseconds(100), chat_id)) << "a frame came twice";
}

class PacingTest : public ParleyTest {
 protected:
  double metric(const std::string& name) {
    auto r = server().http().get("/metrics");
    EXPECT_EQ(r.status, 200) << r.raw;
    return sample(r.raw, name);
  }
};

class WritePacingTest : public PacingTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--stats-endpoint", "--write-delay-ms", "30", "--write-pacing-above", "1"});
    return f;
  }
};

class WakePacingTest : public PacingTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.insert(f.end(), {"--stats-endpoint", "--wake-pause-us", "3000", "--wake-pacing-above", "1"});
    return f;
  }
};

TEST_F(WritePacingTest, EveryFrameArrivesOnceAndInOrderWhilePaced) {
  PARLEY_SINGLE_NODE_ONLY("the counters are those of one process");
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session carol = new_session("carol");
  Session bob_phone = another_device(bob, "phone");
  ChatInfo g = alice.create_group("paced", {bob.user_id(), carol.user_id()});
  auto a = connect(alice);
  std::vector<std::unique_ptr<WsConnection>> readers;
  for (Session* s : {&bob, &carol, &bob_phone}) readers.push_back(connect(*s));

  // One send at a time first: each frame goes in a write of its own, which
  // is what makes a busy loop pace. Then bursts, gathered while paced.
  std::vector<std::string> texts;
  for (int i = 0; i < 20; ++i) {
    texts.push_back("one at a time " + std::to_string(i));
    ASSERT_TRUE(a->send_and_wait(g.chat_id, cmid(), texts.back()).ok());
  }
  std::vector<std::string> ids;
  for (int burst = 0; burst < 4; ++burst) {
    for (int i = 0; i < 10; ++i) {
      ids.push_back(cmid());
      texts.push_back("burst " + std::to_string(burst) + " message " + std::to_string(i));
      a->send_message(g.chat_id, ids.back(), texts.back());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (const auto& id : ids) {
    auto ack = a->next_matching([&](const json::object& f) {
      return f.at("type").as_string() == "ack" && f.at("client_msg_id").as_string() == id;
    });
    ASSERT_TRUE(ack) << "no ack for " << id;
  }
  for (auto& ws : readers) expect_each_once_in_order(*ws, g.chat_id, texts);
  EXPECT_GT(metric("parley_ws_paced_writes_total"), 0);
  EXPECT_GE(metric("parley_ws_frames_written_total"), metric("parley_ws_writes_total"));
}

TEST_F(WakePacingTest, EverySendIsAckedAndEveryFrameArrivesOnceAndInOrderWhilePaced) {
  PARLEY_SINGLE_NODE_ONLY("the counters are those of one process");
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  Session bob_phone = another_device(bob, "phone");
  ChatInfo direct = alice.create_direct(bob.user_id());
  auto a = connect(alice);
  auto b = connect(bob);
  auto phone = connect(bob_phone);

  // Bursts of sends that each wake of the server finds several of, then
  // single sends that each wait for their ack.
  std::vector<std::string> texts;
  std::vector<std::string> ids;
  for (int burst = 0; burst < 5; ++burst) {
    for (int i = 0; i < 20; ++i) {
      ids.push_back(cmid());
      texts.push_back("burst " + std::to_string(burst) + " message " + std::to_string(i));
      a->send_message(direct.chat_id, ids.back(), texts.back());
    }
    for (const auto& id : std::vector<std::string>(ids.end() - 20, ids.end())) {
      auto ack = a->next_matching([&](const json::object& f) {
        return f.at("type").as_string() == "ack" && f.at("client_msg_id").as_string() == id;
      });
      ASSERT_TRUE(ack) << "no ack for " << id;
    }
  }
  for (int i = 0; i < 5; ++i) {
    texts.push_back("one at a time " + std::to_string(i));
    ASSERT_TRUE(a->send_and_wait(direct.chat_id, cmid(), texts.back()).ok());
  }
  for (WsConnection* ws : {b.get(), phone.get()}) expect_each_once_in_order(*ws, direct.chat_id, texts);
  EXPECT_GT(metric("parley_io_paused_wakes_total"), 0);
  EXPECT_LE(metric("parley_io_paused_wakes_total"), metric("parley_io_wakes_total"));
  EXPECT_GE(metric("parley_io_jobs_total"), metric("parley_io_wakes_total"));
}

TEST(WritePacingFlagTest, OutOfRangeValuesStopStartUpNamingTheFlag) {
  for (const auto& [flag, value] :
       std::vector<std::pair<std::string, std::string>>{{"--write-delay-ms", "-1"},
                                                        {"--write-delay-ms", "1001"},
                                                        {"--write-delay-ms", "20ms"},
                                                        {"--write-delay-ms", ""},
                                                        {"--write-pacing-above", "-5"},
                                                        {"--write-pacing-above", "99999999999999999999999"},
                                                        {"--write-pacing-above", "fast"},
                                                        {"--wake-pause-us", "-1"},
                                                        {"--wake-pause-us", "100001"},
                                                        {"--wake-pause-us", "2ms"},
                                                        {"--wake-pause-us", ""},
                                                        {"--wake-pacing-above", "-5"},
                                                        {"--wake-pacing-above", "99999999999999999999999"},
                                                        {"--wake-pacing-above", "fast"}}) {
    ServerProcess server({flag, value});
    EXPECT_THROW(server.start(), std::runtime_error) << flag << " " << value;
    EXPECT_NE(server.log_tail().find(flag), std::string::npos) << flag << " " << value << ": " << server.log_tail();
  }
}

}  // namespace
}  // namespace parley::testing
