// The account endpoints of RestApi: display name, password, and the list of
// the caller's devices with remote logout.

#include <boost/json.hpp>

#include "core/text.h"
#include "net/rest_api.h"
#include "net/rest_replies.h"
#include "protocol/views.h"

namespace parley {
namespace http = boost::beast::http;
namespace json = boost::json;
using Response = RestApi::Response;

void RestApi::cut_off(const UserId& user, const DeviceId& device) {
  ctx_.core.presence.logged_out(AuthContext{user, device});
  ctx_.bus.close_device(user, device);
}

Response RestApi::update_me(const Call& call) {
  auto body = protocol::parse_profile_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  const UserId& me = call.who->user_id;
  if (body->display_name) {
    if (auto ok = ctx_.core.accounts.rename(me, *body->display_name); !ok) {
      return rest::error_reply(call.req, ok.error());
    }
    ctx_.core.chats.announce_rename(me);
  }
  if (body->presence_visibility) {
    if (auto ok = ctx_.core.privacy.set_visibility(me, *body->presence_visibility); !ok) {
      return rest::error_reply(call.req, ok.error());
    }
  }
  return me_reply(call);
}

Response RestApi::list_blocks(const Call& call) {
  auto blocked = ctx_.core.privacy.blocked_by(call.who->user_id);
  if (!blocked) return rest::error_reply(call.req, blocked.error());
  json::array users;
  for (const UserId& id : *blocked) {
    auto name = ctx_.core.accounts.display_name(id);
    if (!name) return rest::error_reply(call.req, name.error());
    users.push_back(json::object{{"user_id", id}, {"display_name", *name}});
  }
  return rest::json_reply(call.req, http::status::ok, json::object{{"users", std::move(users)}});
}

Response RestApi::block_user(const Call& call) {
  if (auto ok = ctx_.core.privacy.set_blocked(call.who->user_id, call.path["user_id"], true); !ok) {
    return rest::error_reply(call.req, ok.error());
  }
  return list_blocks(call);
}

Response RestApi::unblock_user(const Call& call) {
  if (auto ok = ctx_.core.privacy.set_blocked(call.who->user_id, call.path["user_id"], false); !ok) {
    return rest::error_reply(call.req, ok.error());
  }
  return list_blocks(call);
}

// Throttled like a login, on the same account key (the e-mail), so the
// current-password check is no way around the login limits.
Response RestApi::change_password(const Call& call) {
  auto body = protocol::parse_password_change_body(call.req.body());
  if (!body) return rest::error_reply(call.req, body.error());
  auto user = ctx_.core.accounts.find_user(call.who->user_id);
  if (!user) return rest::error_reply(call.req, user.error());
  if (!*user) return rest::error_reply(call.req, make_error(ErrorCode::unauthorized, "account no longer exists"));
  const std::string& account = (*user)->email;
  auto admission = throttle_.admit(call.client, account, steady_now_ms());
  if (!admission.admitted) return too_many_attempts(call.req, admission.retry_after_ms);
  auto logged_out = ctx_.core.accounts.change_password(*call.who, body->current_password, body->new_password,
                                                       body->logout_other_devices);
  if (!logged_out) {
    // A new password that is refused checked no password: the attempt is given back.
    if (logged_out.error().code == ErrorCode::invalid_request) throttle_.succeeded(account, steady_now_ms());
    return rest::error_reply(call.req, logged_out.error());
  }
  throttle_.succeeded(account, steady_now_ms());
  for (const DeviceId& device : *logged_out) cut_off(call.who->user_id, device);
  json::array ids;
  for (const DeviceId& device : *logged_out) ids.emplace_back(device);
  return rest::json_reply(call.req, http::status::ok, {{"logged_out_device_ids", std::move(ids)}});
}

Response RestApi::list_devices(const Call& call) {
  auto devices = ctx_.core.accounts.logged_in_devices(call.who->user_id);
  if (!devices) return rest::error_reply(call.req, devices.error());
  json::array out;
  for (const Device& device : *devices)
    out.push_back(protocol::device_object(device, device.id == call.who->device_id));
  return rest::json_reply(call.req, http::status::ok, {{"devices", std::move(out)}});
}

Response RestApi::logout_device(const Call& call) {
  const std::string& device = call.path["device_id"];
  if (auto ok = ctx_.core.accounts.logout_device(call.who->user_id, device); !ok) {
    return rest::error_reply(call.req, ok.error());
  }
  cut_off(call.who->user_id, device);
  return rest::no_content(call.req);
}

}  // namespace parley
