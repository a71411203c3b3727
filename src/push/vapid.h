#pragma once
// VAPID (RFC 8292): the application server's identity towards push services.
// One P-256 key pair per deployment: every node of a cluster must sign with
// the same key, because browsers bind each subscription to the public key
// (applicationServerKey) they subscribed with. A push request carries
// `Authorization: vapid t=<JWT>, k=<public key>`; the JWT (ES256) names the
// push service's origin (aud), an expiry at most 24 h ahead (exp) and a
// contact (sub). Free functions and an immutable signer; any thread.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"
#include "push/p256_key.h"

namespace parley::push {

inline constexpr std::int64_t kMaxVapidLifetimeSeconds = 24 * 3600;

struct VapidClaims {
  std::string aud;       // the push service's origin, "https://host[:port]"
  std::int64_t exp = 0;  // seconds since the epoch
  std::string sub;       // "mailto:…" or "https://…"; empty: left out
};

// A signed compact JWS (header {"typ":"JWT","alg":"ES256"}).
Result<std::string> sign_vapid_jwt(const P256Key& key, const VapidClaims& claims);
// The claims of `jwt` if `public_key` signed it as sign_vapid_jwt does
// (alg ES256 only); invalid_request naming what is wrong otherwise. Checks
// the signature and the form, not whether exp has passed.
Result<VapidClaims> verify_vapid_jwt(std::string_view jwt, const P256Key& public_key);

// The origin of an https:// or http:// URL ("scheme://host[:port]", the
// default port left out), the JWT's aud; empty when it has none.
std::string origin_of(std::string_view url);

// The deployment's key, read from `path` (PEM, P-256); when the file does not
// exist and `create` is set, a new key is generated and written there with
// mode 0600 (atomically: a second process either sees the whole file or
// none). Throws std::runtime_error naming the file otherwise: start-up only.
P256Key load_vapid_key(const std::filesystem::path& path, bool create);

}  // namespace parley::push
