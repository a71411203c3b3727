// Web Push end to end: a browser's subscription registered with parleyd, a
// message to the offline user, and the push as a push service and the
// browser see it — VAPID-signed (RFC 8292), aes128gcm-encrypted for the
// subscription (RFC 8291) — read by a stand-in on 127.0.0.1 that holds the
// subscription's private key. 404/410 drop the registration, 429/5xx are
// retried, other 4xx given up; hostile subscriptions are refused and change
// nothing. Every node of a cluster signs with the one key file.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "fixture.h"
#include "push/p256_key.h"
#include "web_push_service.h"

namespace parley::testing {
namespace {

using client::str_field;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A VAPID key file shared by every node, written before the servers start.
std::string write_vapid_key() {
  static std::atomic<int> counter{0};
  const auto path = std::filesystem::temp_directory_path() /
                    ("parley-vapid-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".pem");
  std::ofstream(path) << push::P256Key::generate()->private_pem();
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path.string();
}

class WebPushTest : public ParleyTest {
 protected:
  ~WebPushTest() override { std::filesystem::remove(key_file_); }

  std::vector<std::string> server_flags() const override {
    auto f = ParleyTest::server_flags();
    // The stand-in is plain http on loopback: allowed for this host only.
    f.insert(f.end(), {"--push-retry-initial-ms", "200", "--push-allow-hosts", "127.0.0.1", "--vapid-key-file",
                       key_file_, "--vapid-subject", "mailto:ops@parley.test"});
    return f;
  }

  std::string vapid_public_key() {
    auto r = client().http().get("/v1/push/vapid-public-key");
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.json.is_object() ? str_field(r.json.as_object(), "public_key") : "";
  }

  // The provider of the device's registration per GET /v1/devices; "" for none.
  static std::string push_of(Session& s) {
    auto r = s.call("GET", "/v1/devices");
    EXPECT_EQ(r.status, 200);
    for (const auto& d : r.json.as_object().at("devices").as_array()) {
      const auto& o = d.as_object();
      if (str_field(o, "device_id") == s.device_id()) {
        return o.at("push").is_string() ? std::string(o.at("push").as_string()) : "";
      }
    }
    return "?";
  }

  std::string key_file_ = write_vapid_key();
};

TEST_F(WebPushTest, AnOfflineBrowserGetsAnEncryptedVapidSignedPush) {
  WebPushService service;
  service.start();
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  auto r = bob.call("PUT", "/v1/devices/current/push", service.registration());
  ASSERT_EQ(r.status, 204) << r.raw;
  EXPECT_EQ(push_of(bob), "webpush");
  ChatInfo chat = alice.create_direct(bob.user_id());
  const std::string text = "Lunch at one? \xF0\x9F\x8D\x95";
  auto sent = alice.send(chat.chat_id, cmid(), text);

  auto push = service.wait_for(chat.chat_id, sent.seq);
  ASSERT_TRUE(push) << "no readable push; requests: " << service.deliveries().size()
                    << (service.deliveries().empty() ? "" : ", first error: " + service.deliveries()[0].error);
  EXPECT_EQ(push->error, "");
  EXPECT_EQ(push->content_encoding, "aes128gcm");
  EXPECT_EQ(push->vapid_key, vapid_public_key()) << "signed with the key browsers subscribe with";
  EXPECT_EQ(push->aud, service.origin());
  EXPECT_GT(push->exp, unix_now());
  EXPECT_LE(push->exp, unix_now() + 24 * 3600);
  EXPECT_EQ(push->sub, "mailto:ops@parley.test");
  EXPECT_FALSE(push->ttl.empty());
  EXPECT_EQ(push->urgency, "high");
  EXPECT_EQ(str_field(push->payload, "chat_id"), chat.chat_id);
  EXPECT_EQ(str_field(push->payload, "sender_id"), alice.user_id());
  EXPECT_EQ(str_field(push->payload, "preview"), text);
  EXPECT_EQ(push->payload.at("count").as_int64(), 1);
}

TEST_F(WebPushTest, AGoneSubscriptionIsRemovedFromTheDevice) {
  WebPushService service;
  service.answer_next({410});
  service.start();
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ASSERT_EQ(bob.call("PUT", "/v1/devices/current/push", service.registration()).status, 204);
  ChatInfo chat = alice.create_direct(bob.user_id());
  alice.send(chat.chat_id, cmid(), "anyone?");
  ASSERT_TRUE(service.wait_for_requests(1));
  ASSERT_TRUE(eventually([&] { return push_of(bob).empty(); }, kWait)) << "registration kept after 410";
  // No second try of that job, and nothing planned for the device any more:
  // a later message for a webhook device of bob's is the barrier.
  PushReceiver hook;
  hook.start();
  Session tablet = another_device(bob, "tablet");
  tablet.set_push(hook.url("/tablet"));
  auto later = alice.send(chat.chat_id, cmid(), "still there?");
  ASSERT_TRUE(hook.wait_for([&](const json::object& o) { return o.at("seq").as_int64() == later.seq; }));
  EXPECT_EQ(service.deliveries().size(), 1u);
}

TEST_F(WebPushTest, ServerErrorsAndRateLimitsAreRetried) {
  WebPushService service;
  service.answer_next({503, 429, 500});
  service.start();
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ASSERT_EQ(bob.call("PUT", "/v1/devices/current/push", service.registration()).status, 204);
  ChatInfo chat = alice.create_direct(bob.user_id());
  auto sent = alice.send(chat.chat_id, cmid(), "retry me");
  ASSERT_TRUE(service.wait_for(chat.chat_id, sent.seq, std::chrono::milliseconds(30000))) << "not retried";
  auto all = service.deliveries();
  ASSERT_EQ(all.size(), 4u) << "three failures, then one success and no more";
  EXPECT_EQ(all[0].answered_status, 503);
  EXPECT_EQ(all[1].answered_status, 429);
  EXPECT_EQ(all[2].answered_status, 500);
  for (const auto& d : all) EXPECT_EQ(d.error, "") << "every attempt is well formed";
  EXPECT_EQ(push_of(bob), "webpush");
}

TEST_F(WebPushTest, ARefusedPushIsGivenUpAndTheSubscriptionKept) {
  WebPushService service;
  service.answer_next({400});
  service.start();
  Session alice = new_session("alice");
  Session bob = new_session("bob");
  ASSERT_EQ(bob.call("PUT", "/v1/devices/current/push", service.registration()).status, 204);
  ChatInfo chat = alice.create_direct(bob.user_id());
  alice.send(chat.chat_id, cmid(), "refused");
  ASSERT_TRUE(service.wait_for_requests(1));
  // The next message gets its own push; the refused one never comes again.
  auto next = alice.send(chat.chat_id, cmid(), "accepted");
  ASSERT_TRUE(service.wait_for(chat.chat_id, next.seq));
  EXPECT_EQ(service.deliveries().size(), 2u);
  EXPECT_EQ(push_of(bob), "webpush");
}

// Mute is the planner's: a muted chat plans no job, whatever the provider.
TEST_F(WebPushTest, AMutedChatIsNotPushedToTheBrowser) {
  WebPushService service;
  service.start();
  Session ann = new_session("ann");
  Session bob = new_session("bob");
  ASSERT_EQ(bob.call("PUT", "/v1/devices/current/push", service.registration()).status, 204);
  ChatInfo dm = ann.create_direct(bob.user_id());
  ChatInfo group = ann.create_group("g", {bob.user_id()});
  EXPECT_GT(bob.mute(dm.chat_id).muted_until, 0);
  ann.send(dm.chat_id, cmid(), "muted");
  auto loud = ann.send(group.chat_id, cmid(), "not muted");
  auto push = service.wait_for(group.chat_id, loud.seq);
  ASSERT_TRUE(push) << "the other chat is still pushed";
  EXPECT_EQ(push->payload.at("count").as_int64(), 1) << "the muted message is not counted in";
  for (const auto& d : service.deliveries()) {
    EXPECT_NE(str_field(d.payload, "chat_id"), dm.chat_id) << "a muted chat was pushed";
  }
}

TEST_F(WebPushTest, HostileSubscriptionsAreRefusedAndNothingIsStored) {
  WebPushService service;
  Session bob = new_session("bob");
  PushReceiver hook;
  bob.set_push(hook.url("/hook"));
  const std::string good_p256dh =
      std::string(service.registration().at("subscription").at("keys").at("p256dh").as_string());
  std::string off_curve = good_p256dh;
  off_curve[20] = off_curve[20] == 'A' ? 'B' : 'A';
  auto with = [&](const std::string& endpoint, const std::string& p256dh, const std::string& auth) {
    return json::object{{"provider", "webpush"},
                        {"subscription", {{"endpoint", endpoint}, {"keys", {{"p256dh", p256dh}, {"auth", auth}}}}}};
  };
  const std::string auth = "BTBZMqHH6r4Tts7J_aSIgg";
  const std::vector<std::pair<json::object, std::string>> hostile = {
      {with(service.endpoint(), good_p256dh + "==", auth), "base64url"},
      {with(service.endpoint(), "BCVx$r7N", auth), "base64url"},
      {with(service.endpoint(), push::base64url_encode(push::base64url_decode(good_p256dh)->substr(0, 64)), auth),
       "65-byte"},
      {with(service.endpoint(), off_curve, auth), "curve"},
      {with(service.endpoint(), good_p256dh, "QUJD"), "16 bytes"},
      {with(service.endpoint(), good_p256dh, std::string(5000, 'A')), "auth"},
      {with("http://push.example/p", good_p256dh, auth), "https://"},
      {with("https://127.0.0.2/p", good_p256dh, auth), "forbidden"},
      {with("https://169.254.169.254/latest", good_p256dh, auth), "forbidden"},
      {with("https://[::1]/p", good_p256dh, auth), "forbidden"},
      {with("https://10.1.2.3/p", good_p256dh, auth), "forbidden"},
      {with("https://0x7f.2/p", good_p256dh, auth), "forbidden"},
      {with("https://push.example/" + std::string(5000, 'p'), good_p256dh, auth), "longer"},
      {with("https://push.example/p", "", auth), "p256dh"},
      {json::object{{"provider", "webpush"}, {"subscription", "https://push.example/p"}}, "subscription"},
      {json::object{{"provider", "webpush"}}, "subscription"},
  };
  for (const auto& [body, part] : hostile) {
    auto r = bob.call("PUT", "/v1/devices/current/push", body);
    EXPECT_TRUE(is_error(r, 400, "invalid_request")) << json::serialize(body);
    EXPECT_NE(r.raw.find(part), std::string::npos) << r.raw << " for " << json::serialize(body);
  }
  EXPECT_EQ(push_of(bob), "webhook") << "the registration before is unchanged";
}

TEST_F(WebPushTest, EveryNodeServesTheSameApplicationServerKey) {
  auto key = push::base64url_decode(vapid_public_key());
  ASSERT_TRUE(key.has_value());
  EXPECT_TRUE(push::is_p256_public_point(*key));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(push::base64url_encode(*key), vapid_public_key());
}

class GeneratedVapidKeyTest : public ParleyTest {};

TEST_F(GeneratedVapidKeyTest, ASingleNodeMakesItsKeyOnceAndKeepsIt) {
  PARLEY_SINGLE_NODE_ONLY("a cluster is given its key file");
  auto first = client().http().get("/v1/push/vapid-public-key");
  ASSERT_EQ(first.status, 200);
  const auto path = std::filesystem::path(server().data_dir()) / "vapid_private.pem";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  restart_servers();
  auto second = client().http().get("/v1/push/vapid-public-key");
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.json, first.json);
}

}  // namespace
}  // namespace parley::testing
