// Web Push crypto: the aes128gcm message encryption against RFC 8291's worked
// example (Appendix A), the browser's side reading it back, VAPID JWTs
// (RFC 8292) signed and verified, and strict base64url.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "push/p256_key.h"
#include "push/vapid.h"
#include "push/webpush_encryption.h"

namespace parley::push {
namespace {

// RFC 8291, Appendix A.
constexpr char kPlaintext[] = "When I grow up, I want to be a watermelon";
constexpr char kAsPrivate[] = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
constexpr char kAsPublic[] = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
constexpr char kUaPrivate[] = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
constexpr char kUaPublic[] = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr char kSalt[] = "DGv6ra1nlYgDCS1FRnbzlw";
constexpr char kAuth[] = "BTBZMqHH6r4Tts7J_aSIgg";
constexpr char kBody[] =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_"
    "c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_"
    "yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

std::string b64(const char* text) {
  auto bytes = base64url_decode(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or("");
}

P256Key key_of(const char* scalar) {
  auto key = P256Key::from_private_scalar(b64(scalar));
  EXPECT_TRUE(key.ok()) << (key ? "" : key.error().message);
  return std::move(*key);
}

TEST(WebPushEncryption, ReproducesRfc8291AppendixAByteForByte) {
  P256Key as_key = key_of(kAsPrivate);
  EXPECT_EQ(base64url_encode(as_key.public_point()), kAsPublic);
  EXPECT_EQ(base64url_encode(key_of(kUaPrivate).public_point()), kUaPublic);
  auto body = encrypt_aes128gcm(kPlaintext, b64(kUaPublic), b64(kAuth), as_key, b64(kSalt));
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(base64url_encode(*body), kBody);
}

TEST(WebPushEncryption, TheBrowsersSideReadsTheRfcExampleAndOurOwnPaddedBodies) {
  P256Key ua_key = key_of(kUaPrivate);
  auto plain = decrypt_aes128gcm(b64(kBody), ua_key, b64(kAuth));
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, kPlaintext);

  // Fresh key and salt per message, padded: still the same plaintext.
  auto first = encrypt_aes128gcm(R"({"chat_id":"c"})", ua_key.public_point(), b64(kAuth), 512);
  auto second = encrypt_aes128gcm(R"({"chat_id":"c"})", ua_key.public_point(), b64(kAuth), 512);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
  EXPECT_EQ(first->size(), 86u + 512u + 1u + 16u);
  EXPECT_EQ(decrypt_aes128gcm(*first, ua_key, b64(kAuth)).value(), R"({"chat_id":"c"})");
}

TEST(WebPushEncryption, TamperedOrMisaddressedBodiesAreRefused) {
  P256Key ua_key = key_of(kUaPrivate);
  std::string body = b64(kBody);
  for (std::size_t at : {std::size_t{0}, std::size_t{30}, body.size() - 20, body.size() - 1}) {
    std::string bad = body;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    EXPECT_FALSE(decrypt_aes128gcm(bad, ua_key, b64(kAuth)).ok()) << "flipped byte " << at;
  }
  EXPECT_FALSE(decrypt_aes128gcm(body, ua_key, std::string(16, 'x')).ok()) << "another auth secret";
  EXPECT_FALSE(decrypt_aes128gcm(body, *P256Key::generate(), b64(kAuth)).ok()) << "another subscription";
  EXPECT_FALSE(decrypt_aes128gcm(body.substr(0, 90), ua_key, b64(kAuth)).ok()) << "truncated";
}

TEST(WebPushEncryption, PayloadsLargerThanAPushServiceTakesAreRefused) {
  P256Key ua_key = key_of(kUaPrivate);
  auto most = encrypt_aes128gcm(std::string(kMaxPlaintextBytes, 'a'), ua_key.public_point(), b64(kAuth));
  ASSERT_TRUE(most.ok());
  EXPECT_EQ(most->size(), 4096u);
  auto over = encrypt_aes128gcm(std::string(kMaxPlaintextBytes + 1, 'a'), ua_key.public_point(), b64(kAuth));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::payload_too_large);
}

TEST(Base64Url, RoundTripsAndRefusesEveryOtherSpelling) {
  for (std::string bytes :
       {std::string(), std::string("a"), std::string("ab"), std::string("abc"), std::string("\xff\xfe\x00\x01", 4)}) {
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("YQ==").has_value()) << "padding";
  EXPECT_FALSE(base64url_decode("+/8").has_value()) << "standard alphabet";
  EXPECT_FALSE(base64url_decode("YW J").has_value()) << "whitespace";
  EXPECT_FALSE(base64url_decode("YWJjZ").has_value()) << "impossible length";
  EXPECT_FALSE(base64url_decode("YR").has_value()) << "non-zero leftover bits";
  EXPECT_FALSE(base64url_decode(std::string("YW\0J", 4)).has_value()) << "NUL";
}

TEST(P256Key, PublicPointsMustBeUncompressedAndOnTheCurve) {
  std::string point = b64(kUaPublic);
  EXPECT_TRUE(is_p256_public_point(point));
  std::string off_curve = point;
  off_curve[64] = static_cast<char>(off_curve[64] ^ 0x01);
  EXPECT_FALSE(is_p256_public_point(off_curve));
  EXPECT_FALSE(P256Key::from_public_point(off_curve).ok());
  std::string compressed = point.substr(0, 33);
  compressed[0] = 0x02;
  EXPECT_FALSE(is_p256_public_point(compressed));
  EXPECT_FALSE(is_p256_public_point(std::string(65, '\0')));
  std::string zeros(65, '\0');
  zeros[0] = 0x04;
  EXPECT_FALSE(is_p256_public_point(zeros));
  EXPECT_FALSE(is_p256_public_point(point + "x"));
}

TEST(Vapid, JwtIsEs256OverTheClaimsAndVerifiesOnlyWithItsKey) {
  auto key = P256Key::generate();
  ASSERT_TRUE(key.ok());
  auto jwt = sign_vapid_jwt(*key, {"https://push.example.net", 1'900'000'000, "mailto:ops@example.com"});
  ASSERT_TRUE(jwt.ok());
  EXPECT_EQ(jwt->substr(0, jwt->find('.')), base64url_encode(R"({"typ":"JWT","alg":"ES256"})"));
  auto public_only = P256Key::from_public_point(key->public_point());
  ASSERT_TRUE(public_only.ok());
  auto claims = verify_vapid_jwt(*jwt, *public_only);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->aud, "https://push.example.net");
  EXPECT_EQ(claims->exp, 1'900'000'000);
  EXPECT_EQ(claims->sub, "mailto:ops@example.com");
  // The signature is 64 bytes r || s, not DER.
  EXPECT_EQ(base64url_decode(jwt->substr(jwt->rfind('.') + 1))->size(), 64u);

  EXPECT_FALSE(verify_vapid_jwt(*jwt, *P256Key::generate()).ok()) << "another key";
  std::string forged = *jwt;
  const auto dot = forged.find('.');
  forged.replace(dot + 1, forged.rfind('.') - dot - 1,
                 base64url_encode(R"({"aud":"https://evil.example","exp":1900000000})"));
  EXPECT_FALSE(verify_vapid_jwt(forged, *public_only).ok()) << "changed claims";
  std::string none = base64url_encode(R"({"typ":"JWT","alg":"none"})") + jwt->substr(dot);
  EXPECT_FALSE(verify_vapid_jwt(none, *public_only).ok()) << "alg none";
  EXPECT_FALSE(verify_vapid_jwt("a.b", *public_only).ok());
}

TEST(Vapid, OriginIsSchemeHostAndNonDefaultPort) {
  EXPECT_EQ(origin_of("https://fcm.googleapis.com/fcm/send/abc:def"), "https://fcm.googleapis.com");
  EXPECT_EQ(origin_of("https://push.example:443/x"), "https://push.example");
  EXPECT_EQ(origin_of("https://push.example:8443/x?y"), "https://push.example:8443");
  EXPECT_EQ(origin_of("http://127.0.0.1:9000/p"), "http://127.0.0.1:9000");
  EXPECT_EQ(origin_of("ftp://push.example/"), "");
  EXPECT_EQ(origin_of("not a url"), "");
}

TEST(Vapid, TheKeyFileIsCreatedOnceWithMode0600AndReadAfter) {
  auto dir = std::filesystem::temp_directory_path() / ("vapid-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "vapid_private.pem";
  P256Key first = load_vapid_key(path, /*create=*/true);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_vapid_key(path, true).public_point(), first.public_point());
  EXPECT_EQ(load_vapid_key(path, false).public_point(), first.public_point());
  EXPECT_THROW(load_vapid_key(dir / "missing.pem", false), std::runtime_error);
  std::ofstream(dir / "bad.pem") << "-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n";
  EXPECT_THROW(load_vapid_key(dir / "bad.pem", false), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace parley::push
