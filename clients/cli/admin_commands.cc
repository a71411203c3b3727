// parley admin …: the operator's commands, against a running parleyd's admin
// API with its admin token (never a user's login).
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/terminal.h"
#include "lib/admin_client.h"

namespace parley::cli {

namespace json = boost::json;

namespace {

// The token: --token-file, else $PARLEY_ADMIN_TOKEN_FILE, else $PARLEY_ADMIN_TOKEN.
// Never a command-line value: that would show in `ps`.
std::string admin_token(const AdminArgs& args) {
  std::string file = args.token_file;
  if (file.empty()) {
    if (const char* env = std::getenv("PARLEY_ADMIN_TOKEN_FILE")) file = env;
  }
  std::string token;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw usage_error("cannot read the admin token file " + file);
    std::getline(in, token);
  } else if (const char* env = std::getenv("PARLEY_ADMIN_TOKEN")) {
    token = env;
  }
  const auto first = token.find_first_not_of(" \t\r");
  const auto last = token.find_last_not_of(" \t\r");
  token = first == std::string::npos ? std::string() : token.substr(first, last - first + 1);
  if (token.empty()) {
    throw usage_error(
        "the admin token is needed: --token-file PATH (parleyd's --data-dir/admin_token, or its --admin-token-file), "
        "or PARLEY_ADMIN_TOKEN_FILE / PARLEY_ADMIN_TOKEN");
  }
  return token;
}

client::AdminClient admin_client(CommandContext& ctx, const AdminArgs& args) {
  return client::AdminClient(ctx.server().host, ctx.server().port, admin_token(args));
}

// Runs `call`; a refused admin token is said as such (exit 3), not as a missing login.
template <typename Call>
auto admin_call(Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const client::ApiError& e) {
    if (e.code() == "unauthorized") {
      throw CliError(kExitNotLoggedIn, "unauthorized", "the server refused the admin token", e.status());
    }
    throw;
  }
}

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t number_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
}

std::string user_line(const json::object& u) {
  const std::int64_t last = number_of(u, "last_active_at");
  const auto* disabled = u.if_contains("disabled");
  return text_of(u, "user_id") + "  " + text_of(u, "email") + "  " + indent_continuation(text_of(u, "display_name")) +
         "  created " + format_time(number_of(u, "created_at")) + "  devices " +
         std::to_string(number_of(u, "devices")) + "  last active " + (last > 0 ? format_time(last) : "never") +
         (disabled && disabled->is_bool() && disabled->as_bool() ? "  DISABLED" : "");
}

std::size_t devices_logged_out(const json::object& o) {
  const auto* ids = o.if_contains("logged_out_device_ids");
  return ids && ids->is_array() ? ids->as_array().size() : 0;
}

}  // namespace

int run_admin_users(CommandContext& ctx, const AdminUsersArgs& args) {
  auto admin = admin_client(ctx, args.admin);
  auto page = admin_call([&] { return admin.users(args.limit, args.after, args.query); });
  const auto* users = page.if_contains("users");
  if (!users || !users->is_array()) throw CliError(kExitServerError, "internal", "the server answered no users");
  const auto* next = page.if_contains("next");
  const std::string next_after = next && next->is_string() ? std::string(next->as_string()) : std::string();
  for (const auto& u : users->as_array()) {
    if (!u.is_object()) continue;
    if (ctx.out().json()) {
      ctx.out().object(u.as_object());
    } else {
      ctx.out().line(user_line(u.as_object()));
    }
  }
  if (ctx.out().json()) {
    ctx.out().object({{"next", next_after.empty() ? json::value(nullptr) : json::value(next_after)}});
  } else if (!next_after.empty()) {
    ctx.out().line("more: --after " + next_after);
  }
  return kExitOk;
}

int run_admin_set_disabled(CommandContext& ctx, const AdminArgs& args, const std::string& user, bool disabled) {
  auto admin = admin_client(ctx, args);
  auto r = admin_call([&] { return disabled ? admin.disable(user) : admin.enable(user); });
  if (ctx.out().json()) {
    ctx.out().object(r);
  } else if (disabled) {
    ctx.out().line("Disabled " + text_of(r, "user_id") +
                   "; devices logged out: " + std::to_string(devices_logged_out(r)));
  } else {
    ctx.out().line("Enabled " + text_of(r, "user_id"));
  }
  return kExitOk;
}

int run_admin_reset_password(CommandContext& ctx, const AdminArgs& args, const std::string& user, bool generate) {
  auto admin = admin_client(ctx, args);
  std::optional<std::string> password;
  if (!generate) password = read_password("New password: ", /*confirm=*/true);
  auto r = admin_call([&] { return admin.reset_password(user, password); });
  if (ctx.out().json()) {
    ctx.out().object(r);
    return kExitOk;
  }
  // The generated password is shown this once: the server keeps only its hash.
  if (generate) ctx.out().line("New password: " + text_of(r, "password"));
  ctx.out().line("Password of " + text_of(r, "user_id") +
                 " reset; devices logged out: " + std::to_string(devices_logged_out(r)));
  return kExitOk;
}

int run_admin_stats(CommandContext& ctx, const AdminArgs& args) {
  auto admin = admin_client(ctx, args);
  auto r = admin_call([&] { return admin.stats(); });
  if (ctx.out().json()) {
    ctx.out().object(r);
    return kExitOk;
  }
  for (const char* key : {"users", "chats", "messages", "connections", "uptime_seconds"}) {
    ctx.out().line(std::string(key) + ": " + std::to_string(number_of(r, key)));
  }
  ctx.out().line("version: " + text_of(r, "version"));
  if (r.contains("node_id")) ctx.out().line("node: " + text_of(r, "node_id"));
  return kExitOk;
}

// One JSON document, written as it is read: the account first, then the
// messages page by page, so a user with a million messages takes no more
// memory than one page.
int run_admin_export(CommandContext& ctx, const AdminArgs& args, const std::string& user) {
  auto admin = admin_client(ctx, args);
  auto account = admin_call([&] { return admin.export_account(user); });
  // The user's id, not the e-mail given: pages must follow the account that was exported.
  const std::string id = text_of(account.at("user").as_object(), "user_id");
  std::string head = json::serialize(account);
  head.pop_back();  // the closing brace: the messages follow
  ctx.out().line(head + ",\"messages\":[");
  bool first = true;
  std::string after;
  for (;;) {
    auto page = admin_call([&] { return admin.messages(id, after); });
    const auto* messages = page.if_contains("messages");
    if (!messages || !messages->is_array()) throw CliError(kExitServerError, "internal", "a page without messages");
    for (const auto& m : messages->as_array()) {
      ctx.out().line((first ? "" : ",") + json::serialize(m));
      first = false;
    }
    const auto* next = page.if_contains("next");
    if (!next || !next->is_string()) break;
    after = std::string(next->as_string());
  }
  ctx.out().line("]}");
  return kExitOk;
}

int run_admin_delete(CommandContext& ctx, const AdminArgs& args, const std::string& user, bool confirmed) {
  if (!confirmed) {
    throw usage_error("this erases " + user +
                      " for good (account, devices, memberships and the text of every message sent): add --yes");
  }
  auto admin = admin_client(ctx, args);
  auto r = admin_call([&] { return admin.erase(user); });
  if (ctx.out().json()) {
    ctx.out().object(r);
  } else {
    ctx.out().line("Deleted " + text_of(r, "user_id") + ": " + std::to_string(number_of(r, "messages_erased")) +
                   " messages erased, " + std::to_string(number_of(r, "groups_left")) + " groups left, " +
                   std::to_string(devices_logged_out(r)) + " devices logged out");
  }
  return kExitOk;
}

}  // namespace parley::cli
