// devices, logout-device, passwd, rename: the account's devices and profile.
#include <boost/json.hpp>
#include <cctype>
#include <optional>
#include <string_view>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/terminal.h"

namespace parley::cli {

namespace json = boost::json;

namespace {

// An authenticated call whose answer must be 2xx; else the server's error.
client::HttpResponse checked(client::Session& session, std::string_view method, const std::string& target,
                             const std::optional<json::value>& body = std::nullopt) {
  auto r = session.call(method, target, body);
  if (!r.ok()) throw client::ApiError(r, std::string(method) + " " + target);
  return r;
}

// A device id as one path segment: everything but unreserved bytes encoded.
std::string path_segment(std::string_view id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

int run_devices(CommandContext& ctx) {
  client::Session session = ctx.session();
  auto r = checked(session, "GET", "/v1/devices");
  const auto* list = r.json.is_object() ? r.json.as_object().if_contains("devices") : nullptr;
  if (list == nullptr || !list->is_array()) throw client::ApiError(r, "devices (no devices array)");
  for (const auto& entry : list->as_array()) {
    if (!entry.is_object()) continue;
    const json::object& d = entry.as_object();
    const auto* current_field = d.if_contains("current");
    const bool current = current_field != nullptr && current_field->is_bool() && current_field->as_bool();
    if (ctx.out().json()) {
      ctx.out().object(d);
    } else {
      ctx.out().line(client::str_field(d, "device_id") + "  " + indent_continuation(client::str_field(d, "name")) +
                     "  logged in " + format_time(client::int_field(d, "created_at", 0)) + ", last active " +
                     format_time(client::int_field(d, "last_active_at", 0)) + (current ? "  (this device)" : ""));
    }
  }
  return kExitOk;
}

int run_logout_device(CommandContext& ctx, const std::string& device_id) {
  client::Session session = ctx.session();
  checked(session, "DELETE", "/v1/devices/" + path_segment(device_id));
  const bool self = device_id == session.device_id();
  if (self) ctx.store().forget();  // this login is gone: as `parley logout`
  if (ctx.out().json()) {
    ctx.out().object({{"logged_out", device_id}, {"this_device", self}});
  } else {
    ctx.out().line("Logged out device " + device_id + (self ? " (this device; the stored login is removed)" : ""));
  }
  return kExitOk;
}

int run_passwd(CommandContext& ctx, const PasswdArgs& args) {
  client::Session session = ctx.session();
  const std::string current = read_password("Current password: ", /*confirm=*/false);
  const std::string replacement = read_password("New password: ", /*confirm=*/true);
  auto r = checked(
      session, "POST", "/v1/me/password",
      json::object{
          {"current_password", current}, {"new_password", replacement}, {"logout_other_devices", args.logout_others}});
  json::array ids;
  if (const auto* out = r.json.is_object() ? r.json.as_object().if_contains("logged_out_device_ids") : nullptr;
      out != nullptr && out->is_array()) {
    ids = out->as_array();
  }
  if (ctx.out().json()) {
    ctx.out().object({{"password_changed", true}, {"logged_out_device_ids", ids}});
  } else {
    std::string line = "Password changed.";
    if (args.logout_others) line += " Logged out " + std::to_string(ids.size()) + " other device(s).";
    ctx.out().line(line);
  }
  return kExitOk;
}

int run_rename(CommandContext& ctx, const std::string& display_name) {
  client::Session session = ctx.session();
  checked(session, "PATCH", "/v1/me", json::object{{"display_name", display_name}});
  if (ctx.out().json()) {
    ctx.out().object({{"display_name", display_name}});
  } else {
    ctx.out().line("Your display name is now " + indent_continuation(display_name));
  }
  return kExitOk;
}

}  // namespace parley::cli
