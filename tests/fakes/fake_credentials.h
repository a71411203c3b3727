#pragma once
// FakeCredentials: cheap, deterministic Credentials for core tests. Hashes are
// readable ("plain:" + password), tokens are "tok-1", "tok-2", ..., their
// digests "d:" + token, and ids "id-1", "id-2", ... Thread-safe.

#include <atomic>
#include <cstdint>
#include <string>

#include "core/ports.h"

namespace parley {

class FakeCredentials final : public Credentials {
 public:
  std::string hash_password(const std::string& password) override { return "plain:" + password; }
  bool verify_password(const std::string& hash, const std::string& password) override {
    return hash == "plain:" + password;
  }
  std::string new_token() override { return "tok-" + std::to_string(++tokens_issued_); }
  std::string digest_token(const std::string& token) override { return "d:" + token; }
  std::string new_id() override { return "id-" + std::to_string(++ids_issued_); }

 private:
  std::atomic<std::uint64_t> tokens_issued_{0};
  std::atomic<std::uint64_t> ids_issued_{0};
};

}  // namespace parley
