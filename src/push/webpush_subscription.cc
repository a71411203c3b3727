#include "push/webpush_subscription.h"

#include "push/p256_key.h"
#include "push/webhook_url.h"
#include "push/webpush_encryption.h"

namespace parley::push {

Result<WebPushKeys> decode_webpush_keys(const std::string& p256dh, const std::string& auth) {
  // 87 and 22 characters when well formed; anything longer is refused unread.
  auto point = p256dh.size() <= 88 ? base64url_decode(p256dh) : std::nullopt;
  if (!point) return make_error(ErrorCode::invalid_request, "keys.p256dh must be base64url without padding");
  if (point->size() != kP256PointBytes) {
    return make_error(ErrorCode::invalid_request, "keys.p256dh must be a 65-byte uncompressed P-256 key");
  }
  if (!is_p256_public_point(*point)) {
    return make_error(ErrorCode::invalid_request, "keys.p256dh is not a point on the P-256 curve");
  }
  auto secret = auth.size() <= 24 ? base64url_decode(auth) : std::nullopt;
  if (!secret) return make_error(ErrorCode::invalid_request, "keys.auth must be base64url without padding");
  if (secret->size() != kAuthSecretBytes) return make_error(ErrorCode::invalid_request, "keys.auth must be 16 bytes");
  return WebPushKeys{std::move(*point), std::move(*secret)};
}

Status check_webpush_registration(const PushRegistration& registration, const inet::HostAllowList& allow) {
  if (registration.provider != kWebPushProvider) {
    return make_error(ErrorCode::invalid_request, "provider is not webpush");
  }
  if (auto ok = check_push_endpoint_registration(registration.url, allow); !ok) {
    return make_error(ErrorCode::invalid_request, "subscription.endpoint: " + ok.error().message);
  }
  if (auto keys = decode_webpush_keys(registration.p256dh, registration.auth); !keys) return keys.error();
  return Ok{};
}

}  // namespace parley::push
