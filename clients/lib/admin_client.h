#pragma once
// AdminClient: the admin API of one parleyd (/v1/admin/..., docs/protocol.md
// "Admin API"), authenticated with the operator's admin token, not a user's.
// Each call answers the server's JSON object as it is, or throws ApiError
// (non-2xx) or HttpError (transport). USER is a user id or an e-mail.
// Not thread-safe: one request at a time, like HttpClient.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "lib/http_client.h"

namespace parley::client {

class AdminClient {
 public:
  AdminClient(std::string host, std::uint16_t port, std::string admin_token);

  // GET /v1/admin/users: {"users":[…],"next":EMAIL|null}.
  boost::json::object users(std::optional<int> limit = std::nullopt, const std::string& after = {},
                            const std::string& query = {});
  boost::json::object user(const std::string& user);
  boost::json::object disable(const std::string& user);
  boost::json::object enable(const std::string& user);
  // nullopt: the server generates one and answers it in "password".
  boost::json::object reset_password(const std::string& user, const std::optional<std::string>& password);
  boost::json::object stats();
  // Everything but the messages: {"user","devices","chats","blocks"}.
  boost::json::object export_account(const std::string& user);
  // One page of the user's own messages: {"messages":[…],"next":CURSOR|null}.
  boost::json::object messages(const std::string& user, const std::string& after = {},
                               std::optional<int> limit = std::nullopt);
  // GDPR erasure: {"user_id","messages_erased","groups_left","logged_out_device_ids"}.
  boost::json::object erase(const std::string& user);

  HttpClient& http() { return http_; }

 private:
  boost::json::object call(std::string_view method, const std::string& target,
                           const std::optional<boost::json::value>& body = std::nullopt);

  HttpClient http_;
  std::string token_;
};

}  // namespace parley::client
