// GET /v1/stats: what parleyd holds in memory, for operators and the soak
// probe (tests/stress). Off unless --stats-endpoint is given.
#include "fixture.h"

namespace parley::testing {
namespace {

double number_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : -1;
}

TEST_F(ParleyTest, StatsAreOffByDefault) {
  EXPECT_EQ(server().http().get("/v1/stats").status, 404);
}

class StatsTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    f.push_back("--stats-endpoint");
    return f;
  }
  json::object stats() {
    auto r = server().http().get("/v1/stats");
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.json.is_object() ? r.json.as_object() : json::object{};
  }
};

TEST_F(StatsTest, ReportsResidentMemoryConnectionsAndTheStore) {
  PARLEY_SINGLE_NODE_ONLY("the figures are those of one process and its embedded store");
  auto before = stats();
  EXPECT_GT(number_at(before, "rss_bytes"), 1 << 20);
  EXPECT_GT(number_at(before, "rss_anon_bytes"), 1 << 20);
  EXPECT_LT(number_at(before, "rss_anon_bytes"), number_at(before, "rss_bytes"));
  EXPECT_EQ(number_at(before, "ws_connections"), 0);
  ASSERT_TRUE(before.contains("store") && before.at("store").is_object());
  const auto& store = before.at("store").as_object();
  for (const char* name : {"memtable_bytes", "block_cache_bytes", "table_readers_bytes"}) {
    EXPECT_GE(number_at(store, name), 0) << name;
  }
  EXPECT_EQ(number_at(store, "reopens"), 0);  // a healthy store was never reopened
  // The RSS figure is parleyd's own: it matches /proc/PID/status.
  EXPECT_NEAR(number_at(before, "rss_bytes") / 1024, server().rss_kib(), 4096);

  Session alice = new_session("alice");
  auto chat = alice.create_group("g", {});
  auto ws = connect(alice);
  EXPECT_TRUE(eventually([&] { return number_at(stats(), "ws_connections") == 1; }));
  const double memtable_before = number_at(store, "memtable_bytes");
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(ws->send_and_wait(chat.chat_id, cmid(), std::string(1000, 'x')).ok());
  // 200 KB of messages are in the memtables now.
  auto after = stats();
  EXPECT_GT(number_at(after.at("store").as_object(), "memtable_bytes"), memtable_before);
  ws->close();
  EXPECT_TRUE(eventually([&] { return number_at(stats(), "ws_connections") == 0; }));
}

}  // namespace
}  // namespace parley::testing
