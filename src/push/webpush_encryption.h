#pragma once
// Message encryption for Web Push (RFC 8291) in the aes128gcm content coding
// (RFC 8188): ECDH between a one-time application-server key and the
// subscription's p256dh key, HKDF-SHA256 with the subscription's auth secret,
// AES-128-GCM, one record. decrypt_aes128gcm is the browser's side: tests
// (and the push-service stand-in of the integration tests) read with it what
// was sent. Free functions; any thread.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "push/p256_key.h"

namespace parley::push {

inline constexpr std::size_t kAuthSecretBytes = 16;
inline constexpr std::size_t kSaltBytes = 16;
inline constexpr std::size_t kRecordSize = 4096;
// Push services accept at most 4096 bytes of encrypted body (RFC 8030 §7.2):
// the header (86 bytes), the padding delimiter and the tag (16) leave this
// much for the plaintext.
inline constexpr std::size_t kMaxPlaintextBytes = 4096 - 86 - 1 - 16;

// The body of a push message: header (salt, record size, as_key's public
// point) then the one encrypted record, whose plaintext is padded with zeros
// up to `padded_size` bytes (when larger than the plaintext) to hide its length.
Result<std::string> encrypt_aes128gcm(std::string_view plaintext, std::string_view ua_public,
                                      std::string_view auth_secret, const P256Key& as_key, std::string_view salt,
                                      std::size_t padded_size = 0);
// The same with a fresh application-server key and salt, as every message must have.
Result<std::string> encrypt_aes128gcm(std::string_view plaintext, std::string_view ua_public,
                                      std::string_view auth_secret, std::size_t padded_size = 0);

// The plaintext of `body` for the subscription whose key is `ua_key` (with its
// private key); invalid_request when it is not a well-formed, authentic body.
Result<std::string> decrypt_aes128gcm(std::string_view body, const P256Key& ua_key, std::string_view auth_secret);

}  // namespace parley::push
