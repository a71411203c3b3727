#pragma once
// P256Key: one NIST P-256 key (a pair, or a peer's public key only) on
// OpenSSL 3, with the operations Web Push needs: ECDH (RFC 8291) and ES256
// signatures in JWS form (raw r || s, RFC 7518 §3.4) for VAPID (RFC 8292).
// Also base64url without padding, the spelling of every key on the wire.
// Immutable after construction; const methods may be called from any thread.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

struct evp_pkey_st;

namespace parley::push {

// RFC 4648 §5 without padding (as browsers write PushSubscription keys).
std::string base64url_encode(std::string_view bytes);
// Strict: only the base64url alphabet, no padding, no whitespace, and the
// unused low bits of the last character zero (one spelling per value).
// nullopt for anything else.
std::optional<std::string> base64url_decode(std::string_view text);

inline constexpr std::size_t kP256PointBytes = 65;  // 0x04 || X || Y
inline constexpr std::size_t kP256ScalarBytes = 32;

class P256Key {
 public:
  // A fresh random key pair.
  static Result<P256Key> generate();
  // The pair of a known private scalar (32 bytes, big-endian): test vectors.
  static Result<P256Key> from_private_scalar(std::string_view d);
  // A PKCS#8 (or SEC1) PEM private key; refuses keys of other curves.
  static Result<P256Key> from_pem(std::string_view pem);
  // A peer's public key: 65 bytes, uncompressed, a point on the curve.
  static Result<P256Key> from_public_point(std::string_view point);

  P256Key(P256Key&&) noexcept;
  P256Key& operator=(P256Key&&) noexcept;
  ~P256Key();

  bool has_private() const { return has_private_; }
  // The uncompressed public point, 65 bytes.
  const std::string& public_point() const { return public_point_; }
  // PKCS#8 PEM of the private key; empty without one.
  std::string private_pem() const;

  // The shared secret with `peer` (32 bytes, the X coordinate).
  Result<std::string> ecdh(const P256Key& peer) const;
  // ES256 over `data`: 64 bytes r || s.
  Result<std::string> sign_es256(std::string_view data) const;
  // Whether `signature` (64 bytes r || s) is this key's ES256 signature of `data`.
  bool verify_es256(std::string_view data, std::string_view signature) const;

 private:
  P256Key(evp_pkey_st* key, bool has_private);
  evp_pkey_st* key_ = nullptr;
  bool has_private_ = false;
  std::string public_point_;
};

// Whether `point` is a P-256 public key as RFC 8291 wants it: 65 bytes,
// uncompressed, on the curve, not the point at infinity.
bool is_p256_public_point(std::string_view point);

}  // namespace parley::push
