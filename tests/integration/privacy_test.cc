// Privacy over the wire: blocking (invisible to the one blocked: acked as
// usual, withheld live, in history and on resume), message requests (a
// direct chat someone opened is a request until replied to or accepted) and
// the presence visibility setting (everyone / contacts / nobody).
#include "fixture.h"

namespace parley::testing {
namespace {

using client::PresenceInfo;
using client::str_field;

class PrivacyTest : public ParleyTest {
 protected:
  PresenceInfo presence_of(Session& viewer, const std::string& user_id) {
    auto list = viewer.presence({user_id});
    EXPECT_EQ(list.size(), 1u);
    return list.empty() ? PresenceInfo{} : list[0];
  }
  // A direct chat both have written in: no request in the way.
  ChatInfo talking(Session& a, Session& b) {
    ChatInfo chat = a.create_direct(b.user_id());
    a.send(chat.chat_id, cmid(), "hello");
    b.send(chat.chat_id, cmid(), "hi");
    return chat;
  }
  static std::vector<std::string> texts(const std::vector<client::MessageInfo>& page) {
    std::vector<std::string> out;
    for (auto it = page.rbegin(); it != page.rend(); ++it) out.push_back(it->text);
    return out;
  }
};

TEST_F(PrivacyTest, ABlockedUsersMessagesAreAckedButNeverReachTheBlocker) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session bob2 = another_device(bob);
  ChatInfo dm = talking(ann, bob);
  auto blocked = ann.block(bob.user_id());
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0].user_id, bob.user_id());
  EXPECT_EQ(blocked[0].display_name, user_of(bob).display_name);

  auto a = connect(ann);
  auto b2 = connect(bob2);
  auto before = a->welcome();
  auto sent = bob.send(dm.chat_id, cmid(), "while blocked");
  EXPECT_EQ(sent.seq, 3) << "acked like any message";
  auto mine = b2->next_message(kWait, dm.chat_id);
  ASSERT_TRUE(mine) << "the sender's other devices have it";
  EXPECT_EQ(str_field(*mine, "text"), "while blocked");

  ann.unblock(bob.user_id());
  EXPECT_TRUE(ann.blocked().empty());
  bob.send(dm.chat_id, cmid(), "after the unblock");
  auto next = a->next_message(kWait, dm.chat_id);
  ASSERT_TRUE(next);
  EXPECT_EQ(str_field(*next, "text"), "after the unblock") << "the withheld message never came";

  EXPECT_EQ(texts(ann.history(dm.chat_id)), (std::vector<std::string>{"hello", "hi", "after the unblock"}));
  EXPECT_EQ(texts(bob.history(dm.chat_id)),
            (std::vector<std::string>{"hello", "hi", "while blocked", "after the unblock"}));
  // A resume from before it skips it too.
  auto again = connect(ann, str_field(before, "cursor"));
  auto backlog = again->collect_backlog(kWait);
  ASSERT_TRUE(backlog);
  std::vector<std::string> replayed;
  for (const auto& frame : backlog->messages) replayed.push_back(str_field(frame, "text"));
  EXPECT_EQ(replayed, (std::vector<std::string>{"after the unblock"}));
  // Not in Ann's chat list either: unread are "hi" and "after the unblock".
  EXPECT_EQ(ann.find_chat(dm.chat_id)->unread, 2);
  EXPECT_EQ(str_field(ann.find_chat(dm.chat_id)->raw.at("last_message").as_object(), "text"), "after the unblock");
}

TEST_F(PrivacyTest, WhoeverBlocksCannotWriteToThem) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo dm = talking(ann, bob);
  ann.block(bob.user_id());
  auto r = ann.call("POST", "/v1/chats/" + dm.chat_id + "/messages",
                    json::value(json::object{{"client_msg_id", cmid()}, {"text", "to a blocked user"}}));
  EXPECT_TRUE(is_error(r, 403, "forbidden"));
  EXPECT_EQ(ann.history(dm.chat_id).size(), 2u);
}

TEST_F(PrivacyTest, BadBlocksAreRefusedAndChangeNothing) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  EXPECT_TRUE(is_error(ann.call("PUT", "/v1/blocks/" + ann.user_id()), 400, "invalid_request"));
  for (const std::string& hostile :
       {std::string("nobody"), std::string("..%2F..%2Fetc%2Fpasswd"), std::string("%2Fetc%2Fpasswd"),
        std::string("%00"), std::string("%FF%FE"), std::string(3000, 'x'), bob.user_id() + "%20"}) {
    auto r = ann.call("PUT", "/v1/blocks/" + hostile);
    EXPECT_TRUE(r.status == 404 || r.status == 400) << hostile << ": " << r.status;
  }
  EXPECT_TRUE(ann.blocked().empty());
  ann.unblock(bob.user_id());  // not blocked: fine, nothing changes
  EXPECT_TRUE(ann.blocked().empty());
  auto other = ann.call("POST", "/v1/blocks/" + bob.user_id());
  EXPECT_EQ(other.status, 405);
  EXPECT_TRUE(is_error(server().http().request("GET", "/v1/blocks"), 401, "unauthorized"));
}

TEST_F(PrivacyTest, ADirectChatIsARequestUntilThePeerRepliesOrAccepts) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session cy = new_session("cy");
  ChatInfo dm = ann.create_direct(bob.user_id());
  ann.send(dm.chat_id, cmid(), "hi Bob, we met yesterday");
  EXPECT_TRUE(bob.find_chat(dm.chat_id)->request);
  EXPECT_FALSE(ann.find_chat(dm.chat_id)->request);
  EXPECT_FALSE(ann.find_chat(dm.chat_id)->raw.contains("request"));

  auto b = connect(bob);  // online
  EXPECT_EQ(presence_of(ann, bob.user_id()).status, "offline") << "Ann sees nothing of Bob yet";
  EXPECT_EQ(presence_of(ann, bob.user_id()).last_active_at, 0);
  auto a = connect(ann);
  EXPECT_EQ(presence_of(bob, ann.user_id()).status, "online") << "Bob may see Ann: she wrote to him";

  EXPECT_TRUE(is_error(cy.call("POST", "/v1/chats/" + dm.chat_id + "/accept"), 403, "forbidden"));
  EXPECT_TRUE(is_error(bob.call("POST", "/v1/chats/nope/accept"), 404, "not_found"));
  ChatInfo accepted = bob.accept(dm.chat_id);
  EXPECT_FALSE(accepted.request);
  EXPECT_FALSE(bob.find_chat(dm.chat_id)->request);
  EXPECT_EQ(presence_of(ann, bob.user_id()).status, "online");
  // Accepting twice is fine.
  EXPECT_FALSE(bob.accept(dm.chat_id).request);
}

TEST_F(PrivacyTest, AReplyAcceptsARequest) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ChatInfo dm = ann.create_direct(bob.user_id());
  ASSERT_TRUE(bob.find_chat(dm.chat_id)->request);
  bob.send(dm.chat_id, cmid(), "hello Ann");
  EXPECT_FALSE(bob.find_chat(dm.chat_id)->request);
  auto b = connect(bob);
  EXPECT_EQ(presence_of(ann, bob.user_id()).status, "online");
}

TEST_F(PrivacyTest, PresenceVisibilityIsTheUsersToChoose) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session cy = new_session("cy");
  talking(ann, bob);
  ann.create_group("team", {bob.user_id(), cy.user_id()});
  auto a = connect(ann);
  EXPECT_EQ(str_field(ann.me(), "presence_visibility"), "everyone");
  EXPECT_EQ(presence_of(cy, ann.user_id()).status, "online");

  ann.set_presence_visibility("contacts");
  EXPECT_EQ(str_field(ann.me(), "presence_visibility"), "contacts");
  EXPECT_EQ(presence_of(bob, ann.user_id()).status, "online");
  EXPECT_EQ(presence_of(cy, ann.user_id()).status, "offline");

  ann.set_presence_visibility("nobody");
  EXPECT_EQ(presence_of(bob, ann.user_id()).status, "offline");
  EXPECT_EQ(presence_of(bob, ann.user_id()).last_active_at, 0);
  // Through a WebSocket subscription as well.
  auto b = connect(bob);
  b->send(json::object{{"type", "presence_subscribe"}, {"user_ids", json::array{json::value(ann.user_id())}}});
  auto answer = b->next_matching([&](const json::object& o) {
    return str_field(o, "type") == "presence" && str_field(o, "user_id") == ann.user_id();
  });
  ASSERT_TRUE(answer);
  EXPECT_EQ(str_field(*answer, "status"), "offline");
}

TEST_F(PrivacyTest, BadVisibilitiesAreRefusedAndChangeNothing) {
  Session ann = new_session("ann");
  for (const json::value& body :
       {json::value(json::object{{"presence_visibility", "NOBODY"}}),
        json::value(json::object{{"presence_visibility", "friends"}}),
        json::value(json::object{{"presence_visibility", ""}}), json::value(json::object{{"presence_visibility", 2}}),
        json::value(json::object{{"presence_visibility", nullptr}}), json::value(json::object{}),
        json::value(json::object{{"presence_visibility", std::string(5000, 'n')}})}) {
    EXPECT_TRUE(is_error(ann.call("PATCH", "/v1/me", body), 400, "invalid_request")) << json::serialize(body);
  }
  auto invalid_utf8 = ann.call("PATCH", "/v1/me", json::value(json::object{{"presence_visibility", "nob\xff"}}));
  EXPECT_EQ(invalid_utf8.status, 400);
  EXPECT_EQ(str_field(ann.me(), "presence_visibility"), "everyone");
}

}  // namespace
}  // namespace parley::testing
