// parley receipts, and the "delivered" reports of parley watch, through the
// real binary.
#include "cli_fixture.h"

namespace parley::testing {
namespace {

class ReceiptsCliTest : public CliTest {};

TEST_F(ReceiptsCliTest, AWatchReportsWhatItPrintedAndReceiptsCountsMembers) {
  CliUser ann = new_user("ann");
  CliUser bob = new_user("bob");
  CliUser cy = new_user("cy");
  const std::string group = parley(ann, {"group", "Team", bob.email, cy.email}).trimmed();
  const std::string seq = parley(ann, {"send", group, "hello team"}).trimmed();
  ASSERT_EQ(seq, "1");

  // Bob's watch prints the message and reports it delivered; Ann's watch hears that.
  auto ann_watch = spawn(ann, {"watch", "--json"});
  ASSERT_TRUE(ann_watch->wait_stderr("\"connected\"", kWait)) << ann_watch->err();
  auto bob_watch = spawn(bob, {"watch", "--json"});
  ASSERT_TRUE(bob_watch->wait_stderr("\"connected\"", kWait)) << bob_watch->err();
  EXPECT_EXIT_CODE(parley(ann, {"send", group, "are you there?"}), 0);
  ASSERT_TRUE(ann_watch->read_until(
      [&](const std::string& line) {
        auto delivered = objects_of_type({line}, "delivered");
        return !delivered.empty() && line.find(bob.user_id) != std::string::npos;
      },
      kWait))
      << ann_watch->out_so_far();

  CliResult one = parley(ann, {"receipts", group, "2"});
  EXPECT_EXIT_CODE(one, 0);
  EXPECT_NE(one.out.find("read by 0 of 2"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("received by 1 of 2 (bob)"), std::string::npos) << one.out;

  // Cy reads (another client): reading implies receiving.
  auto cy_session = lib_session(cy);
  auto ws = cy_session.connect_ws();
  ws->send(json::object{{"type", "read"}, {"chat_id", group}, {"seq", 2}});
  EXPECT_TRUE(eventually(
      [&] {
        return parley(ann, {"receipts", group, "2"}).out.find("read by 1 of 2 (cy); received by 2 of 2") !=
               std::string::npos;
      },
      kWait));

  auto all = parley(ann, {"--json", "receipts", group}).json_lines();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("receipts").as_array().size(), 2u);

  CliResult missing = parley(ann, {"receipts", group, "99"});
  EXPECT_EXIT_CODE(missing, 1);
  EXPECT_NE(missing.err.find("not_found"), std::string::npos) << missing.err;
  EXPECT_EXIT_CODE(parley(ann, {"receipts", "no-such-chat"}), 1);
  EXPECT_EXIT_CODE(parley(ann, {"receipts", group, "0"}), 2);
}

}  // namespace
}  // namespace parley::testing
