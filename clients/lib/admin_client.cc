#include "lib/admin_client.h"

#include "lib/session.h"

namespace parley::client {
namespace json = boost::json;

namespace {

std::string user_path(const std::string& user) {
  return "/v1/admin/users/" + url_encode(user);
}

// "?a=1&b=x" of the parameters that are set.
class Query {
 public:
  void add(const char* name, const std::string& value) {
    if (value.empty()) return;
    text_ += (text_.empty() ? "?" : "&") + std::string(name) + "=" + url_encode(value);
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace

AdminClient::AdminClient(std::string host, std::uint16_t port, std::string admin_token)
    : http_(std::move(host), port, std::chrono::seconds(120)), token_(std::move(admin_token)) {}

json::object AdminClient::call(std::string_view method, const std::string& target,
                               const std::optional<json::value>& body) {
  auto r = http_.request(method, target, body, token_);
  if (!r.ok()) throw ApiError(r, std::string(method) + " " + target);
  if (!r.json.is_object()) throw HttpError(std::string(method) + " " + target + ": the answer is not a JSON object");
  return r.json.as_object();
}

json::object AdminClient::users(std::optional<int> limit, const std::string& after, const std::string& query) {
  Query q;
  q.add("limit", limit ? std::to_string(*limit) : std::string());
  q.add("after", after);
  q.add("query", query);
  return call("GET", "/v1/admin/users" + q.text());
}

json::object AdminClient::user(const std::string& user) {
  return call("GET", user_path(user));
}

json::object AdminClient::disable(const std::string& user) {
  return call("POST", user_path(user) + "/disable", json::value(json::object{}));
}

json::object AdminClient::enable(const std::string& user) {
  return call("POST", user_path(user) + "/enable", json::value(json::object{}));
}

json::object AdminClient::reset_password(const std::string& user, const std::optional<std::string>& password) {
  json::object body;
  if (password) body["password"] = *password;
  return call("POST", user_path(user) + "/password", json::value(std::move(body)));
}

json::object AdminClient::stats() {
  return call("GET", "/v1/admin/stats");
}

json::object AdminClient::export_account(const std::string& user) {
  return call("GET", user_path(user) + "/export");
}

json::object AdminClient::messages(const std::string& user, const std::string& after, std::optional<int> limit) {
  Query q;
  q.add("after", after);
  q.add("limit", limit ? std::to_string(*limit) : std::string());
  return call("GET", user_path(user) + "/messages" + q.text());
}

json::object AdminClient::erase(const std::string& user) {
  return call("DELETE", user_path(user));
}

}  // namespace parley::client
