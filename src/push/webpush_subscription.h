#pragma once
// What a browser's PushSubscription must be for parleyd to store it: an
// endpoint the push policy lets us reach (parse_push_endpoint), keys.p256dh
// an uncompressed P-256 point on the curve (65 bytes) and keys.auth 16
// bytes, both strict base64url without padding. Checked once at
// registration; the sender decodes the stored keys again. Free functions;
// any thread.

#include <string>

#include "core/model.h"
#include "core/result.h"
#include "inet/ip_network.h"

namespace parley::push {

inline constexpr char kWebPushProvider[] = "webpush";
inline constexpr char kWebhookProvider[] = "webhook";

// invalid_request naming the field and what is wrong with it.
Status check_webpush_registration(const PushRegistration& registration, const inet::HostAllowList& allow);

// The decoded keys of a stored registration.
struct WebPushKeys {
  std::string p256dh;  // 65 bytes
  std::string auth;    // 16 bytes
};
Result<WebPushKeys> decode_webpush_keys(const std::string& p256dh, const std::string& auth);

}  // namespace parley::push
