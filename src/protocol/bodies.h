#pragma once
// Typed request bodies and query parameters, shared by both transports: the
// WebSocket `send` frame and `POST /v1/chats/{id}/messages` read their fields
// with the same parse_send_body. Each parser checks JSON types and sizes and
// names the first bad field; domain rules (text length, e-mail shape, group
// size) stay in the core. Duplicate keys: the last one wins, as in
// JavaScript's JSON.parse. Free functions, thread-safe, never throw.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace parley::protocol {

struct SignupBody {
  std::string email;
  std::string password;
  std::string display_name;
};
struct LoginBody {
  std::string email;
  std::string password;
  std::string device_name;  // empty when absent
};
struct SendBody {
  std::string client_msg_id;
  std::string text;
  MessageKind kind = MessageKind::text;  // "kind": absent means text
  Seq target_seq = 0;                    // actions
  Seq reply_to = 0;                      // text messages
};
struct DirectChatBody {
  UserId peer_id;
};
struct GroupChatBody {
  std::string name;
  std::vector<UserId> member_ids;
};
using CreateChatBody = std::variant<DirectChatBody, GroupChatBody>;
struct AddMemberBody {
  UserId user_id;
};
// {"provider":"webhook","url":…} or {"provider":"webpush","subscription":
// PushSubscription.toJSON()}: url is the webhook or the subscription's
// endpoint, p256dh and auth its keys (webpush only; checked by src/push).
struct PushRegistrationBody {
  std::string provider;  // "webhook" or "webpush"
  std::string url;
  std::string p256dh = {};
  std::string auth = {};
};

// PATCH /v1/chats/{id}.
struct ChatUpdateBody {
  std::string name;
};
// PATCH /v1/chats/{id}/members/{user_id}.
struct MemberUpdateBody {
  MemberRole role = MemberRole::member;
};

// PUT /v1/chats/{id}/mute: until when (ms since the epoch); none: until unmuted.
struct MuteBody {
  std::optional<std::uint64_t> until;
};

// PATCH /v1/me.
// At least one field; those absent stay as they are.
struct ProfileBody {
  std::optional<std::string> display_name;
  std::optional<PresenceVisibility> presence_visibility;
};
// POST /v1/me/password.
struct PasswordChangeBody {
  std::string current_password;
  std::string new_password;
  bool logout_other_devices = false;
};

Result<SignupBody> parse_signup_body(std::string_view text);
Result<ChatUpdateBody> parse_chat_update_body(std::string_view text);
Result<MuteBody> parse_mute_body(std::string_view text);
Result<MemberUpdateBody> parse_member_update_body(std::string_view text);
Result<ProfileBody> parse_profile_body(std::string_view text);
Result<PasswordChangeBody> parse_password_change_body(std::string_view text);
// POST /v1/admin/users/{user}/password: `{"password":P}`, or `{}` / no body
// for a password the server generates.
struct PasswordResetBody {
  std::optional<std::string> password;
};
Result<PasswordResetBody> parse_password_reset_body(std::string_view text);
Result<LoginBody> parse_login_body(std::string_view text);
Result<SendBody> parse_send_body(std::string_view text);
// The same fields inside an already parsed object (the WebSocket frame).
Result<SendBody> parse_send_body(const boost::json::object& o);
Result<CreateChatBody> parse_create_chat_body(std::string_view text);
Result<AddMemberBody> parse_add_member_body(std::string_view text);
Result<PushRegistrationBody> parse_push_registration_body(std::string_view text);

// Query parameters of a request, decoded, in order. A name given twice is an
// error when read: "?limit=1&limit=1000" must not mean either silently.
class QueryParams {
 public:
  QueryParams() = default;
  explicit QueryParams(std::vector<std::pair<std::string, std::string>> values) : values_(std::move(values)) {}
  Result<std::optional<std::string>> get(std::string_view name) const;
  Result<std::string> required(std::string_view name) const;
  // A non-negative integer no larger than `max`, or nullopt when absent.
  Result<std::optional<std::uint64_t>> uint(std::string_view name, std::uint64_t max) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

struct HistoryParams {
  std::optional<Seq> before;
  std::optional<Seq> after;
  std::optional<std::size_t> limit;
};
Result<HistoryParams> parse_history_params(const QueryParams& query);
// `limit` (1 to `max_limit`; `default_limit` when absent) and `after`, the
// `next` cursor of the previous page (1 to 128 bytes of [A-Za-z0-9_-]).
struct PageParams {
  std::optional<std::string> after;
  std::size_t limit = 0;
};
Result<PageParams> parse_page_params(const QueryParams& query, std::size_t default_limit, std::size_t max_limit);
// `user_ids=a,b,c`: 1 to `max_ids` ids.
Result<std::vector<UserId>> parse_user_ids_param(const QueryParams& query, std::size_t max_ids);

}  // namespace parley::protocol
