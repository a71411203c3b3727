// What a browser's PushSubscription must be before parleyd stores it: hostile
// endpoints and keys get an error naming the field.
#include <gtest/gtest.h>

#include "push/webhook_url.h"
#include "push/webpush_sender.h"
#include "push/webpush_subscription.h"

namespace parley::push {
namespace {

constexpr char kP256dh[] = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr char kAuth[] = "BTBZMqHH6r4Tts7J_aSIgg";

inet::HostAllowList allow(const char* list) {
  return inet::HostAllowList::parse(list).value();
}

::testing::AssertionResult refused(const PushRegistration& r, const std::string& part,
                                   const inet::HostAllowList& hosts = {}) {
  auto ok = check_webpush_registration(r, hosts);
  if (ok) return ::testing::AssertionFailure() << "accepted " << r.url;
  if (ok.error().code != ErrorCode::invalid_request) return ::testing::AssertionFailure() << "wrong code";
  if (ok.error().message.find(part) == std::string::npos) {
    return ::testing::AssertionFailure() << "message: " << ok.error().message;
  }
  return ::testing::AssertionSuccess();
}

PushRegistration subscription(std::string endpoint, std::string p256dh = kP256dh, std::string auth = kAuth) {
  return PushRegistration{"webpush", std::move(endpoint), std::move(p256dh), std::move(auth)};
}

TEST(WebPushSubscription, ABrowsersSubscriptionIsAccepted) {
  EXPECT_TRUE(check_webpush_registration(subscription("https://fcm.googleapis.com/fcm/send/abc:APA91b"), {}).ok());
  EXPECT_TRUE(
      check_webpush_registration(subscription("https://updates.push.services.mozilla.com/wpush/v2/gAAAA"), {}).ok());
  EXPECT_TRUE(check_webpush_registration(subscription("https://push.example:8443/p/1"), {}).ok());
}

TEST(WebPushSubscription, EndpointsMustBeHttpsToAPublicHost) {
  EXPECT_TRUE(refused(subscription("http://push.example/p"), "https://"));
  EXPECT_TRUE(refused(subscription("ftp://push.example/p"), "https://"));
  EXPECT_TRUE(refused(subscription("push.example/p"), "https://"));
  EXPECT_TRUE(refused(subscription(""), "https://"));
  EXPECT_TRUE(refused(subscription("https://127.0.0.1/p"), "loopback"));
  EXPECT_TRUE(refused(subscription("https://localhost/p"), "loopback"));
  EXPECT_TRUE(refused(subscription("https://2130706433/p"), "forbidden"));
  EXPECT_TRUE(refused(subscription("https://0x7f.1/p"), "forbidden"));
  EXPECT_TRUE(refused(subscription("https://[::1]/p"), "forbidden"));
  EXPECT_TRUE(refused(subscription("https://[::ffff:169.254.169.254]/p"), "forbidden"));
  EXPECT_TRUE(refused(subscription("https://169.254.169.254/latest/meta-data"), "forbidden"));
  EXPECT_TRUE(refused(subscription("https://10.0.0.8/p"), "forbidden"));
  EXPECT_TRUE(refused(subscription("https://push.example@127.0.0.1/p"), "user info"));
  EXPECT_TRUE(refused(subscription("https://push.example/p#frag"), "https://"));  // absolute URIs have no fragment
  EXPECT_TRUE(refused(subscription("https://push.example:0/p"), "port"));
  EXPECT_TRUE(refused(subscription("https://push.example:65536/p"), "port"));
  EXPECT_TRUE(refused(subscription("https://push%2eexample%00/p"), "host"));
  EXPECT_TRUE(refused(subscription("https://push.example/" + std::string(3000, 'a')), "longer than"));
}

TEST(WebPushSubscription, HttpAndSpecialUseOnlyForExemptedHosts) {
  EXPECT_TRUE(check_webpush_registration(subscription("http://127.0.0.1:9000/p"), allow("127.0.0.1")).ok());
  EXPECT_TRUE(check_webpush_registration(subscription("http://push.test/p"), allow("push.test")).ok());
  EXPECT_TRUE(refused(subscription("http://127.0.0.2:9000/p"), "https://", allow("127.0.0.1")));
  EXPECT_TRUE(refused(subscription("http://push.example/p"), "https://", allow("push.test")));
}

TEST(WebPushSubscription, KeysMustBeStrictBase64UrlOfTheRightSizes) {
  const std::string endpoint = "https://push.example/p";
  std::string off_curve = kP256dh;
  off_curve[10] = off_curve[10] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(refused(subscription(endpoint, off_curve), "not a point on the P-256 curve"));
  EXPECT_TRUE(refused(subscription(endpoint, std::string(kP256dh) + "=="), "p256dh must be base64url"));
  EXPECT_TRUE(refused(subscription(endpoint, "BCVxsr7N+eNgVRqv"), "p256dh must be base64url"));
  EXPECT_TRUE(refused(subscription(endpoint, ""), "65-byte"));
  EXPECT_TRUE(refused(subscription(endpoint, std::string(kP256dh).substr(0, 44)), "65-byte"));
  EXPECT_TRUE(refused(subscription(endpoint, std::string(10'000, 'A')), "p256dh"));
  // A compressed point (0x02 || X) is not what RFC 8291 uses.
  EXPECT_TRUE(refused(subscription(endpoint, "AiVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcx"), "65-byte"));
  EXPECT_TRUE(refused(subscription(endpoint, kP256dh, ""), "auth must be 16 bytes"));
  EXPECT_TRUE(refused(subscription(endpoint, kP256dh, "BTBZMqHH6r4Tts7J_aSIggAA"), "auth must be 16 bytes"));
  EXPECT_TRUE(refused(subscription(endpoint, kP256dh, "BTBZMqHH6r4Tts7J/aSIgg"), "auth must be base64url"));
  EXPECT_TRUE(refused(subscription(endpoint, kP256dh, "BTBZMqHH6r4Tts7J_aSIgg=="), "auth must be base64url"));
  EXPECT_TRUE(refused(subscription(endpoint, kP256dh, std::string("BTBZMqHH6r4T\xc3\x28s7J_aSIgg")), "auth"));
}

TEST(WebPushSender, StatusesMapToDeliveredGoneRetryOrGiveUp) {
  for (unsigned status : {200u, 201u, 202u}) EXPECT_EQ(WebPushSender::outcome_of(status), PushOutcome::delivered);
  for (unsigned status : {404u, 410u}) EXPECT_EQ(WebPushSender::outcome_of(status), PushOutcome::gone);
  for (unsigned status : {429u, 500u, 502u, 503u}) EXPECT_EQ(WebPushSender::outcome_of(status), PushOutcome::retry);
  for (unsigned status : {400u, 401u, 403u, 413u}) EXPECT_EQ(WebPushSender::outcome_of(status), PushOutcome::rejected);
}

TEST(WebPushSender, PayloadNamesTheChatTheNewestMessageAndTheCount) {
  PushJob job;
  job.id = 7;
  job.chat_id = "c-1";
  job.seq = 42;
  job.sender_id = "u-ann";
  job.preview = "hello";
  job.count = 3;
  EXPECT_EQ(WebPushSender::payload_of(job),
            R"({"type":"message","chat_id":"c-1","seq":42,"sender_id":"u-ann","preview":"hello","count":3,"id":7})");
}

}  // namespace
}  // namespace parley::push
