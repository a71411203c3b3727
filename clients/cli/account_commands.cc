// signup, login, logout, whoami: the commands that manage the stored login.
#include <unistd.h>

#include <boost/json.hpp>

#include "cli/commands.h"
#include "cli/terminal.h"

namespace parley::cli {

namespace json = boost::json;

namespace {

std::string default_display_name(const std::string& email) {
  const auto at = email.find('@');
  return at == std::string::npos || at == 0 ? email : email.substr(0, at);
}

std::string default_device_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "parley CLI";
  return std::string("parley CLI on ") + host;
}

// Forgets the previous device of this CLI on its server, so that logging in
// again does not leave orphaned devices behind. Best effort: that device may
// be gone already or its server unreachable.
void retire_previous_login(const StoredLogin& previous) {
  auto address = ServerAddress::parse(previous.server);
  if (!address) return;
  try {
    client::HttpClient http(address->host, address->port, std::chrono::milliseconds(3000));
    http.request("POST", "/v1/logout", std::nullopt, previous.token);
  } catch (const std::exception&) {
    // Unreachable: its token simply stays unused.
  }
}

}  // namespace

int run_signup(CommandContext& ctx, const SignupArgs& args) {
  const std::string name = args.display_name.empty() ? default_display_name(args.email) : args.display_name;
  const std::string password = args.password ? *args.password : read_password("Password: ", /*confirm=*/true);
  client::Client c = ctx.client();
  const std::string user_id = c.signup(args.email, password, name);
  if (ctx.out().json()) {
    ctx.out().object({{"user_id", user_id}, {"email", args.email}, {"display_name", name}});
  } else {
    ctx.out().line("Signed up " + name + " <" + args.email + "> (user " + user_id + "). Now run: parley login " +
                   args.email);
  }
  return kExitOk;
}

int run_login(CommandContext& ctx, const LoginArgs& args) {
  const std::string password = args.password ? *args.password : read_password("Password: ", /*confirm=*/false);
  const std::string device = args.device_name.empty() ? default_device_name() : args.device_name;
  client::Client c = ctx.client();
  const client::LoginResult result = c.login_raw(args.email, password, device);

  StoredLogin login{ctx.server().url(), result.token, result.user_id, result.device_id, args.email, ""};
  try {
    client::Session session(ctx.server().host, ctx.server().port, result);
    login.display_name = client::str_field(session.me(), "display_name");
  } catch (const std::exception&) {
    // The name is only decoration; the login itself succeeded.
  }
  if (auto previous = ctx.store().load()) retire_previous_login(*previous);
  ctx.store().save(login);

  if (ctx.out().json()) {
    ctx.out().object({{"user_id", login.user_id},
                      {"device_id", login.device_id},
                      {"email", login.email},
                      {"display_name", login.display_name},
                      {"server", login.server}});
  } else {
    ctx.out().line("Logged in as " + (login.display_name.empty() ? login.email : login.display_name) + " <" +
                   login.email + "> on " + login.server + " (device " + device + ")");
  }
  return kExitOk;
}

int run_logout(CommandContext& ctx) {
  client::Session session = ctx.session();  // exit 3 when not logged in
  bool was_valid = true;
  try {
    session.logout();
  } catch (const client::ApiError& e) {
    if (e.status() != 401) throw;
    was_valid = false;  // revoked already: only the local copy is left to remove
  }
  ctx.store().forget();
  if (ctx.out().json()) {
    ctx.out().object({{"logged_out", true}, {"token_was_valid", was_valid}});
  } else {
    ctx.out().line(was_valid ? "Logged out." : "Logged out (the server had already revoked this login).");
  }
  return kExitOk;
}

int run_whoami(CommandContext& ctx) {
  client::Session session = ctx.session();
  json::object me = session.me();
  me["server"] = ctx.server().url();
  if (ctx.out().json()) {
    ctx.out().object(me);
  } else {
    ctx.out().line(client::str_field(me, "display_name") + " <" + client::str_field(me, "email") + "> (user " +
                   client::str_field(me, "user_id") + ", device " + client::str_field(me, "device_id") + ") on " +
                   ctx.server().url());
  }
  return kExitOk;
}

}  // namespace parley::cli
