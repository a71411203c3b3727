#include "crypto/sodium_credentials.h"

#include <sodium.h>

#include <array>
#include <new>
#include <stdexcept>

namespace parley {
namespace {

template <std::size_t N>
std::string to_hex(const std::array<unsigned char, N>& bytes) {
  std::array<char, N * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return std::string(hex.data(), N * 2);
}

template <std::size_t N>
std::array<unsigned char, N> random_bytes() {
  std::array<unsigned char, N> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return bytes;
}

}  // namespace

SodiumCredentials::SodiumCredentials(PasswordHashCost cost) : cost_(cost) {
  // Returns 1 when already initialised, which is fine.
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  if (cost_.opslimit < crypto_pwhash_OPSLIMIT_MIN || cost_.opslimit > crypto_pwhash_OPSLIMIT_MAX ||
      cost_.memlimit < crypto_pwhash_MEMLIMIT_MIN || cost_.memlimit > crypto_pwhash_MEMLIMIT_MAX) {
    throw std::runtime_error("password hash cost outside libsodium's limits");
  }
}

std::string SodiumCredentials::hash_password(const std::string& password) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  // Fails only when the memlimit cannot be allocated.
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), cost_.opslimit, cost_.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::bad_alloc();
  }
  return std::string(out.data());
}

bool SodiumCredentials::verify_password(const std::string& hash, const std::string& password) {
  // A stored hash longer than libsodium's buffer is not one it wrote.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string SodiumCredentials::new_token() {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  const auto bytes = random_bytes<32>();
  std::array<char, sodium_base64_ENCODED_LEN(32, kVariant)> text{};
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), kVariant);
  return std::string(text.data());
}

std::string SodiumCredentials::digest_token(const std::string& token) {
  std::array<unsigned char, crypto_generichash_BYTES> digest{};
  static_assert(crypto_generichash_BYTES == 32, "BLAKE2b-256");
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  return to_hex(digest);
}

std::string SodiumCredentials::new_id() {
  return to_hex(random_bytes<16>());
}

}  // namespace parley
