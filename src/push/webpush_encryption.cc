#include "push/webpush_encryption.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>

namespace parley::push {
namespace {

constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kHeaderBytes = kSaltBytes + 4 + 1 + kP256PointBytes;

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(32, '\0');
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), reinterpret_cast<unsigned char*>(out.data()), &len);
  out.resize(len);
  return out;
}

// HKDF-Expand for one block (every length here is at most 32 bytes).
std::string hkdf_expand(std::string_view prk, std::string info, std::size_t length) {
  info.push_back('\x01');
  std::string okm = hmac_sha256(prk, info);
  okm.resize(length);
  return okm;
}

struct Keys {
  std::string cek;    // 16 bytes
  std::string nonce;  // 12 bytes
};

// RFC 8291 §3.3 and §3.4, then RFC 8188 §2.2 and §2.3.
Keys derive(std::string_view ecdh_secret, std::string_view auth_secret, std::string_view ua_public,
            std::string_view as_public, std::string_view salt) {
  std::string key_info = "WebPush: info";
  key_info.push_back('\0');
  key_info.append(ua_public).append(as_public);
  const std::string ikm = hkdf_expand(hmac_sha256(auth_secret, ecdh_secret), key_info, 32);
  const std::string prk = hmac_sha256(salt, ikm);
  return {hkdf_expand(prk, std::string("Content-Encoding: aes128gcm", 27) + '\0', 16),
          hkdf_expand(prk, std::string("Content-Encoding: nonce", 23) + '\0', 12)};
}

Error bad_body(const std::string& why) {
  return make_error(ErrorCode::invalid_request, "aes128gcm body: " + why);
}

}  // namespace

Result<std::string> encrypt_aes128gcm(std::string_view plaintext, std::string_view ua_public,
                                      std::string_view auth_secret, const P256Key& as_key, std::string_view salt,
                                      std::size_t padded_size) {
  if (plaintext.size() > kMaxPlaintextBytes) return make_error(ErrorCode::payload_too_large, "push payload too large");
  if (auth_secret.size() != kAuthSecretBytes) return make_error(ErrorCode::invalid_request, "auth secret is 16 bytes");
  if (salt.size() != kSaltBytes) return make_error(ErrorCode::invalid_request, "salt is 16 bytes");
  auto ua_key = P256Key::from_public_point(ua_public);
  if (!ua_key) return ua_key.error();
  auto secret = as_key.ecdh(*ua_key);
  if (!secret) return secret.error();
  const Keys keys = derive(*secret, auth_secret, ua_public, as_key.public_point(), salt);

  // One record: the plaintext, the last-record delimiter 0x02, zero padding.
  std::string record(plaintext);
  record.push_back('\x02');
  const std::size_t padded = std::min(std::max(padded_size, plaintext.size()), kMaxPlaintextBytes) + 1;
  record.resize(padded, '\0');

  std::string body;
  body.reserve(kHeaderBytes + record.size() + kTagBytes);
  body.append(salt);
  const std::uint32_t rs = kRecordSize;
  for (int shift = 24; shift >= 0; shift -= 8) body.push_back(static_cast<char>((rs >> shift) & 0xff));
  body.push_back(static_cast<char>(kP256PointBytes));
  body.append(as_key.public_point());

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  const auto* key = reinterpret_cast<const unsigned char*>(keys.cek.data());
  const auto* iv = reinterpret_cast<const unsigned char*>(keys.nonce.data());
  const std::size_t start = body.size();
  body.resize(start + record.size() + kTagBytes);
  auto* out = reinterpret_cast<unsigned char*>(body.data() + start);
  int len = 0;
  int final_len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, key, iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, reinterpret_cast<const unsigned char*>(record.data()),
                        static_cast<int>(record.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &final_len) != 1 ||
      static_cast<std::size_t>(len + final_len) != record.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out + record.size()) != 1) {
    return make_error(ErrorCode::internal, "AES-128-GCM encryption failed");
  }
  return body;
}

Result<std::string> encrypt_aes128gcm(std::string_view plaintext, std::string_view ua_public,
                                      std::string_view auth_secret, std::size_t padded_size) {
  auto as_key = P256Key::generate();
  if (!as_key) return as_key.error();
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1) {
    return make_error(ErrorCode::internal, "no random bytes for the salt");
  }
  return encrypt_aes128gcm(plaintext, ua_public, auth_secret, *as_key, salt, padded_size);
}

Result<std::string> decrypt_aes128gcm(std::string_view body, const P256Key& ua_key, std::string_view auth_secret) {
  if (body.size() < kHeaderBytes + 1 + kTagBytes) return bad_body("too short");
  const std::string_view salt = body.substr(0, kSaltBytes);
  std::uint32_t rs = 0;
  for (std::size_t i = 0; i < 4; ++i) rs = (rs << 8) | static_cast<unsigned char>(body[kSaltBytes + i]);
  if (static_cast<unsigned char>(body[kSaltBytes + 4]) != kP256PointBytes) return bad_body("key id is not a P-256 key");
  const std::string_view as_public = body.substr(kSaltBytes + 5, kP256PointBytes);
  const std::string_view ciphertext = body.substr(kHeaderBytes);
  if (rs < 18 || ciphertext.size() > rs) return bad_body("not a single record");
  auto as_key = P256Key::from_public_point(as_public);
  if (!as_key) return bad_body("key id is not a P-256 point");
  auto secret = ua_key.ecdh(*as_key);
  if (!secret) return secret.error();
  const Keys keys = derive(*secret, auth_secret, ua_key.public_point(), as_public, salt);

  const std::size_t record_len = ciphertext.size() - kTagBytes;
  std::string record(record_len, '\0');
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string tag(ciphertext.substr(record_len));
  int len = 0;
  int final_len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, reinterpret_cast<const unsigned char*>(keys.cek.data()),
                         reinterpret_cast<const unsigned char*>(keys.nonce.data())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(record.data()), &len,
                        reinterpret_cast<const unsigned char*>(ciphertext.data()), static_cast<int>(record_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(record.data()) + len, &final_len) != 1) {
    return bad_body("authentication failed");
  }
  // Strip the zero padding back to the delimiter; the last record's is 0x02.
  const auto end = record.find_last_not_of('\0');
  if (end == std::string::npos || record[end] != '\x02') return bad_body("no last-record delimiter");
  record.resize(end);
  return record;
}

}  // namespace parley::push
