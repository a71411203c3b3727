// SodiumCredentials against libsodium: real hashing, real randomness.
#include "crypto/sodium_credentials.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

namespace parley {
namespace {

bool is_lower_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool is_base64url(const std::string& s) {
  return s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
}

TEST(SodiumCredentials, PasswordHashVerifiesOnlyTheRightPassword) {
  SodiumCredentials credentials;
  const std::string hash = credentials.hash_password("correct horse battery staple");
  EXPECT_TRUE(credentials.verify_password(hash, "correct horse battery staple"));
  EXPECT_FALSE(credentials.verify_password(hash, "correct horse battery stapler"));
  EXPECT_FALSE(credentials.verify_password(hash, ""));
}

TEST(SodiumCredentials, HashIsArgon2idWithTheOwaspBaselineCost) {
  SodiumCredentials credentials;
  const std::string hash = credentials.hash_password("pw");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_NE(hash.find("$m=19456,t=2,p=1$"), std::string::npos) << hash;  // 19 MiB in KiB
}

TEST(SodiumCredentials, CostIsConfigurableAndOldHashesStillVerify) {
  SodiumCredentials cheap(PasswordHashCost{1, 8 * 1024 * 1024});
  const std::string hash = cheap.hash_password("pw");
  EXPECT_NE(hash.find("$m=8192,t=1,p=1$"), std::string::npos) << hash;
  // Verification reads the cost from the hash, not from the instance.
  SodiumCredentials standard;
  EXPECT_TRUE(standard.verify_password(hash, "pw"));
}

TEST(SodiumCredentials, SamePasswordHashesDifferently) {
  SodiumCredentials credentials(PasswordHashCost{1, 8 * 1024 * 1024});
  EXPECT_NE(credentials.hash_password("pw"), credentials.hash_password("pw"));  // random salt
}

TEST(SodiumCredentials, MalformedHashesNeverVerify) {
  SodiumCredentials credentials;
  EXPECT_FALSE(credentials.verify_password("", "pw"));
  EXPECT_FALSE(credentials.verify_password("plain:pw", "pw"));
  EXPECT_FALSE(credentials.verify_password("$argon2id$v=19$m=19456,t=2,p=1$garbage", "pw"));
  EXPECT_FALSE(credentials.verify_password(std::string(500, 'x'), "pw"));
}

TEST(SodiumCredentials, RejectsCostsLibsodiumCannotUse) {
  EXPECT_THROW(SodiumCredentials(PasswordHashCost{0, 19 * 1024 * 1024}), std::runtime_error);
  EXPECT_THROW(SodiumCredentials(PasswordHashCost{2, 1024}), std::runtime_error);
}

TEST(SodiumCredentials, TokensAreDistinct43CharBase64url) {
  SodiumCredentials credentials;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string token = credentials.new_token();
    EXPECT_EQ(token.size(), 43u) << token;  // 256 bits, unpadded
    EXPECT_TRUE(is_base64url(token)) << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(SodiumCredentials, TokenDigestIsStableHexBlake2b256) {
  SodiumCredentials credentials;
  const std::string token = credentials.new_token();
  const std::string digest = credentials.digest_token(token);
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_TRUE(is_lower_hex(digest)) << digest;
  EXPECT_EQ(credentials.digest_token(token), digest);
  EXPECT_EQ(SodiumCredentials().digest_token(token), digest);  // not keyed per instance
  EXPECT_NE(credentials.digest_token(token + "x"), digest);
  // Known answer: BLAKE2b-256 of the empty input.
  EXPECT_EQ(credentials.digest_token(""), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

TEST(SodiumCredentials, IdsAreDistinct32CharLowerHex) {
  SodiumCredentials credentials;
  std::set<std::string> seen;
  for (int i = 0; i < 500; ++i) {
    const std::string id = credentials.new_id();
    EXPECT_EQ(id.size(), 32u) << id;
    EXPECT_TRUE(is_lower_hex(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 500u);
}

}  // namespace
}  // namespace parley
