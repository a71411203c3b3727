// Delivery receipts in the core: reports gathered into one write and one
// event per chat, positions that never move back nor past the chat's end,
// and the privacy rules receipts follow.
#include <algorithm>
#include <map>

#include "core_fixture.h"

namespace parley::testing {
namespace {

using Receipt = DeliveryReceipts::Receipt;

class DeliveryReceiptsTest : public CoreTest {
 protected:
  DeliveryReceiptsTest() {
    // A window no test outlasts: Core::stop() (or flush()) ends it, so what
    // is gathered together is decided by the test, not by timing.
    config.delivery_gather_ms = 600'000;
    rebuild();
    ann = make_user("ann");
    bob = make_user("bob");
    cy = make_user("cy");
    wa = login("ann");
    wb = login("bob");
    wc = login("cy");
    auto created = core->chats.create_group(ann, "team", {bob, cy});
    EXPECT_TRUE(created.ok());
    if (created) group = (*created)->id;
  }

  // Ends the window: stores and announces what was reported.
  void flush() { core->delivery.stop(); }

  void send_texts(const AuthContext& from, const ChatId& chat, int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(send(from, chat, from.device_id + "-" + std::to_string(i), "text " + std::to_string(i)).ok());
    }
  }

  // The delivered markers each user was told of, by user.
  std::map<UserId, std::vector<DeliveredMarker>> told() {
    std::map<UserId, std::vector<DeliveredMarker>> out;
    for (const auto& d : sink.deliveries_of<DeliveredEvent>()) {
      for (const UserId& u : d.users) {
        auto& markers = out[u];
        markers.insert(markers.end(), d.event.markers.begin(), d.event.markers.end());
      }
    }
    return out;
  }

  std::vector<Receipt> receipts_for(const UserId& viewer, const ChatId& chat) {
    auto r = core->delivery.receipts(viewer, chat);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<Receipt>{};
  }

  UserId ann, bob, cy;
  AuthContext wa, wb, wc;
  ChatId group;
};

TEST_F(DeliveryReceiptsTest, ReportsOfOneWindowAreOneWriteAndOneEventPerListener) {
  send_texts(wa, group, 3);
  sink.clear();
  ASSERT_TRUE(core->delivery.record(wb, group, 2).ok());
  ASSERT_TRUE(core->delivery.record(wb, group, 3).ok());  // the newest of a device's reports counts
  ASSERT_TRUE(core->delivery.record(wc, group, 3).ok());
  const auto writes_before = faults.calls(StoreMethod::raise_delivered_markers);
  flush();
  EXPECT_EQ(faults.calls(StoreMethod::raise_delivered_markers), writes_before + 1);

  auto heard = told();
  EXPECT_EQ(heard[ann], (std::vector<DeliveredMarker>{{bob, 3}, {cy, 3}}));
  EXPECT_EQ(heard[bob], (std::vector<DeliveredMarker>{{cy, 3}}));
  EXPECT_EQ(heard[cy], (std::vector<DeliveredMarker>{{bob, 3}}));
  EXPECT_EQ(sink.deliveries_of<DeliveredEvent>().size(), 3u) << "one event per set of listeners";

  // Stored: a client asking later sees the same.
  auto receipts = receipts_for(ann, group);
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(receipts[0], (Receipt{bob, 0, 3, 0}));
  EXPECT_EQ(receipts[1], (Receipt{cy, 0, 3, 0}));
}

TEST_F(DeliveryReceiptsTest, NeverPastTheLastMessageNorBack) {
  send_texts(wa, group, 2);
  ASSERT_TRUE(core->delivery.record(wb, group, 99).ok());
  flush();
  core->delivery.start();
  EXPECT_EQ(receipts_for(ann, group)[0].delivered_seq, 2u) << "clamped to the chat's last seq";
  ASSERT_TRUE(core->delivery.record(wb, group, 1).ok());
  flush();
  EXPECT_EQ(receipts_for(ann, group)[0].delivered_seq, 2u) << "never back";
}

TEST_F(DeliveryReceiptsTest, ReadingImpliesReceivingAndALaterMemberCountsFromItsJoin) {
  send_texts(wa, group, 2);
  ASSERT_TRUE(core->conversations.mark_read(wb, group, 2).ok());
  const UserId dee = make_user("dee");
  ASSERT_TRUE(core->chats.add_member(ann, group, dee).ok());
  ASSERT_TRUE(eventually([&] {
    auto last = store.last_seq(group);
    return last.ok() && *last >= 3;  // the timeline line that added Dee
  }));
  auto receipts = receipts_for(ann, group);
  ASSERT_EQ(receipts.size(), 3u);
  EXPECT_EQ(receipts[0], (Receipt{bob, 2, 2, 0}));
  EXPECT_EQ(receipts[2].user_id, dee);
  EXPECT_EQ(receipts[2].joined_seq, 2u);
}

TEST_F(DeliveryReceiptsTest, OnlyMembersMayReportOrAsk) {
  send_texts(wa, group, 1);
  const UserId eve = make_user("eve");
  const AuthContext we = login("eve");
  EXPECT_FALSE(core->delivery.record(we, group, 1).ok());
  EXPECT_FALSE(core->delivery.record(wb, "no-such-chat", 1).ok());
  EXPECT_FALSE(core->delivery.receipts(eve, group).ok());
  flush();
  auto stored = store.markers_of_chat(group);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(std::none_of(stored->begin(), stored->end(), [&](const auto& m) { return m.user_id == eve; }));
  EXPECT_TRUE(sink.deliveries_of<DeliveredEvent>().empty());
}

TEST_F(DeliveryReceiptsTest, ABlockHidesReceiptsBothWays) {
  send_texts(wa, group, 1);
  ASSERT_TRUE(core->privacy.set_blocked(cy, ann, true).ok());
  sink.clear();
  ASSERT_TRUE(core->delivery.record(wc, group, 1).ok());
  ASSERT_TRUE(core->delivery.record(wb, group, 1).ok());
  flush();
  auto heard = told();
  EXPECT_EQ(heard[ann], (std::vector<DeliveredMarker>{{bob, 1}})) << "Cy's receipt never reaches Ann";
  EXPECT_EQ(heard[bob], (std::vector<DeliveredMarker>{{cy, 1}}));
  auto for_ann = receipts_for(ann, group);
  ASSERT_EQ(for_ann.size(), 1u);
  EXPECT_EQ(for_ann[0].user_id, bob);
  auto for_cy = receipts_for(cy, group);
  ASSERT_EQ(for_cy.size(), 1u);
  EXPECT_EQ(for_cy[0].user_id, bob) << "nor Ann's Cy";
}

TEST_F(DeliveryReceiptsTest, AMessageRequestShowsTheOpenerNoReceiptUntilAccepted) {
  const ChatId chat = request(ann, bob);
  send_texts(wa, chat, 1);
  sink.clear();
  ASSERT_TRUE(core->delivery.record(wb, chat, 1).ok());
  flush();
  EXPECT_TRUE(told()[ann].empty());
  EXPECT_TRUE(receipts_for(ann, chat).empty());
  ASSERT_TRUE(core->chats.accept(bob, chat).ok());
  EXPECT_EQ(receipts_for(ann, chat), (std::vector<Receipt>{{bob, 0, 1, 0}}));
}

TEST_F(DeliveryReceiptsTest, AFailedWriteIsRetriedAndNothingIsAnnouncedBeforeIt) {
  config.delivery_gather_ms = 1;
  config.last_active_retry_initial_ms = 1;
  rebuild();
  send_texts(wa, group, 1);
  sink.clear();
  faults.fail(StoreMethod::raise_delivered_markers);
  ASSERT_TRUE(core->delivery.record(wb, group, 1).ok());
  ASSERT_TRUE(eventually([&] { return faults.calls(StoreMethod::raise_delivered_markers) >= 2; }));
  EXPECT_TRUE(sink.deliveries_of<DeliveredEvent>().empty());
  faults.heal(StoreMethod::raise_delivered_markers);
  ASSERT_TRUE(eventually([&] { return !told()[ann].empty(); }));
  EXPECT_EQ(told()[ann], (std::vector<DeliveredMarker>{{bob, 1}}));
  EXPECT_EQ(receipts_for(ann, group)[0].delivered_seq, 1u);
}

TEST_F(DeliveryReceiptsTest, AnUnreadableChatEndKeepsTheReportsForTheNextTry) {
  config.delivery_gather_ms = 1;
  config.last_active_retry_initial_ms = 1;
  rebuild();
  send_texts(wa, group, 2);
  sink.clear();
  faults.fail(StoreMethod::last_seq);
  const auto reads_before = faults.calls(StoreMethod::last_seq);
  ASSERT_TRUE(core->delivery.record(wb, group, 2).ok());
  ASSERT_TRUE(eventually([&] { return faults.calls(StoreMethod::last_seq) >= reads_before + 2; }));
  EXPECT_TRUE(sink.deliveries_of<DeliveredEvent>().empty());
  faults.heal(StoreMethod::last_seq);
  ASSERT_TRUE(eventually([&] { return !told()[ann].empty(); }));
  EXPECT_EQ(told()[ann], (std::vector<DeliveredMarker>{{bob, 2}}));
  EXPECT_EQ(receipts_for(ann, group)[0].delivered_seq, 2u);
}

}  // namespace
}  // namespace parley::testing
