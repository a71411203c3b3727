// AccountAdmin on the core with fakes: disabling races no login, the export
// walk over a user's messages, and an erasure that fails midway (the store
// down) and is retried to the same end.
#include "core_fixture.h"

namespace parley::testing {
namespace {

class AccountAdminTest : public CoreTest {
 protected:
  std::vector<Message> history(const ChatId& chat) { return *store.read_after(chat, 0, 1000); }
};

TEST_F(AccountAdminTest, ResolvesByIdOrEmailInAnyCase) {
  const UserId ann = make_user("ann");
  EXPECT_EQ(core->admin.resolve(ann)->id, ann);
  EXPECT_EQ(core->admin.resolve("ANN@Example.org")->id, ann);
  EXPECT_EQ(core->admin.resolve("nobody@example.org").error().code, ErrorCode::not_found);
  EXPECT_EQ(core->admin.resolve("nobody").error().code, ErrorCode::not_found);
  EXPECT_EQ(core->admin.resolve("").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->admin.resolve(std::string(257, 'a')).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->admin.resolve("a\xff").error().code, ErrorCode::invalid_request);
  faults.fail(StoreMethod::find_user, ErrorCode::unavailable);
  EXPECT_EQ(core->admin.resolve(ann).error().code, ErrorCode::unavailable);  // never "not found"
}

TEST_F(AccountAdminTest, ALoginRacingADisableIsRefusedAndLeavesNoWorkingToken) {
  const UserId ann = make_user("ann");
  // The operator disables ann after login() checked the account, before its
  // device is stored (the hook runs inside put_device).
  bool once = true;
  faults.set_hook(StoreMethod::put_device, [&] {
    if (!once) return;
    once = false;
    ASSERT_TRUE(store.update_user(ann, UserUpdate{.disabled = true}).ok());
  });
  auto login = core->accounts.login("ann@example.org", "password-ann", "phone");
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.error().code, ErrorCode::forbidden);
  faults.set_hook(StoreMethod::put_device, nullptr);
  auto devices = store.devices_of_user(ann);
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_TRUE(devices->front().token_digest.empty());
  EXPECT_TRUE(core->accounts.logged_in_devices(ann)->empty());
}

TEST_F(AccountAdminTest, SentMessagesWalkEveryChatWithinTheBudget) {
  const UserId ann = make_user("ann");
  const UserId bob = make_user("bob");
  const AuthContext a = login("ann");
  const AuthContext b = login("bob");
  const ChatId chat = direct(ann, bob);
  auto group = core->chats.create_group(ann, "g", {bob});
  ASSERT_TRUE(group.ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(send(a, chat, "a" + std::to_string(i), "d" + std::to_string(i)).ok());
    ASSERT_TRUE(send(b, chat, "b" + std::to_string(i), "bob").ok());
    ASSERT_TRUE(send(a, (*group)->id, "g" + std::to_string(i), "g" + std::to_string(i)).ok());
  }
  std::vector<std::string> texts;
  SentCursor cursor;
  int pages = 0;
  for (; pages < 100; ++pages) {
    auto page = core->admin.sent_messages(ann, cursor, 3);
    ASSERT_TRUE(page.ok());
    EXPECT_LE(page->messages.size(), 3u);
    for (const Message& m : page->messages) {
      EXPECT_EQ(m.sender_id, ann);
      texts.push_back(m.text);
    }
    if (!page->next) break;
    cursor = *page->next;
  }
  EXPECT_GT(pages, 3);  // the budget made pages
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{"d0", "d1", "d2", "d3", "d4", "g0", "g1", "g2", "g3", "g4"}));
  faults.fail(StoreMethod::read_after, ErrorCode::unavailable);
  EXPECT_EQ(core->admin.sent_messages(ann, {}, 10).error().code, ErrorCode::unavailable);
}

TEST_F(AccountAdminTest, AnErasureThatFailsMidwayIsRetriedToTheSameEnd) {
  const UserId ann = make_user("ann");
  const UserId bob = make_user("bob");
  const AuthContext a = login("ann");
  const ChatId chat = direct(ann, bob);
  auto group = core->chats.create_group(ann, "g", {bob});
  ASSERT_TRUE(group.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(send(a, chat, "d" + std::to_string(i), "direct secret").ok());
    ASSERT_TRUE(send(a, (*group)->id, "g" + std::to_string(i), "group secret").ok());
  }
  // The store fails when ann is to leave the group: her messages are
  // erased, her membership and account are left.
  faults.fail(StoreMethod::put_chat, ErrorCode::unavailable);
  auto first = core->admin.erase(ann);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, ErrorCode::unavailable);
  EXPECT_TRUE(store.find_user(ann)->has_value());  // still there to retry
  EXPECT_TRUE((*store.find_user(ann))->disabled);
  faults.heal_all();

  auto second = core->admin.erase(ann);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->messages_erased, 0u);  // all erased by the first try already
  EXPECT_EQ(second->groups_left, 1u);
  for (const ChatId& id : {chat, (*group)->id}) {
    Seq expected = 1;
    for (const Message& m : history(id)) {
      EXPECT_EQ(m.seq, expected++);
      EXPECT_EQ(m.text.find("secret"), std::string::npos) << m.seq;
    }
  }
  // One deletion per message, not two: the retry's were resends.
  std::size_t deletions = 0;
  for (const Message& m : history(chat)) deletions += m.kind == MessageKind::deletion ? 1 : 0;
  EXPECT_EQ(deletions, 3u);
  EXPECT_FALSE(store.find_user(ann)->has_value());
  EXPECT_FALSE(store.find_user_by_email("ann@example.org")->has_value());
  EXPECT_EQ(core->admin.erase(ann).error().code, ErrorCode::not_found);
  EXPECT_TRUE(core->accounts.signup("ann@example.org", "password-new", "Ann").ok());
}

TEST_F(AccountAdminTest, AnErasureCoversGroupsLeftEarlierAndLeavesNoFormerMember) {
  const UserId ann = make_user("ann");
  const UserId bob = make_user("bob");
  const AuthContext b = login("bob");
  auto left = core->chats.create_group(ann, "left", {bob});
  auto kept = core->chats.create_group(ann, "kept", {bob});
  ASSERT_TRUE(left.ok() && kept.ok());
  ASSERT_TRUE(send(b, (*left)->id, "l1", "said before leaving").ok());
  ASSERT_TRUE(send(b, (*kept)->id, "k1", "said while a member").ok());
  ASSERT_TRUE(core->chats.remove_member(bob, (*left)->id, bob).ok());

  auto erased = core->admin.erase(bob);
  ASSERT_TRUE(erased.ok()) << erased.error().message;
  EXPECT_EQ(erased->messages_erased, 2u);
  EXPECT_EQ(erased->groups_left, 1u);
  for (const ChatId& id : {(*left)->id, (*kept)->id}) {
    for (const Message& m : history(id)) EXPECT_EQ(m.text.find("said"), std::string::npos) << m.seq;
    auto chat = store.find_chat(id);
    ASSERT_TRUE(chat.ok() && chat->has_value());
    EXPECT_EQ((*chat)->former_member(bob), nullptr) << "no trace as a former member";
  }
  EXPECT_TRUE(store.ended_chats_of_user(bob)->empty());
  EXPECT_TRUE(store.chats_of_user(bob)->empty());
}

TEST_F(AccountAdminTest, ResetPasswordValidatesAndLogsOutEveryDevice) {
  // (A generated password is a real token: tests/integration/admin_test.cc logs in with one.)
  const UserId ann = make_user("ann");
  login("ann");
  EXPECT_EQ(core->admin.reset_password(ann, std::string("short")).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(core->accounts.logged_in_devices(ann)->size(), 1u);  // nothing changed
  EXPECT_TRUE(core->accounts.login("ann@example.org", "password-ann", "x").ok());
  auto reset = core->admin.reset_password(ann, std::string("a new password"));
  ASSERT_TRUE(reset.ok());
  EXPECT_FALSE(reset->generated.has_value());
  EXPECT_EQ(reset->logged_out.size(), 2u);
  EXPECT_TRUE(core->accounts.logged_in_devices(ann)->empty());
  EXPECT_EQ(core->accounts.login("ann@example.org", "password-ann", "x").error().code, ErrorCode::bad_credentials);
  EXPECT_TRUE(core->accounts.login("ann@example.org", "a new password", "x").ok());
  EXPECT_EQ(core->admin.reset_password("nobody", std::string("a new password")).error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace parley::testing
