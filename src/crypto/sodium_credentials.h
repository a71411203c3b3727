#pragma once
// SodiumCredentials: the Credentials port on libsodium.
//
// Thread-safe: libsodium's functions are, and this class holds no mutable
// state. hash_password and verify_password take tens of milliseconds and
// ~19 MiB each on purpose; call them off the I/O threads.

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/ports.h"

namespace parley {

// Argon2id cost of new password hashes. Verification always uses the cost
// stored in the hash, so changing these never locks anyone out.
struct PasswordHashCost {
  // OWASP's baseline for argon2id (m=19 MiB, t=2, p=1). About a third of
  // libsodium's "interactive" preset (64 MiB, t=2), which makes a login cost
  // a few tens of ms and bounds memory under a signup/login burst, while
  // still meeting OWASP's password storage recommendation.
  std::uint64_t opslimit = 2;
  std::size_t memlimit = std::size_t{19} * 1024 * 1024;
};

class SodiumCredentials final : public Credentials {
 public:
  // Initialises libsodium; throws std::runtime_error if it cannot (start-up
  // only) or if `cost` is outside what libsodium accepts.
  explicit SodiumCredentials(PasswordHashCost cost = {});

  // Throws std::bad_alloc if the memory for argon2id cannot be had.
  std::string hash_password(const std::string& password) override;
  bool verify_password(const std::string& hash, const std::string& password) override;
  // 32 random bytes, base64url without padding: 43 characters.
  std::string new_token() override;
  // BLAKE2b-256 of the token, 64 lowercase hex characters. A fast hash is
  // enough: tokens are 256 random bits, unlike passwords.
  std::string digest_token(const std::string& token) override;
  // 16 random bytes as 32 lowercase hex characters.
  std::string new_id() override;

 private:
  PasswordHashCost cost_;
};

}  // namespace parley
