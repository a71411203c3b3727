#include "protocol/bodies.h"

#include <charconv>

#include "protocol/json_fields.h"

namespace parley::protocol {
namespace json = boost::json;
namespace {

// Group members named in one request; the group size limit is the core's.
constexpr std::size_t kMaxMemberIds = 100'000;

Error bad(std::string message) {
  return make_error(ErrorCode::invalid_request, std::move(message));
}

// An optional non-negative integer field: 0 when absent.
Result<Seq> optional_seq(const json::object& o, std::string_view name) {
  if (!o.contains(name)) return Seq{0};
  return required_uint(o, name);
}

}  // namespace

Result<SignupBody> parse_signup_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  auto fields = required_strings(*o, {"email", "password", "display_name"});
  if (!fields) return fields.error();
  return SignupBody{std::move((*fields)[0]), std::move((*fields)[1]), std::move((*fields)[2])};
}

Result<ProfileBody> parse_profile_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  ProfileBody body;
  auto name = optional_string(*o, "display_name");
  if (!name) return name.error();
  body.display_name = std::move(*name);
  auto visibility = optional_string(*o, "presence_visibility");
  if (!visibility) return visibility.error();
  if (*visibility) {
    body.presence_visibility = presence_visibility_from(**visibility);
    if (!body.presence_visibility) {
      return make_error(ErrorCode::invalid_request, "presence_visibility must be everyone, contacts or nobody");
    }
  }
  if (!body.display_name && !body.presence_visibility) {
    return make_error(ErrorCode::invalid_request, "give display_name or presence_visibility");
  }
  return body;
}

Result<ChatUpdateBody> parse_chat_update_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  auto name = required_string(*o, "name");
  if (!name) return name.error();
  return ChatUpdateBody{std::move(*name)};
}

Result<MuteBody> parse_mute_body(std::string_view text) {
  // No body at all mutes until unmuted, as {} does.
  if (text.empty()) return MuteBody{};
  auto o = parse_object(text);
  if (!o) return o.error();
  if (!o->contains("until")) return MuteBody{};
  auto until = required_uint(*o, "until");
  if (!until) return until.error();
  return MuteBody{*until};
}

Result<MemberUpdateBody> parse_member_update_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  auto role = required_string(*o, "role");
  if (!role) return role.error();
  if (*role == "admin") return MemberUpdateBody{MemberRole::admin};
  if (*role == "member") return MemberUpdateBody{MemberRole::member};
  return bad("role must be admin or member");
}

Result<PasswordChangeBody> parse_password_change_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  auto fields = required_strings(*o, {"current_password", "new_password"});
  if (!fields) return fields.error();
  PasswordChangeBody body{std::move((*fields)[0]), std::move((*fields)[1])};
  if (const auto* logout = o->if_contains("logout_other_devices")) {
    if (!logout->is_bool()) return bad("logout_other_devices must be true or false");
    body.logout_other_devices = logout->as_bool();
  }
  return body;
}

Result<PasswordResetBody> parse_password_reset_body(std::string_view text) {
  if (text.empty()) return PasswordResetBody{};
  auto o = parse_object(text);
  if (!o) return o.error();
  auto password = optional_string(*o, "password");
  if (!password) return password.error();
  return PasswordResetBody{std::move(*password)};
}

Result<LoginBody> parse_login_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  auto fields = required_strings(*o, {"email", "password"});
  if (!fields) return fields.error();
  auto device = optional_string(*o, "device_name");
  if (!device) return device.error();
  return LoginBody{std::move((*fields)[0]), std::move((*fields)[1]), device->value_or("")};
}

Result<SendBody> parse_send_body(const json::object& o) {
  auto id = required_string(o, "client_msg_id");
  if (!id) return id.error();
  SendBody body{std::move(*id), {}};
  auto kind = optional_string(o, "kind");
  if (!kind) return kind.error();
  if (*kind) {
    auto known = message_kind_from(**kind);
    if (!known) return bad("kind must be text, edit, delete or reaction");
    body.kind = *known;
  }
  // A deletion carries no text, and an absent reaction removes one.
  const bool text_optional = body.kind == MessageKind::deletion || body.kind == MessageKind::reaction;
  if (text_optional) {
    auto text = optional_string(o, "text");
    if (!text) return text.error();
    body.text = std::move(*text).value_or("");
  } else {
    auto text = required_string(o, "text");
    if (!text) return text.error();
    body.text = std::move(*text);
  }
  auto target = optional_seq(o, "target_seq");
  if (!target) return target.error();
  body.target_seq = *target;
  auto reply = optional_seq(o, "reply_to");
  if (!reply) return reply.error();
  body.reply_to = *reply;
  return body;
}

Result<SendBody> parse_send_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  return parse_send_body(*o);
}

Result<CreateChatBody> parse_create_chat_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  auto kind = required_string(*o, "kind");
  if (!kind) return kind.error();
  if (*kind == "direct") {
    auto peer = required_string(*o, "peer_id");
    if (!peer) return peer.error();
    return CreateChatBody{DirectChatBody{std::move(*peer)}};
  }
  if (*kind == "group") {
    auto name = required_string(*o, "name");
    if (!name) return name.error();
    auto members = required_string_array(*o, "member_ids", kMaxMemberIds);
    if (!members) return members.error();
    return CreateChatBody{GroupChatBody{std::move(*name), std::move(*members)}};
  }
  return bad("kind must be direct or group");
}

Result<AddMemberBody> parse_add_member_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  auto user = required_string(*o, "user_id");
  if (!user) return user.error();
  return AddMemberBody{std::move(*user)};
}

Result<PushRegistrationBody> parse_push_registration_body(std::string_view text) {
  auto o = parse_object(text);
  if (!o) return o.error();
  auto provider = required_string(*o, "provider");
  if (!provider) return provider.error();
  if (*provider == "webpush") {
    // As the browser's PushSubscription.toJSON() writes it; expirationTime
    // and anything else it may add are ignored.
    const auto* subscription = o->if_contains("subscription");
    if (!subscription || !subscription->is_object()) return bad("subscription must be an object");
    auto endpoint = required_string(subscription->get_object(), "endpoint");
    if (!endpoint) return bad("subscription." + endpoint.error().message);
    const auto* keys = subscription->get_object().if_contains("keys");
    if (!keys || !keys->is_object()) return bad("subscription.keys must be an object");
    auto p256dh = required_string(keys->get_object(), "p256dh");
    if (!p256dh) return bad("subscription.keys." + p256dh.error().message);
    auto auth = required_string(keys->get_object(), "auth");
    if (!auth) return bad("subscription.keys." + auth.error().message);
    return PushRegistrationBody{std::move(*provider), std::move(*endpoint), std::move(*p256dh), std::move(*auth)};
  }
  if (*provider != "webhook") return bad("provider must be webhook or webpush");
  auto url = required_string(*o, "url");
  if (!url) return url.error();
  return PushRegistrationBody{std::move(*provider), std::move(*url)};
}

Result<std::optional<std::string>> QueryParams::get(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto& [n, v] : values_) {
    if (n != name) continue;
    if (found) return bad("parameter " + std::string(name) + " given more than once");
    found = v;
  }
  return found;
}

Result<std::string> QueryParams::required(std::string_view name) const {
  auto value = get(name);
  if (!value) return value.error();
  if (!*value) return bad("missing parameter: " + std::string(name));
  return std::move(**value);
}

Result<std::optional<std::uint64_t>> QueryParams::uint(std::string_view name, std::uint64_t max) const {
  auto value = get(name);
  if (!value) return value.error();
  if (!*value) return std::optional<std::uint64_t>{};
  const std::string& s = **value;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v > max) {
    return bad(std::string(name) + " must be an integer from 0 to " + std::to_string(max));
  }
  return std::optional<std::uint64_t>{v};
}

Result<HistoryParams> parse_history_params(const QueryParams& query) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::int64_t>::max();
  HistoryParams out;
  auto before = query.uint("before", kMax);
  if (!before) return before.error();
  auto after = query.uint("after", kMax);
  if (!after) return after.error();
  auto limit = query.uint("limit", kMax);
  if (!limit) return limit.error();
  out.before = *before;
  out.after = *after;
  // Out-of-range limits are the core's to judge (and name).
  if (*limit) out.limit = static_cast<std::size_t>(std::min<std::uint64_t>(**limit, 1'000'000));
  return out;
}

Result<PageParams> parse_page_params(const QueryParams& query, std::size_t default_limit, std::size_t max_limit) {
  PageParams out;
  auto limit = query.uint("limit", max_limit);
  if (!limit) return limit.error();
  if (*limit && **limit == 0) return bad("limit must be an integer from 1 to " + std::to_string(max_limit));
  out.limit = *limit ? static_cast<std::size_t>(**limit) : default_limit;
  auto after = query.get("after");
  if (!after) return after.error();
  if (*after) {
    const std::string& cursor = **after;
    if (cursor.empty() || cursor.size() > 128 ||
        cursor.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            std::string::npos) {
      return bad("after must be the next cursor of a previous page");
    }
    out.after = cursor;
  }
  return out;
}

Result<std::vector<UserId>> parse_user_ids_param(const QueryParams& query, std::size_t max_ids) {
  auto list = query.required("user_ids");
  if (!list) return list.error();
  std::vector<UserId> ids;
  for (std::size_t start = 0; start <= list->size();) {
    auto comma = list->find(',', start);
    if (comma == std::string::npos) comma = list->size();
    if (comma > start) ids.push_back(list->substr(start, comma - start));
    if (ids.size() > max_ids) break;
    start = comma + 1;
  }
  if (ids.empty() || ids.size() > max_ids) {
    return bad("user_ids must name 1 to " + std::to_string(max_ids) + " users");
  }
  return ids;
}

}  // namespace parley::protocol
