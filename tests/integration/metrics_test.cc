// GET /metrics: the Prometheus text exposition, served with --stats-endpoint.
// The output is parsed as a scraper would, and the counters must move with
// traffic. The figures are one process's: single node only.
#include <cctype>
#include <limits>
#include <map>
#include <sstream>

#include "fixture.h"

namespace parley::testing {
namespace {

// name{labels} -> value, with every line checked against the text format.
struct Scrape {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;  // metric family -> counter | gauge | histogram
  std::string content_type;
  double at(const std::string& key) const {
    auto it = samples.find(key);
    return it == samples.end() ? -1 : it->second;
  }
};

::testing::AssertionResult parse(const std::string& text, Scrape& out) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) return ::testing::AssertionFailure() << "empty line " << n;
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      if (type != "counter" && type != "gauge" && type != "histogram") {
        return ::testing::AssertionFailure() << "bad type on line " << n << ": " << line;
      }
      if (!out.types.emplace(name, type).second) return ::testing::AssertionFailure() << "TYPE twice: " << name;
      continue;
    }
    if (line[0] == '#') return ::testing::AssertionFailure() << "stray comment: " << line;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) return ::testing::AssertionFailure() << "no value on line " << n << ": " << line;
    const std::string key = line.substr(0, space);
    const std::string value = line.substr(space + 1);
    const std::string name = key.substr(0, key.find('{'));
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) {
        return ::testing::AssertionFailure() << "bad metric name on line " << n << ": " << line;
      }
    }
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0 &&
          out.types.count(family.substr(0, family.size() - s.size())) != 0) {
        family = family.substr(0, family.size() - s.size());
      }
    }
    if (out.types.count(family) == 0) return ::testing::AssertionFailure() << "sample before its TYPE: " << line;
    double v = 0;
    if (value == "+Inf") {
      v = std::numeric_limits<double>::infinity();
    } else {
      std::size_t used = 0;
      try {
        v = std::stod(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != value.size()) return ::testing::AssertionFailure() << "bad value on line " << n << ": " << line;
    }
    if (!out.samples.emplace(key, v).second) return ::testing::AssertionFailure() << "sample twice: " << key;
  }
  return ::testing::AssertionSuccess();
}

// No bucket holds more than the count, and the +Inf bucket is the count.
::testing::AssertionResult histogram_is_consistent(const Scrape& s, const std::string& name) {
  const double count = s.at(name + "_count");
  double inf = -1;
  int buckets = 0;
  for (const auto& [key, value] : s.samples) {
    if (key.rfind(name + "_bucket{", 0) != 0) continue;
    ++buckets;
    if (value > count) return ::testing::AssertionFailure() << key << " " << value << " > count " << count;
    if (key.find("le=\"+Inf\"") != std::string::npos) inf = value;
  }
  if (buckets < 2) return ::testing::AssertionFailure() << name << ": " << buckets << " buckets";
  if (inf != count) return ::testing::AssertionFailure() << name << ": +Inf " << inf << " != count " << count;
  return ::testing::AssertionSuccess();
}

class MetricsTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.push_back("--stats-endpoint");
    return f;
  }
  Scrape scrape() {
    auto r = server().http().get("/metrics");
    Scrape s;
    EXPECT_EQ(r.status, 200) << r.raw;
    s.content_type = r.header("Content-Type");
    EXPECT_TRUE(parse(r.raw, s)) << r.raw;
    return s;
  }
};

TEST_F(ParleyTest, MetricsAreOffByDefault) {
  auto r = server().http().get("/metrics");
  EXPECT_NE(r.status, 200) << r.raw;
  EXPECT_EQ(r.raw.find("parley_"), std::string::npos) << r.raw;
}

TEST_F(MetricsTest, CountersMoveWithTraffic) {
  PARLEY_SINGLE_NODE_ONLY("the figures are those of one process");
  const Scrape before = scrape();
  EXPECT_EQ(before.content_type.rfind("text/plain; version=0.0.4", 0), 0u) << before.content_type;
  for (const char* name :
       {"parley_websocket_connections", "parley_messages_stored_total", "parley_messages_delivered_total",
        "parley_send_ack_seconds", "parley_send_deliver_seconds", "parley_commit_batch_messages",
        "parley_commit_seconds", "parley_pending_sends", "parley_push_jobs_pending", "parley_push_attempts_total",
        "parley_push_failures_total", "parley_presence_users", "parley_store"}) {
    EXPECT_EQ(before.types.count(name), 1u) << name;
  }
  EXPECT_GE(before.at("parley_store{stat=\"memtable_bytes\"}"), 0);
  EXPECT_EQ(before.at("parley_store{stat=\"write_stopped\"}"), 0);
  EXPECT_EQ(before.at("parley_websocket_connections"), 0);

  Session alice = new_session("alice");
  Session bob = new_session("bob");
  auto chat = alice.create_direct(bob.user_id());
  auto a = connect(alice);
  auto b = connect(bob);
  constexpr int kMessages = 5;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(a->send_and_wait(chat.chat_id, cmid(), "hi").ok());
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(b->next_message(kWait).has_value());
  ASSERT_TRUE(a->send_and_wait(chat.chat_id, "same-id", "once").ok());
  ASSERT_TRUE(a->send_and_wait(chat.chat_id, "same-id", "once").ok());  // a resend: not stored again

  // Deliveries are counted as they are queued, just after the recipients see the ack path.
  Scrape after;
  EXPECT_TRUE(eventually([&] {
    after = scrape();
    return after.at("parley_messages_delivered_total") >=
           before.at("parley_messages_delivered_total") + 2 * (kMessages + 1);
  }));
  EXPECT_EQ(after.at("parley_messages_stored_total"), before.at("parley_messages_stored_total") + kMessages + 1);
  EXPECT_EQ(after.at("parley_messages_duplicate_total"), before.at("parley_messages_duplicate_total") + 1);
  EXPECT_EQ(after.at("parley_send_ack_seconds_count"), before.at("parley_send_ack_seconds_count") + kMessages + 2);
  EXPECT_GE(after.at("parley_commit_batch_messages_count"), before.at("parley_commit_batch_messages_count") + 1);
  EXPECT_GT(after.at("parley_commit_batch_messages_sum"), before.at("parley_commit_batch_messages_sum"));
  EXPECT_EQ(after.at("parley_websocket_connections"), 2);
  EXPECT_EQ(after.at("parley_presence_users"), 2);
  for (const char* h : {"parley_send_ack_seconds", "parley_send_deliver_seconds", "parley_commit_batch_messages",
                        "parley_commit_seconds"}) {
    EXPECT_TRUE(histogram_is_consistent(after, h));
  }
  // A refused send counts too.
  a->send(json::object{{"type", "send"}, {"chat_id", chat.chat_id}, {"client_msg_id", cmid()}, {"text", ""}});
  expect_error_frame(*a, "empty_text");
  EXPECT_EQ(scrape().at("parley_sends_refused_total"), after.at("parley_sends_refused_total") + 1);

  a->close();
  b->close();
  EXPECT_TRUE(eventually([&] { return scrape().at("parley_websocket_connections") == 0; }));
}

TEST_F(MetricsTest, ALightLoadIsNeverPacedAndItsWritesAndWakesAreCounted) {
  PARLEY_SINGLE_NODE_ONLY("the figures are those of one process");
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  auto chat = alice.create_direct(bob.user_id());
  auto a = connect(alice);
  auto b = connect(bob);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->send_and_wait(chat.chat_id, cmid(), "hi").ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b->next_message(kWait, chat.chat_id));
  const Scrape s = scrape();
  EXPECT_EQ(s.at("parley_ws_paced_writes_total"), 0);
  EXPECT_EQ(s.at("parley_io_paused_wakes_total"), 0);
  EXPECT_GT(s.at("parley_io_wakes_total"), 0);
  EXPECT_GE(s.at("parley_ws_writes_total"), 5);           // each ack awaited before the next send
  EXPECT_GE(s.at("parley_ws_frames_written_total"), 10);  // five acks, five messages
}

}  // namespace
}  // namespace parley::testing
