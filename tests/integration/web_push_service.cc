#include "web_push_service.h"

#include <openssl/rand.h>

#include <boost/json.hpp>

#include "push/vapid.h"
#include "push/webpush_encryption.h"
#include "server_process.h"

namespace parley::testing {

WebPushService::WebPushService() : key_(push::P256Key::generate().value()), auth_(16, '\0') {
  RAND_bytes(reinterpret_cast<unsigned char*>(auth_.data()), static_cast<int>(auth_.size()));
}

boost::json::object WebPushService::registration(const std::string& path) const {
  // As PushSubscription.toJSON() writes it.
  return {
      {"provider", "webpush"},
      {"subscription",
       {{"endpoint", endpoint(path)},
        {"expirationTime", nullptr},
        {"keys", {{"p256dh", push::base64url_encode(key_.public_point())}, {"auth", push::base64url_encode(auth_)}}}}}};
}

WebPushDelivery WebPushService::read(const PushRequest& request) const {
  WebPushDelivery out;
  out.answered_status = request.answered_status;
  out.ttl = request.header("ttl");
  out.urgency = request.header("urgency");
  out.content_encoding = request.header("content-encoding");
  auto fail = [&](const std::string& why) {
    out.error = why;
    return out;
  };
  if (request.method != "POST") return fail("method " + request.method);
  if (out.content_encoding != "aes128gcm") return fail("Content-Encoding " + out.content_encoding);
  // Authorization: vapid t=<jwt>, k=<key>
  const std::string authorization = request.header("authorization");
  const std::string t_mark = "vapid t=";
  const std::string k_mark = ", k=";
  const auto k_at = authorization.find(k_mark);
  if (authorization.rfind(t_mark, 0) != 0 || k_at == std::string::npos) return fail("Authorization " + authorization);
  const std::string jwt = authorization.substr(t_mark.size(), k_at - t_mark.size());
  out.vapid_key = authorization.substr(k_at + k_mark.size());
  auto point = push::base64url_decode(out.vapid_key);
  if (!point) return fail("k= is not base64url");
  auto vapid = push::P256Key::from_public_point(*point);
  if (!vapid) return fail("k= is not a P-256 key");
  auto claims = push::verify_vapid_jwt(jwt, *vapid);
  if (!claims) return fail(claims.error().message);
  out.aud = claims->aud;
  out.exp = claims->exp;
  out.sub = claims->sub;
  auto plain = push::decrypt_aes128gcm(request.body, key_, auth_);
  if (!plain) return fail(plain.error().message);
  boost::json::error_code ec;
  auto value = boost::json::parse(*plain, ec);
  if (ec || !value.is_object()) return fail("payload is not a JSON object: " + *plain);
  out.payload = value.as_object();
  return out;
}

std::vector<WebPushDelivery> WebPushService::deliveries() const {
  std::vector<WebPushDelivery> out;
  for (const auto& request : receiver_.requests()) out.push_back(read(request));
  return out;
}

std::optional<WebPushDelivery> WebPushService::wait_for(const std::string& chat_id, std::int64_t seq,
                                                        std::chrono::milliseconds timeout) const {
  std::optional<WebPushDelivery> found;
  eventually(
      [&] {
        for (auto& d : deliveries()) {
          const auto* c = d.payload.if_contains("chat_id");
          const auto* s = d.payload.if_contains("seq");
          if (d.answered_status / 100 == 2 && c && c->is_string() && c->as_string() == chat_id && s && s->is_int64() &&
              s->as_int64() == seq) {
            found = std::move(d);
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

bool WebPushService::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  return eventually([&] { return receiver_.requests().size() >= n; }, timeout);
}

}  // namespace parley::testing
