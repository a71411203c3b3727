#include "push/vapid.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace parley::push {
namespace {

Error bad_jwt(const std::string& why) {
  return make_error(ErrorCode::invalid_request, "VAPID JWT: " + why);
}

std::optional<boost::json::object> json_object_of(std::string_view b64) {
  auto text = base64url_decode(b64);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  auto value = boost::json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return value.as_object();
}

}  // namespace

Result<std::string> sign_vapid_jwt(const P256Key& key, const VapidClaims& claims) {
  boost::json::object payload{{"aud", claims.aud}, {"exp", claims.exp}};
  if (!claims.sub.empty()) payload["sub"] = claims.sub;
  const std::string signing_input =
      base64url_encode(R"({"typ":"JWT","alg":"ES256"})") + "." + base64url_encode(boost::json::serialize(payload));
  auto signature = key.sign_es256(signing_input);
  if (!signature) return signature.error();
  return signing_input + "." + base64url_encode(*signature);
}

Result<VapidClaims> verify_vapid_jwt(std::string_view jwt, const P256Key& public_key) {
  const auto first = jwt.find('.');
  const auto second = first == std::string_view::npos ? first : jwt.find('.', first + 1);
  if (second == std::string_view::npos || jwt.find('.', second + 1) != std::string_view::npos) {
    return bad_jwt("not three dot-separated parts");
  }
  auto header = json_object_of(jwt.substr(0, first));
  if (!header) return bad_jwt("header is not base64url JSON");
  const auto* alg = header->if_contains("alg");
  if (!alg || !alg->is_string() || alg->as_string() != "ES256") return bad_jwt("alg is not ES256");
  auto signature = base64url_decode(jwt.substr(second + 1));
  if (!signature || !public_key.verify_es256(jwt.substr(0, second), *signature)) return bad_jwt("bad signature");
  auto payload = json_object_of(jwt.substr(first + 1, second - first - 1));
  if (!payload) return bad_jwt("payload is not base64url JSON");
  VapidClaims claims;
  const auto* aud = payload->if_contains("aud");
  const auto* exp = payload->if_contains("exp");
  const auto* sub = payload->if_contains("sub");
  if (!aud || !aud->is_string()) return bad_jwt("aud missing");
  if (!exp || !exp->is_int64()) return bad_jwt("exp missing");
  if (sub && !sub->is_string()) return bad_jwt("sub is not a string");
  claims.aud = std::string(aud->as_string());
  claims.exp = exp->as_int64();
  if (sub) claims.sub = std::string(sub->as_string());
  return claims;
}

std::string origin_of(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url || !url->has_authority() || url->encoded_host().empty()) return {};
  const bool https = url->scheme_id() == boost::urls::scheme::https;
  if (!https && url->scheme_id() != boost::urls::scheme::http) return {};
  std::string origin = std::string(url->scheme()) + "://" + std::string(url->encoded_host());
  if (url->has_port() && url->port() != (https ? "443" : "80")) origin += ":" + std::string(url->port());
  return origin;
}

P256Key load_vapid_key(const std::filesystem::path& path, bool create) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in && !in.eof()) throw std::runtime_error("VAPID key " + path.string() + ": cannot read");
    auto key = P256Key::from_pem(pem.str());
    if (!key) throw std::runtime_error("VAPID key " + path.string() + ": " + key.error().message);
    return std::move(*key);
  }
  if (!create) throw std::runtime_error("VAPID key " + path.string() + ": no such file");
  auto key = P256Key::generate();
  if (!key) throw std::runtime_error("VAPID key: " + key.error().message);
  const std::string pem = key->private_pem();
  // Written beside the target and renamed over it: never a half-written key.
  const std::filesystem::path temp = path.string() + ".tmp" + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("VAPID key " + temp.string() + ": cannot create");
  const bool written = ::fchmod(fd, 0600) == 0 &&
                       ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
  ::close(fd);
  // link() fails if another process created the key meanwhile: theirs wins.
  if (!written || (::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST)) {
    ::unlink(temp.c_str());
    throw std::runtime_error("VAPID key " + path.string() + ": cannot write");
  }
  ::unlink(temp.c_str());
  return load_vapid_key(path, false);
}

}  // namespace parley::push
