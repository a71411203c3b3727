// The admin API (/v1/admin/...): the operator's token and hostile spellings
// of it, listing users, disable/enable, password reset, stats, export and
// the GDPR erasure. Every node is given the same --admin-token-file, so on a
// cluster the admin calls, the users' sessions and their sockets are spread
// over the nodes, and a user disabled or erased on one node is cut off on
// another.
#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "fixture.h"
#include "lib/admin_client.h"
#include "poll_until.h"

namespace parley::testing {
namespace {

using client::AdminClient;

constexpr const char* kAdminToken = "test-admin-token-0123456789abcdefghijklmnopqrstuvwxyz";

// The token file every node of this binary reads (written once, mode 0600).
const std::string& admin_token_file() {
  static const std::string path = [] {
    std::string dir = (std::filesystem::temp_directory_path() / "parley-admin-XXXXXX").string();
    if (!::mkdtemp(dir.data())) throw std::runtime_error("mkdtemp failed");
    const std::string file = dir + "/admin_token";
    std::ofstream(file) << "  " << kAdminToken << "  \n";  // spaces around it are not part of it
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return file;
  }();
  return path;
}

class AdminTest : public ParleyTest {
 protected:
  std::vector<std::string> server_flags() const override {
    auto flags = ParleyTest::server_flags();
    flags.insert(flags.end(), {"--admin-token-file", admin_token_file()});
    return flags;
  }

  // An admin client of the next node in turn.
  AdminClient admin() const {
    const ServerProcess& node = next_server();
    return AdminClient(node.host(), node.port(), kAdminToken);
  }

  // GET `target` with `authorization` as the whole header value (none when empty).
  HttpResponse get_with(const std::string& target, const std::string& authorization) const {
    client::HttpRequest req;
    req.target = target;
    if (!authorization.empty()) req.extra_headers.emplace_back("Authorization", authorization);
    return next_server().http().send(req);
  }
};

std::set<std::string> emails_of(const json::object& page) {
  std::set<std::string> out;
  for (const auto& u : page.at("users").as_array()) out.insert(std::string(u.at("email").as_string()));
  return out;
}

TEST_F(AdminTest, OnlyTheAdminTokenOpensTheAdminApi) {
  Session ann = new_session("ann");
  const std::string token = kAdminToken;
  EXPECT_EQ(get_with("/v1/admin/stats", "Bearer " + token).status, 200);

  for (const std::string& refused : {
           std::string(),                                  // none
           "Bearer " + token.substr(0, token.size() - 1),  // a prefix of it
           "Bearer " + token + "x",                        // longer
           "Bearer " + token.substr(1) + "y",              // same length, wrong
           "bearer " + token,                              // not the scheme
           "Bearer  " + token,                             // doubled space
           "Basic " + token,                               // another scheme
           "Bearer " + std::string(4000, 'A'),             // oversized
           "Bearer " + ann.token(),                        // a user's token
           "Bearer " + token + "\xff",                     // invalid UTF-8
       }) {
    auto r = get_with("/v1/admin/stats", refused);
    EXPECT_TRUE(is_error(r, 401, "unauthorized")) << "Authorization: " << refused.substr(0, 80);
    EXPECT_EQ(r.raw.find(token), std::string::npos);  // never echoed
  }
  // A user's token opens no admin path, and the admin token is no user's.
  EXPECT_TRUE(is_error(ann.call("GET", "/v1/admin/users"), 401, "unauthorized"));
  EXPECT_TRUE(is_error(get_with("/v1/me", "Bearer " + token), 401, "unauthorized"));
  EXPECT_TRUE(is_error(get_with("/v1/admin/nothing", "Bearer " + token), 404, "not_found"));
  EXPECT_EQ(get_with("/v1/admin/stats", "").status, 401);
  // The token never reaches the log.
  EXPECT_EQ(logs_of_every_server().find(token), std::string::npos);
}

TEST_F(AdminTest, UsersArePagedAndFoundByEmailPrefix) {
  TestUser ann = make_user("ann");
  TestUser bob = make_user("bob");
  TestUser cat = make_user("cat");
  Session ann_phone = login(ann, "phone");
  login(ann, "laptop");
  std::set<std::string> all;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = admin().users(2, after);
    EXPECT_LE(page.at("users").as_array().size(), 2u);
    for (const auto& e : emails_of(page)) EXPECT_TRUE(all.insert(e).second) << e << " listed twice";
    if (page.at("next").is_null()) break;
    after = std::string(page.at("next").as_string());
  }
  EXPECT_EQ(all, (std::set<std::string>{ann.email, bob.email, cat.email}));

  auto found = admin().users(std::nullopt, {}, ann.email.substr(0, ann.email.find('@')));
  ASSERT_EQ(found.at("users").as_array().size(), 1u);
  const auto& u = found.at("users").as_array()[0].as_object();
  EXPECT_EQ(u.at("user_id").as_string(), ann.user_id);
  EXPECT_EQ(u.at("display_name").as_string(), ann.display_name);
  EXPECT_EQ(u.at("devices").to_number<std::int64_t>(), 2);
  EXPECT_EQ(u.at("disabled").as_bool(), false);
  EXPECT_GT(u.at("created_at").to_number<std::int64_t>(), 0);
  EXPECT_GT(u.at("last_active_at").to_number<std::int64_t>(), 0);
  // By id or by e-mail (any case), the same user.
  EXPECT_EQ(admin().user(ann.user_id).at("email").as_string(), ann.email);
  std::string upper = ann.email;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(admin().user(upper).at("user_id").as_string(), ann.user_id);
  EXPECT_TRUE(admin().users(std::nullopt, {}, "nobody-starts-like-this").at("users").as_array().empty());

  EXPECT_API_ERROR(admin().user("no-such-user"), 404, "not_found");
  EXPECT_API_ERROR(admin().user("nobody@example.org"), 404, "not_found");
  EXPECT_API_ERROR(admin().user(std::string(300, 'x')), 400, "invalid_request");
  EXPECT_API_ERROR(admin().users(0), 400, "invalid_request");
  EXPECT_API_ERROR(admin().users(1001), 400, "invalid_request");
  EXPECT_API_ERROR(admin().users(std::nullopt, std::string(300, 'a')), 400, "invalid_request");
  EXPECT_TRUE(is_error(admin().http().request("GET", "/v1/admin/users?limit=1&limit=2", std::nullopt, kAdminToken), 400,
                       "invalid_request"));
  EXPECT_TRUE(is_error(admin().http().request("GET", "/v1/admin/users?query=%FF", std::nullopt, kAdminToken), 400,
                       "invalid_request"));
  EXPECT_NO_THROW(ann_phone.me());
}

TEST_F(AdminTest, ADisabledUserIsCutOffEverywhereAndCannotLogInUntilEnabled) {
  TestUser ann = make_user("ann");
  Session phone = login(ann, "phone");
  Session laptop = login(ann, "laptop");
  auto phone_ws = connect(phone);
  auto laptop_ws = connect(laptop);
  Session bob = new_session("bob");
  auto bob_ws = connect(bob);

  auto disabled = admin().disable(ann.email);
  EXPECT_EQ(disabled.at("logged_out_device_ids").as_array().size(), 2u);
  EXPECT_EQ(phone_ws->wait_closed(kWait), 4401);
  EXPECT_EQ(laptop_ws->wait_closed(kWait), 4401);
  EXPECT_TRUE(is_error(phone.call("GET", "/v1/me"), 401, "unauthorized"));
  EXPECT_TRUE(is_error(laptop.call("GET", "/v1/chats"), 401, "unauthorized"));
  EXPECT_API_ERROR(client().login(ann.email, ann.password), 403, "forbidden");
  EXPECT_API_ERROR(client().login(ann.email, "wrong password"), 401, "bad_credentials");  // tells a guesser nothing
  EXPECT_TRUE(admin().user(ann.user_id).at("disabled").as_bool());
  EXPECT_EQ(admin().user(ann.user_id).at("devices").to_number<std::int64_t>(), 0);
  EXPECT_TRUE(bob_ws->is_open());
  EXPECT_NO_THROW(bob.me());
  // Again: nothing more to log out.
  EXPECT_TRUE(admin().disable(ann.user_id).at("logged_out_device_ids").as_array().empty());

  admin().enable(ann.user_id);
  EXPECT_FALSE(admin().user(ann.user_id).at("disabled").as_bool());
  EXPECT_TRUE(is_error(phone.call("GET", "/v1/me"), 401, "unauthorized"));  // old tokens stay dead
  Session again = login(ann, "again");
  EXPECT_NO_THROW(again.me());
  EXPECT_API_ERROR(admin().disable("nobody@example.org"), 404, "not_found");
}

TEST_F(AdminTest, PasswordResetSetsOrGeneratesAPasswordAndLogsOutEveryDevice) {
  TestUser ann = make_user("ann");
  Session phone = login(ann, "phone");
  auto ws = connect(phone);

  auto reset = admin().reset_password(ann.email, std::string("a new password"));
  EXPECT_FALSE(reset.contains("password"));
  EXPECT_EQ(reset.at("logged_out_device_ids").as_array().size(), 1u);
  EXPECT_EQ(ws->wait_closed(kWait), 4401);
  EXPECT_TRUE(is_error(phone.call("GET", "/v1/me"), 401, "unauthorized"));
  EXPECT_API_ERROR(client().login(ann.email, ann.password), 401, "bad_credentials");
  EXPECT_NO_THROW(client().login(ann.email, "a new password"));

  auto generated = admin().reset_password(ann.user_id, std::nullopt);
  const std::string password(generated.at("password").as_string());
  EXPECT_GE(password.size(), 32u);
  EXPECT_EQ(generated.at("logged_out_device_ids").as_array().size(), 1u);
  EXPECT_NO_THROW(client().login(ann.email, password));
  EXPECT_API_ERROR(client().login(ann.email, "a new password"), 401, "bad_credentials");

  // Bad input changes nothing.
  EXPECT_API_ERROR(admin().reset_password(ann.user_id, std::string("short")), 400, "invalid_request");
  EXPECT_TRUE(is_error(admin().http().request("POST", "/v1/admin/users/" + ann.user_id + "/password",
                                              json::value(json::object{{"password", 42}}), kAdminToken),
                       400, "invalid_request"));
  client::HttpRequest not_json;
  not_json.method = "POST";
  not_json.target = "/v1/admin/users/" + ann.user_id + "/password";
  not_json.body = "{";
  not_json.bearer_token = kAdminToken;
  EXPECT_TRUE(is_error(admin().http().send(not_json), 400, "invalid_json"));
  EXPECT_NO_THROW(client().login(ann.email, password));
  EXPECT_API_ERROR(admin().reset_password("nobody@example.org", std::nullopt), 404, "not_found");
}

TEST_F(AdminTest, StatsCountUsersChatsAndMessages) {
  auto before = admin().stats();
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  auto chat = ann.create_direct(bob.user_id());
  for (int i = 0; i < 3; ++i) ann.send(chat.chat_id, cmid(), "hello " + std::to_string(i));
  auto ws = connect(bob);
  auto after = admin().stats();
  EXPECT_EQ(after.at("users").to_number<std::int64_t>() - before.at("users").to_number<std::int64_t>(), 2);
  EXPECT_EQ(after.at("chats").to_number<std::int64_t>() - before.at("chats").to_number<std::int64_t>(), 1);
  EXPECT_GE(after.at("messages").to_number<std::int64_t>() - before.at("messages").to_number<std::int64_t>(), 3);
  EXPECT_GE(after.at("uptime_seconds").to_number<std::int64_t>(), 0);
  EXPECT_FALSE(after.at("version").as_string().empty());
  EXPECT_TRUE(after.at("connections").is_number());
  if (!testing_a_cluster()) {
    EXPECT_EQ(after.at("connections").to_number<std::int64_t>(), 1);  // this node's WebSockets
  }
}

TEST_F(AdminTest, ExportHoldsTheProfileDevicesChatsBlocksAndEveryOwnMessage) {
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  Session cat = new_session("cat");
  ann.set_push("http://push.example.com/parley-hook");
  auto direct = ann.create_direct(bob.user_id());
  auto group = ann.create_group("team", {bob.user_id(), cat.user_id()});
  std::set<std::string> sent;
  for (int i = 0; i < 7; ++i) {
    const std::string text = "ann says " + std::to_string(i);
    ann.send(i % 2 ? direct.chat_id : group.chat_id, cmid(), text);
    sent.insert(text);
  }
  bob.send(direct.chat_id, cmid(), "bob's own");
  ann.block(cat.user_id());

  auto account = admin().export_account(ann.user_id());
  EXPECT_EQ(account.at("user").at("user_id").as_string(), ann.user_id());
  EXPECT_EQ(account.at("user").at("email").as_string(), user_of(ann).email);
  ASSERT_EQ(account.at("devices").as_array().size(), 1u);
  const auto& device = account.at("devices").as_array()[0].as_object();
  EXPECT_EQ(device.at("device_id").as_string(), ann.device_id());
  EXPECT_EQ(device.at("push").as_string(), "webhook");
  const std::string whole = json::serialize(account);
  EXPECT_EQ(whole.find("parley-hook"), std::string::npos);  // no push URL or secret
  EXPECT_EQ(whole.find(ann.token()), std::string::npos);
  EXPECT_EQ(whole.find("digest"), std::string::npos);
  EXPECT_EQ(whole.find("bob's own"), std::string::npos);  // other members' words are not ann's data
  std::set<std::string> chats;
  for (const auto& c : account.at("chats").as_array()) chats.insert(std::string(c.at("chat_id").as_string()));
  EXPECT_EQ(chats, (std::set<std::string>{direct.chat_id, group.chat_id}));
  ASSERT_EQ(account.at("blocks").as_array().size(), 1u);
  EXPECT_EQ(account.at("blocks").as_array()[0].as_string(), cat.user_id());

  // The messages, in small pages: each of ann's exactly once, nobody else's.
  std::multiset<std::string> exported;
  std::string after;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = admin().messages(user_of(ann).email, after, 2);
    for (const auto& m : page.at("messages").as_array()) {
      exported.insert(std::string(m.at("text").as_string()));
      EXPECT_GT(m.at("seq").to_number<std::int64_t>(), 0);
      EXPECT_TRUE(chats.contains(std::string(m.at("chat_id").as_string())));
    }
    if (page.at("next").is_null()) break;
    after = std::string(page.at("next").as_string());
  }
  EXPECT_EQ(std::set<std::string>(exported.begin(), exported.end()), sent);
  EXPECT_EQ(exported.size(), sent.size());

  for (const char* bad : {"x", "1.", ".abc", "-1.abc", "1.a/b", "99999999999999999999999.a"}) {
    SCOPED_TRACE(bad);
    EXPECT_API_ERROR(admin().messages(ann.user_id(), bad), 400, "invalid_request");
  }
  EXPECT_API_ERROR(admin().messages(ann.user_id(), {}, 0), 400, "invalid_request");
  EXPECT_API_ERROR(admin().export_account("nobody@example.org"), 404, "not_found");
}

TEST_F(AdminTest, DeleteErasesTheAccountAndTheTextOfEveryMessageItSent) {
  TestUser ann_user = make_user("ann");
  Session ann = login(ann_user, "phone");
  auto ann_ws = connect(ann);
  Session bob = new_session("bob");
  Session cat = new_session("cat");
  auto direct = accepted_direct(ann, bob);
  auto group = ann.create_group("team", {bob.user_id(), cat.user_id()});
  auto first = ann.send(direct.chat_id, cmid(), "my secret");
  bob.send(direct.chat_id, cmid(), "bob stays");
  auto in_group = ann.send(group.chat_id, cmid(), "group secret");
  ann.send_body(
      group.chat_id,
      json::object{
          {"client_msg_id", cmid()}, {"kind", "edit"}, {"target_seq", in_group.seq}, {"text", "edited secret"}});
  cat.send(group.chat_id, cmid(), "cat stays");
  ann.block(cat.user_id());
  bob.block(ann.user_id());
  auto bob_ws = connect(bob);

  auto erased = admin().erase(ann_user.email);
  EXPECT_EQ(erased.at("user_id").as_string(), ann.user_id());
  EXPECT_EQ(erased.at("messages_erased").to_number<std::int64_t>(), 2);
  EXPECT_EQ(erased.at("groups_left").to_number<std::int64_t>(), 1);
  EXPECT_EQ(ann_ws->wait_closed(kWait), 4401);
  EXPECT_TRUE(is_error(ann.call("GET", "/v1/me"), 401, "unauthorized"));
  EXPECT_API_ERROR(client().login(ann_user.email, ann_user.password), 401, "bad_credentials");

  // No text of ann's is left; the seqs stay gap-free; everyone else's stays.
  auto direct_history = bob.history(direct.chat_id, {.after = 0, .limit = 200});
  auto group_history = cat.history(group.chat_id, {.after = 0, .limit = 200});
  for (const auto* history : {&direct_history, &group_history}) {
    std::int64_t expected_seq = 1;
    for (const auto& m : *history) {
      EXPECT_EQ(m.seq, expected_seq++);
      if (m.sender_id == ann.user_id() && m.kind != "event") {
        EXPECT_EQ(m.text, "") << m.kind << " " << m.seq;
      }
      EXPECT_EQ(m.text.find("secret"), std::string::npos);
    }
  }
  EXPECT_TRUE(direct_history.front().deleted);
  EXPECT_EQ(direct_history.front().seq, first.seq);
  EXPECT_EQ(direct_history[1].text, "bob stays");
  bool left_line = false;
  for (const auto& m : group_history) {
    if (m.event && m.event->type == "member_left" && m.event->user_id == ann.user_id()) left_line = true;
  }
  EXPECT_TRUE(left_line);
  EXPECT_TRUE(std::any_of(group_history.begin(), group_history.end(),
                          [](const MessageInfo& m) { return m.text == "cat stays"; }));
  // The group goes on without ann; the direct chat stays for bob, ann shown as deleted.
  EXPECT_FALSE(cat.find_chat(group.chat_id)->has_member(ann.user_id()));
  auto bobs_view = bob.find_chat(direct.chat_id);
  ASSERT_TRUE(bobs_view.has_value());
  bool shown_deleted = false;
  for (const auto& m : bobs_view->raw.at("members").as_array()) {
    if (m.at("user_id").as_string() == ann.user_id()) shown_deleted = m.as_object().contains("deleted");
  }
  EXPECT_TRUE(shown_deleted);
  EXPECT_TRUE(bob.blocked().empty());
  EXPECT_TRUE(bob_ws->is_open());

  // Gone for the admin API; the e-mail is free again, for a new account.
  EXPECT_API_ERROR(admin().user(ann.user_id()), 404, "not_found");
  EXPECT_API_ERROR(admin().erase(ann.user_id()), 404, "not_found");
  EXPECT_API_ERROR(bob.find_user_by_email(ann_user.email), 404, "not_found");
  const std::string new_id = client().signup(ann_user.email, "another password", "New Ann");
  EXPECT_NE(new_id, ann.user_id());
  Session new_ann = client().login(ann_user.email, "another password");
  EXPECT_TRUE(new_ann.list_chats().empty());
  EXPECT_TRUE(new_ann.blocked().empty());
}

TEST_F(AdminTest, TheTokenFileIsMadeOnceInTheDataDirWithMode0600) {
  PARLEY_SINGLE_NODE_ONLY("the single node's own data dir");
  set_server_flags(ParleyTest::server_flags());  // no --admin-token-file
  restart_servers();
  const std::string path = server().data_dir() + "/admin_token";
  ASSERT_TRUE(std::filesystem::exists(path));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::string token;
  std::ifstream(path) >> token;
  EXPECT_GE(token.size(), 32u);
  EXPECT_NE(token, kAdminToken);
  AdminClient own(server().host(), server().port(), token);
  EXPECT_NO_THROW(own.stats());
  EXPECT_TRUE(is_error(get_with("/v1/admin/stats", std::string("Bearer ") + kAdminToken), 401, "unauthorized"));
  // Kept across restarts.
  restart_servers();
  AdminClient after_restart(server().host(), server().port(), token);
  EXPECT_NO_THROW(after_restart.stats());
}

TEST_F(AdminTest, AClusterNodeWithoutTheTokenFileHasNoAdminApi) {
  if (!testing_a_cluster()) GTEST_SKIP() << "a single node always makes a token in its data dir";
  set_server_flags(ParleyTest::server_flags());  // no --admin-token-file
  restart_servers();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(is_error(get_with("/v1/admin/stats", std::string("Bearer ") + kAdminToken), 404, "not_found"));
  }
  EXPECT_NO_THROW(new_session("ann").me());
}

TEST_F(AdminTest, ATokenFileWithoutAUsableTokenStopsParleyd) {
  PARLEY_SINGLE_NODE_ONLY("one process's start-up");
  const std::string dir = std::filesystem::path(admin_token_file()).parent_path().string();
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"short", "too-short\n"}, {"spaced", "a token with spaces in it 0123456789abcdef\n"}, {"empty", ""}}) {
    const std::string file = dir + "/" + name;
    std::ofstream(file) << content;
    ServerProcess bad({"--admin-token-file", file});
    EXPECT_THROW(bad.start(), std::runtime_error) << name;
  }
  ServerProcess missing({"--admin-token-file", dir + "/no-such-file"});
  EXPECT_THROW(missing.start(), std::runtime_error);
}

}  // namespace
}  // namespace parley::testing
