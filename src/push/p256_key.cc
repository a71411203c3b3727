#include "push/p256_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <array>
#include <utility>

namespace parley::push {
namespace {

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Freer<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Freer<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Freer<BIGNUM, BN_free>>;
using GroupPtr = std::unique_ptr<EC_GROUP, Freer<EC_GROUP, EC_GROUP_free>>;
using PointPtr = std::unique_ptr<EC_POINT, Freer<EC_POINT, EC_POINT_free>>;
using SigPtr = std::unique_ptr<ECDSA_SIG, Freer<ECDSA_SIG, ECDSA_SIG_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Freer<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Freer<OSSL_PARAM, OSSL_PARAM_free>>;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kCurve[] = "prime256v1";

Error bad_key(const std::string& why) {
  return make_error(ErrorCode::invalid_request, why);
}

// The uncompressed point of `key` (OpenSSL encodes EC keys uncompressed by default).
std::string point_of(EVP_PKEY* key) {
  std::string out(kP256PointBytes, '\0');
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      reinterpret_cast<unsigned char*>(out.data()), out.size(), &len) != 1 ||
      len != kP256PointBytes) {
    return {};
  }
  return out;
}

bool is_p256(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") != 1) return false;
  std::array<char, 64> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(), &len) != 1) {
    return false;
  }
  return std::string_view(name.data(), len) == kCurve;
}

// A key from OSSL_PARAMs (group, public point, maybe the private scalar).
PkeyPtr key_from(const std::string& point, const BIGNUM* d) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kCurve, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
      (d && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)) {
    return nullptr;
  }
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return PkeyPtr(raw);
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (bytes.size() - i == 1) {
    const unsigned v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero: "AB" and "AC" must not both decode to one byte.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

P256Key::P256Key(evp_pkey_st* key, bool has_private)
    : key_(key), has_private_(has_private), public_point_(point_of(key)) {}

P256Key::P256Key(P256Key&& other) noexcept
    : key_(std::exchange(other.key_, nullptr)),
      has_private_(other.has_private_),
      public_point_(std::move(other.public_point_)) {}

P256Key& P256Key::operator=(P256Key&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(key_);
    key_ = std::exchange(other.key_, nullptr);
    has_private_ = other.has_private_;
    public_point_ = std::move(other.public_point_);
  }
  return *this;
}

P256Key::~P256Key() {
  EVP_PKEY_free(key_);
}

Result<P256Key> P256Key::generate() {
  EVP_PKEY* raw = EVP_EC_gen(kCurve);
  if (!raw) return make_error(ErrorCode::internal, "P-256 key generation failed");
  P256Key key(raw, true);
  if (key.public_point_.empty()) return make_error(ErrorCode::internal, "P-256 key has no public point");
  return key;
}

Result<P256Key> P256Key::from_private_scalar(std::string_view d) {
  if (d.size() != kP256ScalarBytes) return bad_key("a P-256 private key is 32 bytes");
  BnPtr scalar(BN_bin2bn(reinterpret_cast<const unsigned char*>(d.data()), static_cast<int>(d.size()), nullptr));
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (!scalar || !group) return make_error(ErrorCode::internal, "out of memory");
  if (BN_is_zero(scalar.get()) || BN_cmp(scalar.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    return bad_key("P-256 private key out of range");
  }
  PointPtr pub(EC_POINT_new(group.get()));
  std::string point(kP256PointBytes, '\0');
  if (!pub || EC_POINT_mul(group.get(), pub.get(), scalar.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED,
                         reinterpret_cast<unsigned char*>(point.data()), point.size(), nullptr) != point.size()) {
    return make_error(ErrorCode::internal, "cannot compute the P-256 public key");
  }
  PkeyPtr key = key_from(point, scalar.get());
  if (!key) return make_error(ErrorCode::internal, "cannot build the P-256 key");
  return P256Key(key.release(), true);
}

Result<P256Key> P256Key::from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return make_error(ErrorCode::internal, "out of memory");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return bad_key("not a PEM private key");
  if (!is_p256(key.get())) return bad_key("the key is not on the P-256 curve");
  P256Key out(key.release(), true);
  if (out.public_point_.empty()) return bad_key("the key has no public point");
  return out;
}

Result<P256Key> P256Key::from_public_point(std::string_view point) {
  if (!is_p256_public_point(point)) return bad_key("not an uncompressed P-256 point on the curve");
  PkeyPtr key = key_from(std::string(point), nullptr);
  if (!key) return bad_key("not an uncompressed P-256 point on the curve");
  return P256Key(key.release(), false);
}

std::string P256Key::private_pem() const {
  if (!has_private_) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

Result<std::string> P256Key::ecdh(const P256Key& peer) const {
  if (!has_private_) return make_error(ErrorCode::internal, "ECDH needs a private key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_, nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.key_) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1 || len != kP256ScalarBytes) {
    return make_error(ErrorCode::internal, "ECDH failed");
  }
  std::string secret(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &len) != 1 ||
      len != kP256ScalarBytes) {
    return make_error(ErrorCode::internal, "ECDH failed");
  }
  return secret;
}

Result<std::string> P256Key::sign_es256(std::string_view data) const {
  if (!has_private_) return make_error(ErrorCode::internal, "signing needs a private key");
  MdCtxPtr md(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key_) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return make_error(ErrorCode::internal, "ES256 signing failed");
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return make_error(ErrorCode::internal, "ES256 signing failed");
  }
  // OpenSSL writes an ASN.1 ECDSA-Sig-Value; JWS wants r and s, 32 bytes each.
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  SigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return make_error(ErrorCode::internal, "ES256 signature undecodable");
  std::string raw(2 * kP256ScalarBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kP256ScalarBytes) != kP256ScalarBytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kP256ScalarBytes, kP256ScalarBytes) != kP256ScalarBytes) {
    return make_error(ErrorCode::internal, "ES256 signature out of range");
  }
  return raw;
}

bool P256Key::verify_es256(std::string_view data, std::string_view signature) const {
  if (signature.size() != 2 * kP256ScalarBytes) return false;
  const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
  SigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw, kP256ScalarBytes, nullptr);
  BIGNUM* s = BN_bin2bn(raw + kP256ScalarBytes, kP256ScalarBytes, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  MdCtxPtr md(EVP_MD_CTX_new());
  const bool ok = md && EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key_) == 1 &&
                  EVP_DigestVerify(md.get(), der, static_cast<std::size_t>(der_len),
                                   reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

bool is_p256_public_point(std::string_view point) {
  if (point.size() != kP256PointBytes || point[0] != 0x04) return false;
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (!group) return false;
  PointPtr p(EC_POINT_new(group.get()));
  return p &&
         EC_POINT_oct2point(group.get(), p.get(), reinterpret_cast<const unsigned char*>(point.data()), point.size(),
                            nullptr) == 1 &&
         EC_POINT_is_at_infinity(group.get(), p.get()) == 0 && EC_POINT_is_on_curve(group.get(), p.get(), nullptr) == 1;
}

}  // namespace parley::push
