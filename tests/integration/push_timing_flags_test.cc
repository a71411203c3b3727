// The push queue's timing flags (--push-lease-ms, --push-head-poll-ms,
// --push-rescan-ms): values in range start parleyd with them, anything else
// stops start-up with an error naming the flag.
#include <gtest/gtest.h>

#include "server_process.h"

namespace parley::testing {
namespace {

TEST(PushTimingFlagsTest, ValuesInRangeAreTakenAtTheirBounds) {
  ServerProcess server({"--push-lease-ms", "20000", "--push-head-poll-ms", "10", "--push-rescan-ms", "1000"});
  server.start();
  EXPECT_NE(server.log_tail().find("push queue: lease 20000 ms, head poll 10 ms, rescan 1000 ms"), std::string::npos)
      << server.log_tail();
  EXPECT_EQ(server.terminate(), 0);

  ServerProcess upper({"--push-lease-ms", "86400000", "--push-head-poll-ms", "60000", "--push-rescan-ms", "86400000"});
  upper.start();
  EXPECT_NE(upper.log_tail().find("push queue: lease 86400000 ms, head poll 60000 ms, rescan 86400000 ms"),
            std::string::npos)
      << upper.log_tail();
}

TEST(PushTimingFlagsTest, TheDefaultsAreThoseOfTheDocs) {
  ServerProcess server;
  server.start();
  EXPECT_NE(server.log_tail().find("push queue: lease 60000 ms, head poll 1000 ms, rescan 60000 ms"), std::string::npos)
      << server.log_tail();
}

TEST(PushTimingFlagsTest, BadValuesStopStartUpNamingTheFlag) {
  const std::vector<std::vector<std::string>> bad{
      {"--push-lease-ms", "19999"},  // shorter than twice a push's timeout
      {"--push-lease-ms", "86400001"},
      {"--push-lease-ms", "0"},
      {"--push-lease-ms", "-60000"},
      {"--push-lease-ms", "60s"},
      {"--push-lease-ms", ""},
      {"--push-lease-ms", "99999999999999999999999"},  // past 64 bits
      {"--push-head-poll-ms", "9"},
      {"--push-head-poll-ms", "60001"},
      {"--push-head-poll-ms", "1e3"},
      {"--push-head-poll-ms", "0x5"},  // hex is taken as a number, and checked like one
      {"--push-rescan-ms", "999"},
      {"--push-rescan-ms", "86400001"},
      {"--push-rescan-ms", "5000ms"},
      {"--push-rescan-ms", "5000 1"},
      {"--push-rescan-ms", std::string(10'000, '9')},
  };
  for (const auto& flags : bad) {
    ServerProcess server(flags);
    EXPECT_THROW(server.start(), std::runtime_error) << flags[0] << " '" << flags[1] << "'";
    EXPECT_NE(server.log_tail().find(flags[0]), std::string::npos)
        << "no word of " << flags[0] << " in: " << server.log_tail();
  }
}

TEST(PushTimingFlagsTest, ARescanMoreOftenThanTheHeadPollIsRefused) {
  ServerProcess server({"--push-head-poll-ms", "5000", "--push-rescan-ms", "4999"});
  EXPECT_THROW(server.start(), std::runtime_error);
  EXPECT_NE(server.log_tail().find("--push-rescan-ms (4999) must be at least --push-head-poll-ms (5000)"),
            std::string::npos)
      << server.log_tail();
}

}  // namespace
}  // namespace parley::testing
